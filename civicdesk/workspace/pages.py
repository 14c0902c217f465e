"""Rendering staff pages: the member of staff, the navigation, the title and errors in one place."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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
    None only on the sign-in pages, which have no navigation."""
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
            "page_template": template if settings.SHOW_TEMPLATE_NAMES else "",
            **context,
        },
        status=status,
    )
