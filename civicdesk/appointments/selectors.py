"""Reading visits for staff: the council's own places and visits only."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from civicdesk.core.calendar import LONDON
from civicdesk.core.errors import NotFound
from civicdesk.core.timeline import TimelineWindow, timeline_rows
from civicdesk.organisations.models import StaffMember

from .choices import VisitKind, VisitStatus
from .models import Venue, Visit


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


def visits_of_customer(*, customer_id: int, window: TimelineWindow, rank: int) -> list[Visit]:
    """A customer's visits in ``window`` of their timeline, each at ``timeline_at``: the
    booked time of an appointment, the arrival of someone who walked in, or else when it was
    recorded. Visits are about no case, so there are none when the window is about one."""
    if window.case_id is not None:
        return []
    moment = Coalesce(
        Case(When(kind=VisitKind.APPOINTMENT, then=F("starts_at")), default=F("arrived_at")),
        F("created_at"),
        output_field=DateTimeField(),
    )
    rows = (
        Visit.objects.filter(customer_id=customer_id)
        .annotate(timeline_at=moment)
        .select_related("venue", "seen_by")
        .only(
            "kind",
            "status",
            "reason",
            "starts_at",
            "arrived_at",
            "created_at",
            "venue__name",
            "seen_by__first_name",
            "seen_by__last_name",
        )
    )
    return list(timeline_rows(rows, at="timeline_at", rank=rank, window=window))
