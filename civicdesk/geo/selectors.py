"""Where is this, and whose is it? Location checks for street reports.

``location_check`` decides whether a report at a place is for this council, a neighbouring
council, the other tier in a two-tier area, a council around ours that is not on this
installation (sent to its report page with the place, ADR 0048), or for nobody we know of, and
whether the road there is one the council maintains. ``places_find`` is the route for residents
who do not use the map (place_matching.places_match reads their words more loosely);
``nearby_open_cases`` offers open reports close by before a duplicate is made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from string import Formatter
from urllib.parse import quote

from django.db.models import Q
from shapely.geometry import Point, shape

from civicdesk.cases.choices import OPEN_STATUSES
from civicdesk.cases.models import Case
from civicdesk.catalogue.choices import ProviderTier
from civicdesk.catalogue.models import RequestType
from civicdesk.organisations.choices import OrganisationKind
from civicdesk.organisations.models import Organisation
from civicdesk.organisations.selectors import organisation_providing, organisations_at

from .choices import Adoption
from .geometry import LocalPlane, degrees_around, geojson_lines, line_midpoint, longest_line
from .models import NeighbouringCouncil, Street

# Services about the road itself. A report of one of these on a road the council does not
# maintain (unadopted, private, or a National Highways motorway or trunk road) is not ours.
ROAD_SERVICE_AREAS = frozenset({"Highways"})
ROAD_REQUEST_KEYS = frozenset({"pothole", "street-light", "fallen-tree", "flooding", "gritting"})

STREET_REACH_METRES = 30
NATIONAL_HIGHWAYS = "National Highways"
NATIONAL_HIGHWAYS_URL = "https://nationalhighways.co.uk/"
NATIONAL_HIGHWAYS_PHONE = "0300 123 5000"
ROAD_OWNER = "the owner of the road"
OTHER_PLACE = "the council for that place"


class Outcome:
    ACCEPTED = "accepted"
    OTHER_COUNCIL = "other_council"
    NOT_MAINTAINED = "not_maintained"
    OUTSIDE = "outside"


@dataclass(frozen=True)
class LocationVerdict:
    outcome: str
    message: str
    provider: Organisation | None
    responsible_name: str
    responsible_url: str
    street: Street | None
    # The council on this installation that looks after the place, when it is not ours: the
    # resident's journey can carry on with it rather than start again on its website.
    council: Organisation | None = None
    # responsible_url is their own report page, opened at the place, not only their website.
    report_page: bool = False

    @property
    def accepted(self) -> bool:
        return self.outcome == Outcome.ACCEPTED


@dataclass(frozen=True)
class PlaceMatch:
    label: str
    latitude: float
    longitude: float
    street: Street | None
    reason: str = ""  # how it was found in what the resident typed, when not by every word


def concerns_the_road(request_type: RequestType) -> bool:
    """Whether the service is about the road itself, so that who maintains it matters."""
    return (
        request_type.key in ROAD_REQUEST_KEYS
        or request_type.service_area.name in ROAD_SERVICE_AREAS
    )


def location_check(
    *, organisation: Organisation, request_type: RequestType, latitude: float, longitude: float
) -> LocationVerdict:
    """Who should deal with a report of ``request_type`` at a place, asked on
    ``organisation``'s pages. See the module notes; no case is made here."""
    councils = [
        place
        for place in organisations_at(longitude=longitude, latitude=latitude)
        if place.kind != OrganisationKind.PARTNER
    ]
    street = street_nearest(organisations=councils, latitude=latitude, longitude=longitude)
    if all(place.pk != organisation.pk for place in councils):
        # A council on this installation always wins over one that is not.
        neighbour = (
            None if councils else neighbouring_council_at(latitude=latitude, longitude=longitude)
        )
        if neighbour is not None:
            return _off_installation(neighbour, latitude=latitude, longitude=longitude)
        return _elsewhere(councils, request_type, street)
    tier = request_type.provider_tier
    provider = next((place for place in [organisation, *councils] if place.provides(tier)), None)
    if provider is None:
        return _other_tier(tier, street)
    if street is not None and not street.maintained_by_council and concerns_the_road(request_type):
        return _not_maintained(street)
    return _accepted(organisation, provider, street)


def area_check(*, organisation: Organisation, request_type: RequestType) -> LocationVerdict:
    """Who deals with ``request_type`` in ``organisation``'s area when the place is known only
    from words (no point on the map): the council itself when it provides the service, or else
    the council on this installation that provides it there (the county around a district,
    say), found at a point inside the council's boundary. No street is known."""
    tier = request_type.provider_tier
    if organisation.provides(tier):
        return _accepted(organisation, organisation, None)
    provider = None
    if organisation.boundary:
        inside = shape(organisation.boundary).representative_point()
        provider = organisation_providing(tier=tier, longitude=inside.x, latitude=inside.y)
    if provider is None:
        return _other_tier(tier, None)
    return _accepted(organisation, provider, None)


