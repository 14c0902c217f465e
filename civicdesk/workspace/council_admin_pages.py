"""What the admin's council pages (the catalogue upload, the channels checklist) share: the
council chosen from the address, for its own administrators only, and the list of councils a
superuser chooses from."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from civicdesk.core.errors import NotFound
from civicdesk.organisations.selectors import (
    access_council_administration,
    councils_administered,
)

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation


def council_choice(
    request: HttpRequest, *, template: str, title: str, url_for: Callable[[str], str]
) -> HttpResponse:
    """An administrator goes straight to their own council's page; a superuser chooses."""
    councils = list(councils_administered(request.user))
    if len(councils) == 1:
        return HttpResponseRedirect(url_for(councils[0].slug))
    return render(
        request,
        template,
        {
            **admin.site.each_context(request),
            "title": title,
            "councils": [(council.name, url_for(council.slug)) for council in councils],
        },
    )


def administered_council_or_404(request: HttpRequest, slug: str) -> Organisation:
    try:
        return access_council_administration(user=request.user, slug=slug)
    except NotFound:
        raise Http404("There is no council at this address that you administer.") from None
