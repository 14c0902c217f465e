"""Check your bin collection day: the resident gives a postcode, or chooses their street, and
is told the next collection dates of each bin.

The postcode is sent with POST, so that it never appears in a URL or the server's logs. The
page is also where Ask and the old link (/report/bin-day/) send residents.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from civicdesk.catalogue.selectors import request_type_get
from civicdesk.core.errors import NotFound
from civicdesk.geo.collections import (
    BinDay,
    bin_days_for_locality,
    bin_days_for_postcode,
    collections_known,
    postcode_normalise,
)
from civicdesk.geo.place_matching import places_match
from civicdesk.web.councils import council_for
from civicdesk.web.pages import render_page

from .service_actions import BIN_DAY, service_ending

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation

MAX_TYPED = 100
MAX_STREETS = 8


@require_http_methods(["GET", "POST"])
def bin_day(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    try:
        service = request_type_get(organisation_id=organisation.pk, key=BIN_DAY)
    except NotFound:
        service = None
    context: dict[str, Any] = {
        "service": service,
        "known": collections_known(organisation=organisation),
        "ending": service_ending(organisation=organisation, service=service) if service else None,
    }
    post = request.POST
    postcode_typed = post.get("postcode", "").strip()[:MAX_TYPED]
    street_typed = post.get("street", "").strip()[:MAX_TYPED]
    if request.method != "POST":
        return _ask(request, organisation, context)
    today = timezone.localdate()
    # A street list sent back with nothing chosen has no "choice", so the form names its step.
    if "choice" in post or post.get("step") == "choose-street":
        return _street_chosen(request, organisation, context, street_typed, today)
    if postcode_typed:
        postcode = postcode_normalise(postcode_typed)
        if postcode is None:
            return _ask(
                request,
                organisation,
                context,
                errors={"postcode": "Enter a full postcode, like TF1 1LX"},
                postcode=postcode_typed,
            )
        days = bin_days_for_postcode(organisation=organisation, postcode=postcode, today=today)
        return _answer(request, organisation, context, days=days, place=postcode)
    if street_typed:
        return _street_typed(request, organisation, context, street_typed, today)
    return _ask(
        request,
        organisation,
        context,
        errors={"postcode": "Enter your postcode, or the name of your street below"},
    )


def _ask(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    postcode: str = "",
    street: str = "",
) -> HttpResponse:
    return render_page(
        request,
        "portal/bin_day.html",
        council=organisation,
        title="Check your bin collection day",
        errors=errors,
        status=400 if errors else 200,
        postcode=postcode,
        street=street,
        **context,
    )


def _answer(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    *,
    days: list[BinDay],
    place: str,
) -> HttpResponse:
    return render_page(
        request,
        "portal/bin_day_answer.html",
        council=organisation,
        title=f"Bin collection days for {place}" if days else "We could not find your bin days",
        days=days,
        place=place,
        **context,
    )


def _street_typed(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    typed: str,
    today: date,
) -> HttpResponse:
    search = places_match(organisation=organisation, text=typed, limit=MAX_STREETS)
    streets = [match for match in search.matches if match.street is not None]
    if not streets:
        return _ask(
            request,
            organisation,
            context,
            errors={
                "street": "We could not find that street. Check the spelling, or enter your "
                "postcode"
            },
            street=typed,
        )
    if len(streets) == 1 and search.sure:
        found = streets[0].street
        assert found is not None
        days = bin_days_for_locality(
            organisation=organisation, locality=found.locality, today=today
        )
        return _answer(request, organisation, context, days=days, place=streets[0].label)
    return render_page(
        request,
        "portal/bin_day_street.html",
        council=organisation,
        title="Which street do you live on?",
        typed=typed,
        streets=streets,
        **context,
    )


def _street_chosen(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    typed: str,
    today: date,
) -> HttpResponse:
    search = places_match(organisation=organisation, text=typed, limit=MAX_STREETS)
    streets = [match for match in search.matches if match.street is not None]
    choice = request.POST.get("choice", "")
    chosen = next((match for index, match in enumerate(streets) if str(index) == choice), None)
    if chosen is None or chosen.street is None:
        if not streets:
            return _ask(request, organisation, context, street=typed)
        return render_page(
            request,
            "portal/bin_day_street.html",
            council=organisation,
            title="Which street do you live on?",
            errors={"choice": "Select your street"},
            status=400,
            typed=typed,
            streets=streets,
            **context,
        )
    days = bin_days_for_locality(
        organisation=organisation,
        locality=chosen.street.locality,
        today=today,
    )
    return _answer(request, organisation, context, days=days, place=chosen.label)
