"""The page for a request we could not read (``handler400``), in plain English.

The commonest cause is an upload whose file name is so long that the form's part headers pass
Django's limit (1,024 bytes): the form cannot be read at all, not even its CSRF token, so no
view gets to say what went wrong. This page says it instead of a bare "Bad Request".
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

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
