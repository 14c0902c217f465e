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
from civicdesk.core.ratelimit import window_add
from civicdesk.geo.collections import (
    BinDays,
    bin_days_for_locality,
    bin_days_for_postcode,
    collections_known,
    postcode_normalise,
)
from civicdesk.geo.place_matching import PlaceSearch, places_match
from civicdesk.geo.selectors import PlaceMatch
from civicdesk.web.councils import council_for
from civicdesk.web.http import client_address
from civicdesk.web.pages import render_page

from .service_actions import BIN_DAY, service_ending

if TYPE_CHECKING:
    from civicdesk.geo.models import Street
    from civicdesk.organisations.models import Organisation

MAX_TYPED = 100
MAX_STREETS = 8
# Lookups one network address may make in ten minutes, counted in the same kind of window as
# Ask's messages: plenty for a library's computers, few enough that a script cannot keep the
# street search busy for everyone else.
LOOKUP_KIND = "bin-day-lookup"
LOOKUP_LIMIT = 120
LOOKUP_WINDOW_SECONDS = 600
TOO_MANY_LOOKUPS = (
    "Lots of bin day checks have come from your network. Try again in 10 minutes, or contact "
    "us and we will tell you your bin day"
)


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
    looked_up = window_add(
        kind=LOOKUP_KIND, value=client_address(request), window_seconds=LOOKUP_WINDOW_SECONDS
    )
    if looked_up > LOOKUP_LIMIT:
        return _ask(
            request,
            organisation,
            context,
            errors={"postcode": TOO_MANY_LOOKUPS},
            status=429,
            postcode=postcode_typed,
            street=street_typed,
        )
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
    status: int | None = None,
    postcode: str = "",
    street: str = "",
) -> HttpResponse:
    return render_page(
        request,
        "portal/bin_day.html",
        council=organisation,
        title="Check your bin collection day",
        errors=errors,
        status=status or (400 if errors else 200),
        postcode=postcode,
        street=street,
        **context,
    )


def _answer(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    *,
    days: BinDays,
    place: str,
) -> HttpResponse:
    return render_page(
        request,
        "portal/bin_day_answer.html",
        council=organisation,
        title=f"Bin collection days for {place}"
        if days.found
        else "We could not find your bin days",
        days=days,
        place=place,
        **context,
    )


def _streets_matching(
    organisation: Organisation, typed: str
) -> tuple[PlaceSearch, list[PlaceMatch]]:
    """What the typed words match, and of those the streets: bin days go by street."""
    search = places_match(organisation=organisation, text=typed, limit=MAX_STREETS)
    return search, [match for match in search.matches if match.street is not None]


def _street_typed(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    typed: str,
    today: date,
) -> HttpResponse:
    search, streets = _streets_matching(organisation, typed)
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
        return _street_answer(
            request, organisation, context, street=found, place=streets[0].label, today=today
        )
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
    _, streets = _streets_matching(organisation, typed)
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
    return _street_answer(
        request, organisation, context, street=chosen.street, place=chosen.label, today=today
    )


def _street_answer(
    request: HttpRequest,
    organisation: Organisation,
    context: dict[str, Any],
    *,
    street: Street,
    place: str,
    today: date,
) -> HttpResponse:
    """The bin days of the street's town; when the town's bins go on different days in
    different parts, the postcode is asked for rather than a day guessed."""
    days = bin_days_for_locality(organisation=organisation, locality=street.locality, today=today)
    if days.unsure:
        return render_page(
            request,
            "portal/bin_day_postcode.html",
            council=organisation,
            title="We need your postcode",
            town=street.locality,
            errors=None,
            postcode="",
            street="",
            **context,
        )
    return _answer(request, organisation, context, days=days, place=place)
