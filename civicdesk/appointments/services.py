"""Booking appointments, checking people in at reception and seeing them. Each change is
atomic and audited on the visit."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import DomainError, TransitionNotAllowed, ValidationFailed
from civicdesk.customers.models import Customer
from civicdesk.organisations.models import Organisation

from .choices import VisitKind, VisitStatus
from .models import OpeningTime, Session, Venue, Visit

MAX_DAYS_AHEAD = 90
# What may happen next to a visit, by its status now.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    VisitStatus.BOOKED: frozenset(
        {VisitStatus.WAITING, VisitStatus.NO_SHOW, VisitStatus.CANCELLED}
    ),
    VisitStatus.WAITING: frozenset({VisitStatus.SEEN, VisitStatus.NO_SHOW}),
    VisitStatus.SEEN: frozenset(),
    VisitStatus.NO_SHOW: frozenset(),
    VisitStatus.CANCELLED: frozenset(),
}


def _has_support_need(customer: Customer | None) -> bool:
    return customer is not None and customer.support_needs.filter(ended_at=None).exists()


def _checked_place(venue: Venue, customer: Customer | None, reason: str) -> dict[str, str]:
    if customer is not None and customer.organisation_id != venue.organisation_id:
        raise DomainError("That customer belongs to another organisation.")
    errors: dict[str, str] = {}
    if not venue.active:
        errors["venue"] = "That place no longer takes visits. Choose another"
    if not reason.strip():
        errors["reason"] = "Enter what the visit is about"
    elif len(reason.strip()) > 200:
        errors["reason"] = "What the visit is about must be 200 characters or fewer"
    return errors


def appointment_book(
    *,
    venue: Venue,
    customer: Customer,
    starts_at: datetime | None,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> Visit:
    """Book a time at a reception desk or community hub: a working day, within opening hours,
    from now to MAX_DAYS_AHEAD days ahead."""
    now = now or timezone.now()
    errors = _checked_place(venue, customer, reason)
    calendar = venue.organisation.calendar
    if starts_at is None:
        errors["starts_at"] = "Enter the date and choose a time"
    elif starts_at <= now:
        errors["starts_at"] = "The appointment must be in the future"
    elif starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        errors["starts_at"] = f"The appointment must be within {MAX_DAYS_AHEAD} days"
    elif not calendar.is_working_moment(starts_at):
        errors["starts_at"] = "Choose a time when the council is open, on a working day"
    if errors or starts_at is None:
        raise ValidationFailed("There is a problem with the appointment.", fields=errors)
    with transaction.atomic():
        visit = Visit.objects.create(
            organisation=venue.organisation,
            venue=venue,
            kind=VisitKind.APPOINTMENT,
            customer=customer,
            reason=reason.strip(),
            starts_at=starts_at,
            status=VisitStatus.BOOKED,
            priority=_has_support_need(customer),
            booked_by=actor.saved_user,
        )
        _audit(visit, "appointment_booked", actor, {"starts_at": starts_at.isoformat()})
    return visit


def walk_in_record(
    *,
    venue: Venue,
    customer: Customer | None,
    name_given: str,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> Visit:
    """Someone has arrived without an appointment: they join the waiting list now."""
    errors = _checked_place(venue, customer, reason)
    name_given = name_given.strip()
    if customer is None and not name_given:
        errors["name_given"] = "Enter the name the visitor gave"
    elif len(name_given) > 120:
        errors["name_given"] = "The name must be 120 characters or fewer"
    if errors:
        raise ValidationFailed("There is a problem with the visit.", fields=errors)
    with transaction.atomic():
        visit = Visit.objects.create(
            organisation=venue.organisation,
            venue=venue,
            kind=VisitKind.WALK_IN,
            customer=customer,
            name_given="" if customer is not None else name_given,
            reason=reason.strip(),
            status=VisitStatus.WAITING,
            arrived_at=now or timezone.now(),
            priority=_has_support_need(customer),
            booked_by=actor.saved_user,
        )
        _audit(visit, "walked_in", actor, {})
    return visit


def visit_move(*, visit: Visit, to_status: str, actor: Actor, now: datetime | None = None) -> Visit:
    """Arrived (booked to waiting), seen, did not come or did not wait, or cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = Visit.objects.select_for_update().select_related("venue").get(pk=visit.pk)
        if to_status not in NEXT_STATUSES.get(visit.status, frozenset()):
            raise TransitionNotAllowed(
                f"A visit that is {VisitStatus(visit.status).label.lower()} cannot change "
                "like that. Reload the list to see where it is now."
            )
        before = visit.status
        visit.status = to_status
        if to_status == VisitStatus.WAITING:
            visit.arrived_at = now
            # A support need recorded since the booking counts when they arrive.
            visit.priority = visit.priority or _has_support_need(visit.customer)
        if to_status == VisitStatus.SEEN:
            visit.seen_at = now
            visit.seen_by = actor.saved_user
        visit.save()
        _audit(visit, "visit_status_changed", actor, {"from": before, "to": to_status})
    return visit


