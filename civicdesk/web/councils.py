"""The council a resident page, an Ask page or a hook is for, from the slug in its address."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from civicdesk.core.errors import NotFound
from civicdesk.organisations.selectors import organisation_by_slug

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation


def council_for(slug: str) -> Organisation:
    """The council with this slug, or "page not found" for a slug that names none."""
    try:
        return organisation_by_slug(slug)
    except NotFound:
        raise Http404("No such council") from None