def _accepted(
    organisation: Organisation, provider: Organisation, street: Street | None
) -> LocationVerdict:
    if provider.pk == organisation.pk:
        message = "This place is in our area. You can report it to us."
    else:
        message = f"{provider.name} looks after this here. We will send your report to them."
    return LocationVerdict(Outcome.ACCEPTED, message, provider, "", "", street)


def _elsewhere(
    councils: Sequence[Organisation], request_type: RequestType, street: Street | None
) -> LocationVerdict:
    other = next((place for place in councils if place.provides(request_type.provider_tier)), None)
    if other is None:
        return LocationVerdict(
            Outcome.OUTSIDE,
            "This place is not in our area. Please contact the council for that place.",
            None,
            OTHER_PLACE,
            "",
            street,
        )
    message = f"This place is in the area of {other.name}. They look after it, not us."
    if other.website:
        message += " Please report it to them on their website."
    else:
        message += " Please report it to them."
    return LocationVerdict(
        Outcome.OTHER_COUNCIL, message, None, other.name, other.website, street, council=other
    )


def _off_installation(
    neighbour: NeighbouringCouncil, *, latitude: float, longitude: float
) -> LocationVerdict:
    page = report_page_for(neighbour, latitude=latitude, longitude=longitude)
    message = (
        f"This place is in the area of {neighbour.name}. They look after it, not us, and "
        "they do not use this website."
    )
    if page.opens_at_place:
        message += " You can report it to them online. Our link opens their page at this place."
    elif page.url:
        message += " You can report it to them online."
    elif not neighbour.phone:
        message += " Please report it to them."
    if neighbour.phone:
        also = " also" if page.url else ""
        message += f" You can{also} phone them on {neighbour.phone}."
    return LocationVerdict(
        Outcome.OTHER_COUNCIL,
        message,
        None,
        neighbour.name,
        page.url,
        None,
        report_page=page.opens_at_place,
    )


def _other_tier(tier: str, street: Street | None) -> LocationVerdict:
    """The service belongs to the other tier here, and that council is not on this
    installation."""
    name = f"the {ProviderTier(tier).label.lower()} for this place"
    return LocationVerdict(
        Outcome.OTHER_COUNCIL,
        f"This is looked after by {name}, not us. Please report it to them.",
        None,
        name,
        "",
        street,
    )


def _not_maintained(street: Street) -> LocationVerdict:
    if street.adoption == Adoption.NATIONAL_HIGHWAYS:
        return LocationVerdict(
            Outcome.NOT_MAINTAINED,
            f"{street.name} is looked after by {NATIONAL_HIGHWAYS}, not the council. "
            "Please report it to them on their website. If it is dangerous, call them on "
            f"{NATIONAL_HIGHWAYS_PHONE}. The line is open 24 hours a day.",
            None,
            NATIONAL_HIGHWAYS,
            NATIONAL_HIGHWAYS_URL,
            street,
        )
    why = (
        "It is a private road."
        if street.adoption == Adoption.PRIVATE
        else "The council has not taken it over."
    )
    who = (
        f"{street.maintainer} looks after it, so please tell them."
        if street.maintainer
        else "The owner of the road must fix it, or the people who live on it and share it."
    )
    return LocationVerdict(
        Outcome.NOT_MAINTAINED,
        f"We do not look after {street.name}. {why} {who} "
        "If something there is dangerous, still tell us. We can act on walls and buildings "
        "that may fall. Our environmental health team can act on risks to health, even on "
        "private land.",
        None,
        street.maintainer or ROAD_OWNER,
        "",
        street,
    )


# Councils around ours that are not on this installation


def neighbouring_council_at(*, latitude: float, longitude: float) -> NeighbouringCouncil | None:
    """The council not on this installation whose boundary holds the point, or None."""
    candidates = NeighbouringCouncil.objects.filter(
        min_latitude__lte=latitude,
        max_latitude__gte=latitude,
        min_longitude__lte=longitude,
        max_longitude__gte=longitude,
    ).order_by("name", "pk")
    point = Point(longitude, latitude)
    return next((council for council in candidates if shape(council.boundary).covers(point)), None)


@dataclass(frozen=True)
class ReportPage:
    url: str
    opens_at_place: bool


def report_page_for(
    council: NeighbouringCouncil, *, latitude: float, longitude: float
) -> ReportPage:
    """Where to send a resident to report a problem at a place to ``council``: its report page
    with the place filled in (6 decimals, about 10 cm; URL-encoded), or its website when it has
    no report page."""
    address = council.report_url
    if not address:
        return ReportPage(council.website, False)
    needs = {name for _, name, _, _ in Formatter().parse(address) if name}
    values = {"latitude": f"{latitude:.6f}", "longitude": f"{longitude:.6f}"}
    filled = address.format_map({name: quote(value, safe="") for name, value in values.items()})
    return ReportPage(filled, bool(needs))