def venue_create(
    *, organisation: Organisation, name: str, kind: str, address: str = "", helps_with: str = ""
) -> Venue:
    venue, _ = Venue.objects.get_or_create(
        organisation=organisation,
        name=name,
        defaults={"kind": kind, "address": address, "helps_with": helps_with},
    )
    return venue


def venue_hours_set(
    *, venue: Venue, hours: dict[int, list[tuple[time, time]]], actor: Actor
) -> list[OpeningTime]:
    """Replace a place's opening hours: weekday (0 is Monday) to the times it opens and
    closes that day; days left out are closed."""
    errors: dict[str, str] = {}
    for weekday, spans in hours.items():
        if not 0 <= weekday <= 6:
            errors["weekday"] = "Choose a day of the week"
        if any(opens >= closes for opens, closes in spans):
            errors["closes"] = "Closing time must be after opening time"
    if errors:
        raise ValidationFailed("Check the opening hours.", fields=errors)
    with transaction.atomic():
        OpeningTime.objects.filter(venue=venue).delete()
        created = OpeningTime.objects.bulk_create(
            OpeningTime(venue=venue, weekday=weekday, opens=opens, closes=closes)
            for weekday, spans in sorted(hours.items())
            for opens, closes in spans
        )
        audit_record(
            organisation=venue.organisation,
            subject_type="venue",
            subject_id=venue.pk,
            action="venue_hours_set",
            actor=actor,
            after={"days": sorted(hours)},
        )
    return created


def session_add(
    *,
    venue: Venue,
    kind: str,
    weekday: int,
    starts: time,
    ends: time,
    summary: str = "",
    actor: Actor,
) -> Session:
    """A session held at a place every week (a digital help drop-in, say)."""
    errors: dict[str, str] = {}
    if not 0 <= weekday <= 6:
        errors["weekday"] = "Choose a day of the week"
    if starts >= ends:
        errors["ends"] = "The session must end after it starts"
    if len(summary.strip()) > 200:
        errors["summary"] = "What the session offers must be 200 characters or fewer"
    if errors:
        raise ValidationFailed("Check the session.", fields=errors)
    with transaction.atomic():
        session = Session.objects.create(
            venue=venue,
            kind=kind,
            weekday=weekday,
            starts=starts,
            ends=ends,
            summary=summary.strip(),
        )
        audit_record(
            organisation=venue.organisation,
            subject_type="venue",
            subject_id=venue.pk,
            action="session_added",
            actor=actor,
            after={"kind": kind, "weekday": weekday},
        )
    return session


def _audit(visit: Visit, action: str, actor: Actor, after: dict[str, object]) -> None:
    audit_record(
        organisation=visit.venue.organisation,
        subject_type="visit",
        subject_id=visit.pk,
        action=action,
        actor=actor,
        after=after,
    )
