"""Where the demo councils' residents can go and when: the reception desk, community hubs and
libraries with their opening hours, free digital help drop-ins (held in libraries and hubs,
as the councils' own digital inclusion sessions are), landmarks residents name instead of a
street, and the bin collection rounds behind "check your bin collection day".

Everything goes through the same services an administrator's changes do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from civicdesk.appointments.choices import SessionKind, VenueKind
from civicdesk.appointments.models import Venue
from civicdesk.appointments.services import session_add, venue_create, venue_hours_set
from civicdesk.core.audit import Actor
from civicdesk.geo.choices import BinType
from civicdesk.geo.models import Street
from civicdesk.geo.services import collection_round_save, landmark_save
from civicdesk.organisations.models import Organisation

from .places import Town

ACTOR = Actor(label="Demo data")
WEEKDAYS = (0, 1, 2, 3, 4)
# What the hubs' volunteers and staff help with: the everyday services, not casework that
# needs the back office in the room.
HUB_SERVICES = (
    "bin-day,missed-bin,new-bin,bulky-waste,garden-waste,council-tax-pay,council-tax-move,"
    "council-tax-discount,benefits,housing-register,blue-badge,parking-permit,libraries,"
    "digital-help,my-account,bus-pass"
)
LIBRARY_SERVICES = "libraries,digital-help,my-account,bin-day,blue-badge,council-tax-pay"


def _hours(days: tuple[int, ...], opens: time, closes: time) -> dict[int, list[tuple[time, time]]]:
    return {day: [(opens, closes)] for day in days}


@dataclass(frozen=True)
class Places:
    desk: Venue
    hubs: list[Venue]
    libraries: list[Venue]


def demo_places_create(
    *, organisation: Organisation, towns: tuple[Town, ...], libraries: bool = True
) -> Places:
    """The reception desk, a community hub in each of the first two towns and, unless the
    council runs no libraries (a district's are the county's), a library in each of the first
    three, with their hours and weekly digital help drop-ins."""
    desk = venue_create(
        organisation=organisation,
        name="Customer service centre",
        kind=VenueKind.RECEPTION,
        address=f"Civic Offices, {towns[0].name}",
    )
    venue_hours_set(venue=desk, hours=_hours(WEEKDAYS, time(9), time(17)), actor=ACTOR)
    hubs = []
    for index, town in enumerate(towns[:2]):
        hub = venue_create(
            organisation=organisation,
            name=f"{town.name} community hub",
            kind=VenueKind.COMMUNITY_HUB,
            address=f"Community Centre, {town.name}",
            helps_with=HUB_SERVICES,
        )
        days = (0, 2, 4) if index == 0 else (1, 3)
        venue_hours_set(venue=hub, hours=_hours(days, time(9, 30), time(15, 30)), actor=ACTOR)
        hubs.append(hub)
    library_venues = []
    for index, town in enumerate(towns[:3] if libraries else ()):
        library = venue_create(
            organisation=organisation,
            name=f"{town.name} Library",
            kind=VenueKind.LIBRARY,
            address=f"Station Road, {town.name}" if index == 0 else f"High Street, {town.name}",
            helps_with=LIBRARY_SERVICES,
        )
        hours = _hours(WEEKDAYS, time(9), time(18))
        hours[5] = [(time(9), time(13))]
        venue_hours_set(venue=library, hours=hours, actor=ACTOR)
        library_venues.append(library)
    drop_ins = (
        [
            (library_venues[0], 1, time(10), time(12)),
            (library_venues[1], 3, time(14), time(16)),
            (hubs[0], 4, time(10), time(12)),
            (library_venues[2], 5, time(10), time(12)),
        ]
        if library_venues
        else [(hubs[0], 0, time(10), time(12)), (hubs[1], 3, time(10), time(12))]
    )
    for venue, weekday, starts, ends in drop_ins:
        session_add(
            venue=venue,
            kind=SessionKind.DIGITAL_HELP,
            weekday=weekday,
            starts=starts,
            ends=ends,
            summary="Free help to use email, set up your online account and fill in forms. "
            "No need to book. Bring your phone or tablet if you have one.",
            actor=ACTOR,
        )
    return Places(desk=desk, hubs=hubs, libraries=library_venues)


def demo_landmarks_create(*, organisation: Organisation, towns: tuple[Town, ...]) -> int:
    """Landmarks on the demo streets: the libraries, the hub and a few places residents name."""
    streets = {
        (street.name, street.locality): street
        for street in Street.objects.filter(organisation=organisation)
    }
    wanted = [
        (f"{towns[0].name} Library", "the library, library", ("Station Road", towns[0].name)),
        (f"{towns[1].name} Library", "the library, library", ("High Street", towns[1].name)),
        (
            f"{towns[0].name} railway station",
            "the station, train station",
            ("Station Road", towns[0].name),
        ),
        (f"{towns[0].name} market", "the market", ("Market Street", towns[0].name)),
        ("Telford Town Park", "town park, the park", ("Hall Park Way", "Telford Town Centre")),
    ]
    made = 0
    for name, aliases, (street_name, locality) in wanted:
        street = streets.get((street_name, locality))
        if street is None:
            continue
        coordinates = street.geometry.get("coordinates") or []
        if street.geometry.get("type") == "MultiLineString":
            coordinates = coordinates[0]
        longitude, latitude = coordinates[len(coordinates) // 2]
        landmark_save(
            organisation=organisation,
            name=name,
            also_known_as=aliases,
            street=street,
            latitude=latitude,
            longitude=longitude,
            actor=ACTOR,
        )
        made += 1
    return made


def _week_start(now: datetime) -> date:
    today = timezone.localtime(now).date()
    return today - timedelta(days=today.weekday())


def demo_collection_rounds_create(
    *, organisation: Organisation, towns: tuple[Town, ...], now: datetime
) -> int:
    """A collection day for each postcode district, Monday to Friday in turn: general waste
    and recycling on alternate weeks, food waste every week, garden waste every two weeks."""
    districts: dict[str, list[str]] = {}
    for town in towns:
        for district in town.districts:
            districts.setdefault(district, []).append(town.name)
    monday = _week_start(now)
    made = 0
    for index, (district, names) in enumerate(sorted(districts.items())):
        day = monday + timedelta(days=WEEKDAYS[index % len(WEEKDAYS)])
        localities = ", ".join(names)
        for bin_type, weeks, offset in (
            (BinType.GENERAL, 2, 0),
            (BinType.RECYCLING, 2, 7),
            (BinType.FOOD, 1, 0),
            (BinType.GARDEN, 2, 7),
        ):
            collection_round_save(
                organisation=organisation,
                name=f"{district} {BinType(bin_type).label.lower()}, {day:%A}s",
                bin_type=bin_type,
                first_collection=day + timedelta(days=offset),
                every_weeks=weeks,
                postcode_areas=district,
                localities=localities,
                actor=ACTOR,
            )
            made += 1
    return made
