"""Reading visits for staff: the council's own places and visits only."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from civicdesk.core.calendar import LONDON
from civicdesk.core.errors import NotFound
from civicdesk.customers.models import Customer
from civicdesk.organisations.models import StaffMember

from .choices import VisitStatus
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


def visits_of_customer(customer: Customer) -> QuerySet[Visit]:
    """A customer's visits, the latest first, for the single customer view."""
    return (
        Visit.objects.filter(customer=customer)
        .select_related("venue")
        .order_by(F("starts_at").desc(nulls_last=True), "-arrived_at", "-id")
    )
