"""Rendering staff pages: the member of staff, the navigation, the title and errors in one place."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicdesk.organisations.models import StaffMember

from .navigation import navigation_for


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
    """A workspace page. ``errors`` (field name -> message) become the GOV.UK error summary,
    each linking to its field, and are available to the template as ``errors``. ``staff`` is
    None only on the sign-in pages, which have no navigation. Messages left for the next page
    (django.contrib.messages) show as a notification banner."""
    errors = errors or {}
    return render(
        request,
        template,
        {
            "staff": staff,
            "organisation": staff.organisation if staff is not None else None,
            "navigation": navigation_for(staff, request.path) if staff is not None else [],
            "title": title,
            "errors": errors,
            "error_list": [{"text": text, "href": f"#{name}"} for name, text in errors.items()],
            "notices": [str(message.message) for message in messages.get_messages(request)],
            "page_template": template if settings.SHOW_TEMPLATE_NAMES else "",
            **context,
        },
        status=status,
    )


def case_opened_elsewhere(request: HttpRequest, *, reference: str, team_name: str) -> None:
    """Tell staff who opened a case they may not read (a sensitive service's) where it went."""
    messages.success(
        request,
        f"Case {reference} has been raised and passed to {team_name}. Only that team can open it.",
    )
