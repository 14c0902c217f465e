"""Reading visits for staff (the council's own places and visits only), and the places, hours
and drop-in sessions residents are told about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from civicdesk.core.calendar import LONDON
from civicdesk.core.errors import NotFound
from civicdesk.core.timeline import TimelineWindow, timeline_source
from civicdesk.organisations.models import StaffMember

from .choices import SessionKind, VisitKind, VisitStatus, Weekday
from .models import OpeningTime, Session, Venue, Visit


def venues_of(*, organisation_id: int) -> list[Venue]:
    return list(Venue.objects.filter(organisation_id=organisation_id, active=True))


def access_venue(*, staff: StaffMember, venue_id: int) -> Venue:
    venue = (
        Venue.objects.select_related("organisation")
        .filter(organisation_id=staff.organisation_id, active=True, pk=venue_id)
        .first()
    )
    if venue is None:
        raise NotFound("There is no such place.")
    return venue


def access_visit(*, staff: StaffMember, visit_id: int) -> Visit:
    visit = (
        Visit.objects.select_related("venue__organisation", "customer")
        .filter(organisation_id=staff.organisation_id, pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound("There is no such visit.")
    return visit


def reception_list(*, venue: Venue, day: date) -> QuerySet[Visit]:
    """The day's visits at a place (booked for the day, or walked in that day): who is waiting
    comes first (priority first, then in the order they arrived), then who is booked (by
    time), then the rest."""
    start = datetime.combine(day, time.min, tzinfo=LONDON)
    end = datetime.combine(day, time.max, tzinfo=LONDON)
    group = Case(
        When(status=VisitStatus.WAITING, then=Value(0)),
        When(status=VisitStatus.BOOKED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    on_day = Q(starts_at__range=(start, end)) | Q(starts_at=None, arrived_at__range=(start, end))
    return (
        Visit.objects.filter(on_day, venue=venue)
        .select_related("customer")
        .annotate(group=group)
        .order_by("group", "-priority", F("arrived_at").asc(nulls_last=True), "starts_at", "id")
    )


def visits_of_customer(
    *, customer_id: int, window: TimelineWindow, rank: int
) -> QuerySet[Any, Any] | None:
    """A customer's visits in ``window`` of their timeline, each at the booked time of an
    appointment, the arrival of someone who walked in, or else when it was recorded, as a part
    of the timeline's one read (``read_timeline``). Visits are about no case, so there is no
    part when the window is about one."""
    if window.case_id is not None:
        return None
    moment = Coalesce(
        Case(When(kind=VisitKind.APPOINTMENT, then=F("starts_at")), default=F("arrived_at")),
        F("created_at"),
        output_field=DateTimeField(),
    )
    rows = Visit.objects.filter(customer_id=customer_id).annotate(timeline_at=moment)
    shown = {
        field: field
        for field in (
            "kind",
            "status",
            "reason",
            "venue__name",
            "seen_by__first_name",
            "seen_by__last_name",
        )
    }
    return timeline_source(rows, at="timeline_at", rank=rank, window=window, shown=shown)


# Where residents can go: what every service's page tells them


@dataclass(frozen=True)
class Hours:
    days: str  # "Monday to Friday", "Saturday"
    times: str  # "9am to 5pm", "9:30am to 1pm and 2pm to 4pm"


@dataclass(frozen=True)
class PlaceToGo:
    name: str
    kind: str
    address: str
    hours: list[Hours]


@dataclass(frozen=True)
class DropIn:
    place: str
    address: str
    day: str
    times: str
    summary: str


def clock(moment: time) -> str:
    """'9am', '1:30pm', '12 noon': how GOV.UK writes times."""
    if moment == time(12, 0):
        return "12 noon"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def _span(opens: time, closes: time) -> str:
    return f"{clock(opens)} to {clock(closes)}"


def _days(first: int, last: int) -> str:
    names = Weekday.labels
    if first == last:
        return names[first]
    if last == first + 1:
        return f"{names[first]} and {names[last]}"
    return f"{names[first]} to {names[last]}"


def hours_grouped(times: list[OpeningTime]) -> list[Hours]:
    """Opening times as people say them: days in a row with the same hours run together."""
    by_day: dict[int, str] = {}
    for opening in times:
        span = _span(opening.opens, opening.closes)
        by_day[opening.weekday] = (
            f"{by_day[opening.weekday]} and {span}" if opening.weekday in by_day else span
        )
    grouped: list[Hours] = []
    run: list[int] = []
    for day in sorted(by_day):
        if run and day == run[-1] + 1 and by_day[day] == by_day[run[0]]:
            run.append(day)
            continue
        if run:
            grouped.append(Hours(_days(run[0], run[-1]), by_day[run[0]]))
        run = [day]
    if run:
        grouped.append(Hours(_days(run[0], run[-1]), by_day[run[0]]))
    return grouped


def _helps_with(venue: Venue, service_key: str) -> bool:
    keys = {key.strip() for key in venue.helps_with.split(",") if key.strip()}
    return not keys or service_key in keys


def places_to_go(
    *, organisation_id: int, service_key: str = "", kinds: tuple[str, ...] = ()
) -> list[PlaceToGo]:
    """The council's open places (with their hours) where staff help with ``service_key``, or
    of the ``kinds`` given; places with no hours set are left out, since residents could not
    plan a visit. Two queries, however many places."""
    venues = Venue.objects.filter(organisation_id=organisation_id, active=True).prefetch_related(
        "opening_times"
    )
    if kinds:
        venues = venues.filter(kind__in=kinds)
    found = [
        PlaceToGo(
            name=venue.name,
            kind=venue.kind,
            address=venue.address,
            hours=hours_grouped(list(venue.opening_times.all())),
        )
        for venue in venues
        if not service_key or _helps_with(venue, service_key)
    ]
    return [place for place in found if place.hours]


def drop_ins(*, organisation_id: int, kind: str = SessionKind.DIGITAL_HELP) -> list[DropIn]:
    """The weekly sessions of ``kind`` at the council's open places, Monday first. One query."""
    sessions = Session.objects.filter(
        venue__organisation_id=organisation_id, venue__active=True, active=True, kind=kind
    ).select_related("venue")
    return [
        DropIn(
            place=session.venue.name,
            address=session.venue.address,
            day=Weekday(session.weekday).label,
            times=_span(session.starts, session.ends),
            summary=session.summary,
        )
        for session in sessions.order_by("weekday", "starts", "venue__name")
    ]