# Streets


def street_nearest(
    *,
    organisations: Sequence[Organisation],
    latitude: float,
    longitude: float,
    metres: float = STREET_REACH_METRES,
) -> Street | None:
    """The nearest street of ``organisations`` within ``metres`` of a place, or None."""
    if not organisations:
        return None
    latitude_reach, longitude_reach = degrees_around(latitude=latitude, metres=metres)
    candidates = Street.objects.filter(
        organisation__in=[place.pk for place in organisations],
        min_latitude__lte=latitude + latitude_reach,
        max_latitude__gte=latitude - latitude_reach,
        min_longitude__lte=longitude + longitude_reach,
        max_longitude__gte=longitude - longitude_reach,
    )
    plane = LocalPlane(latitude=latitude, longitude=longitude)
    measured = [
        (
            min(plane.distance_to_line(line) for line in geojson_lines(street.geometry)),
            street.pk,
            street,
        )
        for street in candidates
    ]
    within = [entry for entry in measured if entry[0] <= metres]
    return min(within, key=lambda entry: entry[:2])[2] if within else None


_WORD = re.compile(r"[\w'\u2019-]+")
MAX_WORDS = 8


def places_find(*, organisation: Organisation, text: str, limit: int = 10) -> list[PlaceMatch]:
    """Streets of the organisation whose name or locality holds every word of ``text``."""
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    if not words or limit < 1:
        return []
    query = Q()
    for word in words:
        query &= Q(name__icontains=word) | Q(locality__icontains=word)
    streets = Street.objects.filter(query, organisation=organisation).order_by(
        "name", "locality", "usrn"
    )
    matches: dict[str, PlaceMatch] = {}
    for street in streets[: limit * 3]:
        label = str(street)
        if label not in matches:
            longitude, latitude = line_midpoint(longest_line(geojson_lines(street.geometry)))
            matches[label] = PlaceMatch(label, round(latitude, 6), round(longitude, 6), street)
    return list(matches.values())[:limit]


# Reports close by


def nearby_open_cases(
    *,
    organisation: Organisation,
    request_type: RequestType,
    latitude: float,
    longitude: float,
    metres: int = 200,
    limit: int = 5,
) -> list[Case]:
    """Open cases of the same service at ``organisation`` within ``metres``, nearest first.

    The service is matched by its key, so a two-tier portal can ask about the provider's cases
    with its own request type.
    """
    latitude_reach, longitude_reach = degrees_around(latitude=latitude, metres=metres)
    candidates = Case.objects.filter(
        organisation=organisation,
        request_type__key=request_type.key,
        status__in=OPEN_STATUSES,
        latitude__range=(latitude - latitude_reach, latitude + latitude_reach),
        longitude__range=(longitude - longitude_reach, longitude + longitude_reach),
    ).select_related("request_type")
    plane = LocalPlane(latitude=latitude, longitude=longitude)
    measured = []
    for case in candidates:
        if case.latitude is None or case.longitude is None:
            continue
        distance = plane.distance_to_point(longitude=case.longitude, latitude=case.latitude)
        if distance <= metres:
            measured.append((distance, case.pk, case))
    measured.sort(key=lambda entry: entry[:2])
    return [case for _, _, case in measured[:limit]]


@dataclass(frozen=True)
class NearbyReport:
    """What a resident who dropped a pin may see of someone else's open report: the service,
    roughly how far away, the street and when. Never the description, reference or answers."""

    service: str
    metres: float
    street: str
    reported_at: datetime

    @property
    def distance(self) -> str:
        """'about 40 metres away': rounded, so the exact spot is not given away."""
        if self.metres < 10:
            return "less than 10 metres away"
        step = 10 if self.metres < 100 else 50
        return f"about {round(self.metres / step) * step} metres away"


def nearby_reports_describe(
    *, cases: Sequence[Case], latitude: float, longitude: float
) -> list[NearbyReport]:
    """The safe summary of each case, measured from the place the resident chose."""
    plane = LocalPlane(latitude=latitude, longitude=longitude)
    described = []
    for case in cases:
        if case.latitude is None or case.longitude is None:
            continue
        street = street_nearest(
            organisations=[case.organisation], latitude=case.latitude, longitude=case.longitude
        )
        described.append(
            NearbyReport(
                service=case.request_type.name,
                metres=plane.distance_to_point(longitude=case.longitude, latitude=case.latitude),
                street=street.name if street is not None else "",
                reported_at=case.opened_at,
            )
        )
    return described
