"""Absolute links in everything we send: sign-in links, "how did we do?" links, links to track
a request, staff invitations, and the addresses the channels checklist gives to suppliers.

Every one is built here, from PUBLIC_BASE_URL, and never from the request that happens to cause
the message: the worker sends most messages and has no request, and a link must not depend on
which host name or scheme a proxy passed on (ADR 41).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def public_base_address() -> str:
    """The address the site is reached at, without a trailing slash: what every link starts
    with, and what the channels checklist checks."""
    return settings.PUBLIC_BASE_URL.rstrip("/")


def public_link(path: str) -> str:
    """The address residents reach ``path`` at, such as https://services.example.gov.uk/x/."""
    if not path.startswith("/"):
        raise ValueError(f"A link is built from a path that starts with a slash, not {path!r}")
    return public_base_address() + path


def public_page_link(view_name: str, *args: object) -> str:
    """The public address of a named page, such as ``portal:track`` for a council."""
    return public_link(reverse(view_name, args=args))
