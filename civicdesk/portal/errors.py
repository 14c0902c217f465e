"""The pages for a request we could not read (``handler400``), an address that leads nowhere
(``handler404``) and a fault of ours (``handler500``), in plain English.

A missing page or a fault under a council's address (/<council>/...) is shown in that council's
layout, with its links to find a service and to contact it; anywhere else, in the
installation's plain layout. The error page never fails in turn: if the council's layout cannot
be drawn (perhaps the database is what failed), the plain one is used.

The commonest cause is an upload whose file name is so long that the form's part headers pass
Django's limit (1,024 bytes): the form cannot be read at all, not even its CSRF token, so no
view gets to say what went wrong. This page says it instead of a bare "Bad Request".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from civicdesk.core.errors import NotFound
from civicdesk.organisations.selectors import organisation_by_slug
from civicdesk.web.pages import render_page

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation

logger = logging.getLogger(__name__)

TEMPLATE = "portal/bad_request.html"
LONG_NAME = (
    "The selected file could not be uploaded because its name is too long. Rename the file "
    "with a shorter name, then go back and upload it again"
)
UNREADABLE_UPLOAD = (
    "The selected file could not be uploaded because the form arrived incomplete. Go back and "
    "upload it again"
)
UNREADABLE = "We could not read what your browser sent. Go back and try again"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _problem(exception)
    return render(
        request,
        TEMPLATE,
        {
            "message": message,
            "back": _back_link(request),
            "page_template": TEMPLATE if settings.SHOW_TEMPLATE_NAMES else "",
        },
        status=400,
    )


def _problem(exception: Exception | None) -> str:
    if isinstance(exception, MultiPartParserError):
        return LONG_NAME if "header size" in str(exception) else UNREADABLE_UPLOAD
    return UNREADABLE


def _back_link(request: HttpRequest) -> str:
    """The page the form was on, if it was one of ours; the front page otherwise."""
    referer = str(request.META.get("HTTP_REFERER", ""))
    allowed = {str(request.META.get("HTTP_HOST", "")), *settings.ALLOWED_HOSTS}
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts=allowed):
        return referer
    return "/"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        council_template="portal/not_found.html",
        plain_template="portal/installation_not_found.html",
        title="Page not found",
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        council_template="portal/server_error.html",
        plain_template="portal/installation_server_error.html",
        title="Sorry, there is a problem with the service",
        status=500,
    )


def _error_page(
    request: HttpRequest, *, council_template: str, plain_template: str, title: str, status: int
) -> HttpResponse:
    try:
        council = _council_in_path(request.path)
        if council is not None:
            return render_page(
                request, council_template, council=council, title=title, status=status
            )
    except Exception:
        # The page explaining a fault must not fail: fall back to the plain layout.
        logger.exception("The council's error page could not be drawn; showing the plain one")
    shown = plain_template if settings.SHOW_TEMPLATE_NAMES else ""
    return render(request, plain_template, {"page_template": shown}, status=status)


def _council_in_path(path: str) -> Organisation | None:
    """The council whose pages the path is under, if the first part of it names one."""
    first = path.strip("/").split("/", 1)[0]
    if not first or first in {"staff", "admin", "api", "static", "hooks", "open311"}:
        return None
    try:
        return organisation_by_slug(first)
    except NotFound:
        return None
