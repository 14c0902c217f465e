"""Rendering resident pages: the council, the page title and errors in one place."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicdesk.organisations.models import Organisation

FEEDBACK_THANKS = "page-feedback-thanks"


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
    """A resident page. ``errors`` (field name -> message) become the GOV.UK error summary,
    each linking to its field, and are available to the template as ``errors``."""
    errors = errors or {}
    thanks = any(message.message == FEEDBACK_THANKS for message in messages.get_messages(request))
    return render(
        request,
        template,
        {
            "council": council,
            "title": title,
            "errors": errors,
            "error_list": [{"text": text, "href": f"#{name}"} for name, text in errors.items()],
            "feedback_thanks": thanks,
            "page_template": template if settings.SHOW_TEMPLATE_NAMES else "",
            **context,
        },
        status=status,
    )
