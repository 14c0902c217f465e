"""Rendering pages: the layout's context, the page title and the GOV.UK error summary in one
place, for resident pages (``render_page``) and staff pages (``render_staff_page``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicdesk.web.navigation import navigation_for

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation, StaffMember

# Left as a message by the page feedback form, so that the next page thanks the resident.
FEEDBACK_THANKS = "page-feedback-thanks"


def _render(
    request: HttpRequest,
    template: str,
    *,
    title: str,
    errors: dict[str, str] | None,
    status: int,
    context: dict[str, Any],
) -> HttpResponse:
    """``errors`` (field name -> message) become the GOV.UK error summary, each linking to its
    field, and are available to the template as ``errors``."""
    errors = errors or {}
    return render(
        request,
        template,
        {
            "title": title,
            "errors": errors,
            "error_list": [{"text": text, "href": f"#{name}"} for name, text in errors.items()],
            "page_template": template if settings.SHOW_TEMPLATE_NAMES else "",
            **context,
        },
        status=status,
    )


def render_page(
    request: HttpRequest,
    template: str,
    *,
    council: Organisation,
    title: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    """A resident page of ``council``."""
    thanks = any(message.message == FEEDBACK_THANKS for message in messages.get_messages(request))
    return _render(
        request,
        template,
        title=title,
        errors=errors,
        status=status,
        context={"council": council, "feedback_thanks": thanks, **context},
    )


def render_staff_page(
    request: HttpRequest,
    template: str,
    *,
    title: str,
    staff: StaffMember | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    """A workspace page. ``staff`` is None only on the sign-in pages, which have no navigation.
    Messages left for the next page (django.contrib.messages) show as a notification banner."""
    return _render(
        request,
        template,
        title=title,
        errors=errors,
        status=status,
        context={
            "staff": staff,
            "organisation": staff.organisation if staff is not None else None,
            "navigation": navigation_for(staff, request.path) if staff is not None else [],
            "notices": [str(message.message) for message in messages.get_messages(request)],
            **context,
        },
    )


def render_not_allowed(request: HttpRequest, *, staff: StaffMember, message: str) -> HttpResponse:
    """The workspace page that says, with a 403, why this member of staff cannot use a page."""
    return render_staff_page(
        request,
        "workspace/not_allowed.html",
        title="You cannot use this page",
        staff=staff,
        message=message,
        status=403,
    )
