"""Reading cases, always through what the member of staff is allowed to see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from civicdesk.core.errors import NotFound
from civicdesk.core.models import AuditEvent
from civicdesk.core.references import reference_normalise
from civicdesk.customers.models import Customer
from civicdesk.customers.normalise import normalise_email, normalise_phone
from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.selectors import team_ids_for

from .clock import clock_state_at
from .models import (
    OPEN_STATUSES,
    RUNNING_CLOCK_STATES,
    Attachment,
    Case,
    CaseNote,
    CaseStatus,
    NoteVisibility,
)


def cases_visible_to(staff: StaffMember) -> QuerySet[Case]:
    """Cases of the staff member's organisation; sensitive services only for the handling team."""
    return Case.objects.filter(organisation_id=staff.organisation_id).filter(
        Q(request_type__sensitive=False) | Q(team_id__in=team_ids_for(staff))
    )


def access_case(*, staff: StaffMember, reference: str) -> Case:
    """The case with this reference if the staff member may see it.

    A case they may not see is reported exactly like one that does not exist.
    """
    canonical = reference_normalise(reference)
    case = (
        cases_visible_to(staff)
        .select_related("request_type", "customer", "team", "assigned_to", "organisation")
        .filter(reference=canonical)
        .first()
        if canonical
        else None
    )
    if case is None:
        raise NotFound("There is no case with that reference.")
    return case


def clock_state_now(case: Case, now: datetime | None = None) -> str:
    """The clock state as of now, whether or not the sweep has run since it changed."""
    if case.clock_state not in RUNNING_CLOCK_STATES:
        return case.clock_state
    return clock_state_at(case, now or timezone.now())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    summary: str
    actor: str


def case_timeline(case: Case, *, include_internal: bool) -> list[TimelineEntry]:
    """What happened on a case, oldest first. Residents see public updates and status changes;
    staff also see internal notes and the audit trail."""
    entries: list[TimelineEntry] = []
    notes: QuerySet[CaseNote] = case.notes.all()
    if not include_internal:
        notes = notes.filter(visibility=NoteVisibility.PUBLIC)
    for note in notes:
        entries.append(
            TimelineEntry(note.created_at, note.visibility, note.body, note.author_label)
        )
    events = AuditEvent.objects.filter(subject_type="case", subject_id=case.pk)
    if not include_internal:
        events = events.filter(action__in=["opened", "status_changed"])
    for event in events:
        entries.append(TimelineEntry(event.at, event.action, _describe(event), event.actor_label))
    return sorted(entries, key=lambda entry: entry.at)


def _describe(event: AuditEvent) -> str:
    if event.action == "status_changed":
        now = _status_label(event.after.get("status"))
        before = event.before.get("status")
        if before:
            return f"Status changed from {_status_label(before)} to {now}"
        return f"Status changed to {now}"
    if event.action == "opened":
        return "Case opened"
    return event.action.replace("_", " ").capitalize()


def _status_label(status: str) -> str:
    try:
        return str(CaseStatus(status).label).lower()
    except ValueError:
        return str(status)


def case_for_tracking(*, organisation_id: int, reference: str, email_or_phone: str) -> Case | None:
    """A case a resident may follow without an account: the reference must match, and so must
    an email address or phone number we hold for the customer. Anything else finds nothing,
    and the answer does not say which part was wrong."""
    canonical = reference_normalise(reference)
    detail = email_or_phone.strip()
    if canonical is None or not detail:
        return None
    normalised = normalise_email(detail) if "@" in detail else normalise_phone(detail)
    return (
        Case.objects.select_related("request_type", "organisation")
        .filter(
            organisation_id=organisation_id,
            reference=canonical,
            customer__details__normalised=normalised,
        )
        .first()
    )


def cases_of_customer(customer: Customer) -> QuerySet[Case]:
    """A resident's own cases, newest first (cases of records merged into theirs have moved)."""
    return (
        Case.objects.filter(customer_id=customer.pk, organisation_id=customer.organisation_id)
        .select_related("request_type", "organisation")
        .order_by("-opened_at", "-id")
    )


def access_resident_case(*, customer: Customer, reference: str) -> Case:
    """One of the resident's own cases. Anyone else's is reported exactly like no case at all."""
    canonical = reference_normalise(reference)
    case = cases_of_customer(customer).filter(reference=canonical).first() if canonical else None
    if case is None:
        raise NotFound("There is no case with that reference.")
    return case


def public_documents(case: Case) -> QuerySet[Attachment]:
    return case.attachments.filter(public=True).order_by("created_at", "id")


def access_resident_document(*, customer: Customer, reference: str, document_id: int) -> Attachment:
    """A document the resident may download: public, on one of their own cases."""
    case = access_resident_case(customer=customer, reference=reference)
    document = public_documents(case).filter(pk=document_id).first()
    if document is None:
        raise NotFound("There is no such document.")
    return document


def reopen_deadline(case: Case) -> datetime | None:
    """Until when the resident can say a resolved case is not fixed and have it reopened."""
    if case.status != CaseStatus.RESOLVED or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=settings.REOPEN_WINDOW_DAYS)


def access_case_in_session(*, case_id: object, open_only: bool = False) -> Case | None:
    """A case whose id the resident's own session recorded: the one they just made, or the one
    they chose to follow. The id never comes from the address bar, so nobody else reaches it."""
    if not isinstance(case_id, int):
        return None
    cases = Case.objects.select_related("organisation", "customer", "request_type")
    if open_only:
        cases = cases.filter(status__in=OPEN_STATUSES)
    return cases.filter(pk=case_id).first()


def open_cases_in_order(case_ids: Sequence[int]) -> list[Case]:
    """The cases with these ids that are still open, in the order given."""
    found = {
        case.pk: case
        for case in Case.objects.filter(pk__in=case_ids, status__in=OPEN_STATUSES).select_related(
            "request_type"
        )
    }
    return [found[pk] for pk in case_ids if pk in found]
