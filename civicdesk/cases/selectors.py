"""Reading cases, always through what the member of staff is allowed to see."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.exchange import CaseUse
from civicdesk.catalogue.models import RequestType
from civicdesk.contacts.services import REPEAT_WINDOW
from civicdesk.core.choices import Priority
from civicdesk.core.errors import NotFound
from civicdesk.core.models import AuditEvent
from civicdesk.core.numbers import whole_number
from civicdesk.core.references import legacy_reference_key, reference_normalise
from civicdesk.core.text import describe_deadline
from civicdesk.core.timeline import TimelineWindow, timeline_source
from civicdesk.customers.models import Customer
from civicdesk.customers.normalise import (
    looks_like_postcode,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from civicdesk.customers.selectors import account_history_from, customers_matching, customers_of
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.selectors import team_ids_for

from .choices import (
    OPEN_STATUSES,
    RELEASED_VIRUS_CHECKS,
    RUNNING_CLOCK_STATES,
    CaseStatus,
    ClockState,
    NoteVisibility,
)
from .clock import clock_state_at
from .customer_messages import is_late
from .editing import audit_entries_written_since_created
from .models import Attachment, Case, CaseNote


def likely_case(
    *, open_cases: Sequence[Case], service_key: str, now: datetime | None = None
) -> Case | None:
    """The open case a new contact is most likely about, to suggest and never to choose: the
    most recently active one about the service the adviser picked, or, before they pick one,
    the most recently active one if it moved within the repeat window. ``open_cases`` come
    most recently active first, with their request types."""
    if service_key:
        return next((case for case in open_cases if case.request_type.key == service_key), None)
    recent = (now or timezone.now()) - REPEAT_WINDOW
    return next((case for case in open_cases if case.updated_at >= recent), None)


def cases_visible_to(staff: StaffMember) -> QuerySet[Case]:
    """Cases of the staff member's organisation; sensitive services only for the handling team.
    Reads nothing of ``staff`` that ``staff_scope`` does not name."""
    return Case.objects.filter(organisation_id=staff.organisation_id).filter(
        Q(request_type__sensitive=False) | Q(team_id__in=team_ids_for(staff))
    )


def case_visible_to(*, staff: StaffMember, case: Case) -> bool:
    return cases_visible_to(staff).filter(pk=case.pk).exists()


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


# The audit entries a customer sees in a case's history.
CUSTOMER_TIMELINE_ACTIONS = ("opened", "imported", "status_changed")


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
        events = events.filter(action__in=CUSTOMER_TIMELINE_ACTIONS)
    for event in events:
        entries.append(TimelineEntry(event.at, event.action, _describe(event), event.actor_label))
    return sorted(entries, key=lambda entry: entry.at)


def case_timeline_as_opened(case: Case) -> list[TimelineEntry]:
    """What the customer sees of the history of a case this request has just opened (with
    ``lifecycle.case_open``, and changed no further): the entries opening it wrote, without
    reading them back. Read as ``case_timeline`` does from any other copy of the case."""
    written = audit_entries_written_since_created(case)
    if written is None:
        return case_timeline(case, include_internal=False)
    entries = [
        TimelineEntry(event.at, event.action, _describe(event), event.actor_label)
        for event in written
        if event.action in CUSTOMER_TIMELINE_ACTIONS
    ]
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
    if event.action == "imported":
        return "Brought over from the council's previous system"
    return event.action.replace("_", " ").capitalize()


def _status_label(status: str) -> str:
    try:
        return str(CaseStatus(status).label).lower()
    except ValueError:
        return str(status)


def case_version(*, case_id: int) -> int:
    """The version stored now, which a change made through another copy of the case moved on."""
    return Case.objects.values_list("version", flat=True).get(pk=case_id)


def newest_public_note() -> Subquery:
    """The words of a case's newest public note as outside systems may read them (its
    ``public_body``; None without one), to annotate a query of cases with: read in the same
    query as the cases, however many there are."""
    return Subquery(
        CaseNote.objects.filter(case_id=OuterRef("pk"), visibility=NoteVisibility.PUBLIC)
        .order_by("-created_at", "-id")
        .values("public_body")[:1]
    )


def public_notes_by_id(*, note_ids: Iterable[int]) -> dict[int, CaseNote]:
    """The notes with these ids that are public, by id; internal ones are left out."""
    return CaseNote.objects.filter(visibility=NoteVisibility.PUBLIC).in_bulk(set(note_ids))


def case_for_tracking(*, organisation_id: int, reference: str, email_or_phone: str) -> Case | None:
    """A case a resident may follow without an account: the reference must match, and so must
    an email address or phone number we hold for the customer. Anything else finds nothing,
    and the answer does not say which part was wrong."""
    detail = email_or_phone.strip()
    matching = _reference_matching(reference)
    if matching is None or not detail:
        return None
    normalised = normalise_email(detail) if "@" in detail else normalise_phone(detail)
    return (
        Case.objects.select_related("request_type", "organisation")
        .filter(matching, organisation_id=organisation_id, customer__details__normalised=normalised)
        .first()
    )


def _reference_matching(text: str) -> Q | None:
    """Cases with this reference, ours or the one a case brought over from the council's
    previous system had there; None if the text cannot be either."""
    canonical = reference_normalise(text)
    legacy_key = legacy_reference_key(text)
    if canonical is None and not legacy_key:
        return None
    matching = Q(legacy_reference_key=legacy_key) if legacy_key else Q()
    return matching | Q(reference=canonical) if canonical is not None else matching


def has_legacy_cases(*, organisation_id: int) -> bool:
    """Whether the organisation brought cases over from its previous system."""
    return Case.objects.filter(
        organisation_id=organisation_id, legacy_reference_key__gt=""
    ).exists()


def cases_with_reference(*, staff: StaffMember, query: str, limit: int = 5) -> list[Case]:
    """The cases the member of staff may see with this reference, ours or the old system's."""
    matching = _reference_matching(query.strip())
    if matching is None:
        return []
    return list(
        cases_visible_to(staff)
        .filter(matching)
        .select_related("request_type", "customer")
        .order_by("-opened_at")[:limit]
    )


def cases_of_customer(customer: Customer) -> QuerySet[Case]:
    """A resident's own cases, newest first (cases of records merged into theirs have moved).

    An account not yet confirmed as the resident's shows only cases made since it was set up,
    and so none of their notes, documents or history from before (ADR 24)."""
    cases = Case.objects.filter(customer_id=customer.pk, organisation_id=customer.organisation_id)
    since = account_history_from(customer)
    if since is not None:
        cases = cases.filter(created_at__gte=since)
    return cases.select_related("request_type", "organisation").order_by("-opened_at", "-id")


def cases_hidden_from(*, staff: StaffMember, customer: Customer) -> bool:
    """Whether the customer has a case this member of staff may not see (another team's
    sensitive case, say)."""
    visible = cases_visible_to(staff).filter(customer_id=customer.pk).values("pk")
    return Case.objects.filter(customer_id=customer.pk).exclude(pk__in=visible).exists()


def customer_case_ids_for_staff(*, staff: StaffMember, customer_id: int) -> QuerySet[Case, Any]:
    """The ids of the customer's cases that the staff member may see, as a query to use inside
    another one (the messages and ratings of the single customer view)."""
    return cases_visible_to(staff).filter(customer_id=customer_id).values("id")


def customer_cases_for_staff(*, staff: StaffMember, customer_id: int) -> list[Case]:
    """Every case of the customer's that the staff member may see, newest first, with what
    the single customer view shows of them: its case list shows the latest, and its timeline
    can be narrowed to any of them, from this one read."""
    return list(
        cases_visible_to(staff)
        .filter(customer_id=customer_id)
        .select_related("request_type")
        .only(
            "reference",
            "status",
            "opened_at",
            "due_at",
            "due_soon_at",
            "clock_state",
            "request_type__name",
        )
        .order_by("-opened_at", "-id")
    )


def customer_cases_in_timeline(
    *, staff: StaffMember, customer_id: int, window: TimelineWindow, rank: int
) -> QuerySet[Any, Any]:
    """The customer's cases that the staff member may see, opened in ``window`` of their
    timeline, as a part of the timeline's one read (``read_timeline``)."""
    rows = cases_visible_to(staff).filter(customer_id=customer_id)
    if window.case_id is not None:
        rows = rows.filter(pk=window.case_id)
    shown = {
        "reference": "reference",
        "channel": "channel",
        "status": "status",
        "service": "request_type__name",
    }
    return timeline_source(rows, at="opened_at", rank=rank, window=window, shown=shown)


def access_resident_case(*, customer: Customer, reference: str) -> Case:
    """One of the resident's own cases. Anyone else's is reported exactly like no case at all."""
    canonical = reference_normalise(reference)
    case = cases_of_customer(customer).filter(reference=canonical).first() if canonical else None
    if case is None:
        raise NotFound("There is no case with that reference.")
    return case


def public_documents(case: Case) -> QuerySet[Attachment]:
    """The documents the resident may see: public, and released by the virus check."""
    return case.attachments.filter(public=True, virus_check__in=RELEASED_VIRUS_CHECKS).order_by(
        "created_at", "id"
    )


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
    cases = Case.objects.select_related("organisation", "customer", "request_type", "team")
    if open_only:
        cases = cases.filter(status__in=OPEN_STATUSES)
    return cases.filter(pk=case_id).first()


def open_cases_in_order(case_ids: Sequence[int]) -> list[Case]:
    """The cases with these ids that are still open, in the order given, with their service's
    questions (for what may be said of them in public)."""
    found = {
        case.pk: case
        for case in Case.objects.filter(pk__in=case_ids, status__in=OPEN_STATUSES)
        .select_related("request_type", "organisation")
        .prefetch_related("request_type__questions")
    }
    return [found[pk] for pk in case_ids if pk in found]


# What anyone may be told about an open report near them: never who made it, nor anything they
# typed; only the catalogue's wording of the answers it marks public.
_PUBLIC_STATUS = {
    CaseStatus.NEW: "Reported, not yet looked at",
    CaseStatus.ASSIGNED: "With the team that deals with it",
    CaseStatus.IN_PROGRESS: "Being dealt with",
    CaseStatus.WAITING: "Waiting for more information",
    CaseStatus.REOPENED: "Reopened: it was not fixed",
}


@dataclass(frozen=True)
class PublicProgress:
    reference: str
    status: str
    answers: tuple[tuple[str, str], ...]
    expectation: str
    late: bool


def case_public_progress(case: Case, *, now: datetime | None = None) -> PublicProgress:
    """An open case as a neighbour reporting the same problem may see it: its reference, its
    status, the public answers (question, answer) and an honest expectation."""
    moment = now or timezone.now()
    answers = tuple(
        (question.label, str(case.answers[question.key]))
        for question in case.request_type.questions.all()
        if question.public
        and question.kind == QuestionKind.CHOICE
        and case.answers.get(question.key) not in (None, "")
    )
    late = is_late(case, now=moment)
    return PublicProgress(
        reference=case.reference,
        status=_PUBLIC_STATUS.get(CaseStatus(case.status), CaseStatus(case.status).label),
        answers=answers,
        expectation=_public_expectation(case, late=late),
        late=late,
    )


def _public_expectation(case: Case, *, late: bool) -> str:
    what = case.target_summary or "respond"
    if case.clock_state == ClockState.PAUSED:
        return "We are waiting for more information before we can carry on."
    if case.due_at is None:
        return "We have not set a date for this yet."
    if late:
        return (
            f"This is late: we aimed to {what} by {describe_deadline(case.due_at)}. The team's "
            "managers have been told. If you follow it, we will tell you when there is news."
        )
    return f"We aim to {what} by {describe_deadline(case.due_at)}."


def case_request_types(*, organisation_id: int) -> list[RequestType]:
    """The services a case can be opened for, by name, with their questions."""
    return list(
        RequestType.objects.filter(organisation_id=organisation_id, active=True)
        .exclude(kind=RequestKind.INFORMATION)
        .select_related("service_area")
        .order_by("name")
    )


@dataclass(frozen=True)
class QueueFilters:
    """What a queue shows. Empty values mean "any"."""

    team: str = ""  # a team id, "mine" (assigned to me) or "unassigned" (no team yet)
    service_area: str = ""
    status: str = ""
    due: str = ""  # a clock state
    priority: str = ""
    area: str = ""  # the start of the customer's postcode, such as TF1


def queue_cases(*, staff: StaffMember, filters: QueueFilters) -> QuerySet[Case]:
    """Open cases for a queue, soonest due first (cases without a target last)."""
    cases = (
        cases_visible_to(staff)
        .filter(status__in=OPEN_STATUSES)
        .select_related("request_type__service_area", "team", "assigned_to", "customer")
    )
    if filters.team == "mine":
        cases = cases.filter(assigned_to_id=staff.user_id)
    elif filters.team == "unassigned":
        cases = cases.filter(team__isnull=True)
    elif (team_id := whole_number(filters.team)) is not None:
        cases = cases.filter(team_id=team_id)
    if (service_area_id := whole_number(filters.service_area)) is not None:
        cases = cases.filter(request_type__service_area_id=service_area_id)
    if filters.status in OPEN_STATUSES:
        cases = cases.filter(status=filters.status)
    if filters.due in ClockState.values:
        cases = cases.filter(_clock_state_now_is(filters.due, timezone.now()))
    if filters.priority in Priority.values:
        cases = cases.filter(priority=filters.priority)
    area = " ".join(filters.area.upper().split())
    if looks_like_postcode(area):
        area = normalise_postcode(area)
    if area:
        # An outward code alone ("TF1") is the whole district, not TF10 to TF13 as well.
        cases = cases.filter(
            Q(customer__postcode__startswith=area)
            if " " in area
            else Q(customer__postcode=area) | Q(customer__postcode__startswith=f"{area} ")
        )
    return cases.order_by(F("due_at").asc(nulls_last=True), "opened_at", "id")


def _clock_state_now_is(state: str, now: datetime) -> Q:
    """Cases whose clock stands at ``state`` now, as ``clock_state_now`` reports it on screen,
    not as the charter sweep last stored it (a case falls due between sweeps)."""
    running = Q(clock_state__in=RUNNING_CLOCK_STATES)
    no_target = Q(due_at__isnull=True) | Q(due_soon_at__isnull=True)
    if state == ClockState.OVERDUE:
        return Q(clock_state=ClockState.OVERDUE) | (running & Q(due_at__lte=now))
    if state == ClockState.DUE_SOON:
        return running & Q(due_soon_at__lte=now, due_at__gt=now)
    if state == ClockState.ON_TRACK:
        return running & Q(due_soon_at__gt=now, due_at__gt=now)
    if state == ClockState.NO_TARGET:
        return Q(clock_state=ClockState.NO_TARGET) | (running & no_target)
    return Q(clock_state=state)


@dataclass(frozen=True)
class SlippingRow:
    label: str
    overdue: int
    due_soon: int
    on_track: int
    waiting: int

    @property
    def open(self) -> int:
        return self.overdue + self.due_soon + self.on_track + self.waiting


@dataclass(frozen=True)
class Slipping:
    """Open cases counted by where their clocks stand, by officer and by service area."""

    by_officer: list[SlippingRow]
    by_service: list[SlippingRow]


def slipping(*, staff: StaffMember) -> Slipping:
    """Open cases of the team lead's teams (a manager's whole organisation) by officer and by
    service area: how many are overdue, due soon, on track or waiting, most overdue first.
    One query, counted by officer and service area together and added up both ways here."""
    cases = cases_visible_to(staff).filter(status__in=OPEN_STATUSES)
    if staff.role not in (Role.MANAGER, Role.ADMIN):
        cases = cases.filter(team_id__in=team_ids_for(staff))
    # Counted by where each clock stands now, as the queue shows it, not as the charter sweep
    # last stored it: a case that fell due since the last sweep is already overdue here.
    now = timezone.now()
    rows = cases.values(
        "assigned_to_id",
        "assigned_to__first_name",
        "assigned_to__last_name",
        "request_type__service_area__name",
    ).annotate(
        overdue=Count("id", filter=_clock_state_now_is(ClockState.OVERDUE, now)),
        due_soon=Count("id", filter=_clock_state_now_is(ClockState.DUE_SOON, now)),
        on_track=Count(
            "id",
            filter=_clock_state_now_is(ClockState.ON_TRACK, now)
            | _clock_state_now_is(ClockState.NO_TARGET, now),
        ),
        waiting=Count("id", filter=Q(clock_state=ClockState.PAUSED)),
    )
    by_officer: dict[object, tuple[str, list[int]]] = {}
    by_service: dict[object, tuple[str, list[int]]] = {}
    for row in rows:
        counts = [row["overdue"], row["due_soon"], row["on_track"], row["waiting"]]
        name = f"{row['assigned_to__first_name'] or ''} {row['assigned_to__last_name'] or ''}"
        officer = name.strip() if row["assigned_to_id"] else "Not assigned to an officer"
        area = row["request_type__service_area__name"]
        for totals, key, label in (
            (by_officer, row["assigned_to_id"], officer),
            (by_service, area, area),
        ):
            _, added = totals.setdefault(key, (label, [0, 0, 0, 0]))
            for position, count in enumerate(counts):
                added[position] += count
    return Slipping(
        by_officer=_most_overdue_first(by_officer), by_service=_most_overdue_first(by_service)
    )


def _most_overdue_first(totals: dict[object, tuple[str, list[int]]]) -> list[SlippingRow]:
    rows = [SlippingRow(label, *counts) for label, counts in totals.values()]
    return sorted(rows, key=lambda row: (-row.overdue, -row.due_soon, row.label))


def access_case_document(*, staff: StaffMember, reference: str, document_id: int) -> Attachment:
    """A document on a case the staff member may see (public or staff-only), once the virus
    check has released it."""
    case = access_case(staff=staff, reference=reference)
    document = case.attachments.filter(
        pk=document_id, virus_check__in=RELEASED_VIRUS_CHECKS
    ).first()
    if document is None:
        raise NotFound("There is no such document.")
    return document


def customer_search(*, staff: StaffMember, query: str, limit: int = 25) -> list[Customer]:
    """Customers matching what a caller gives (see ``customers_matching``) or the reference of
    one of their cases, ours or the one the council's previous system gave it. A case reference
    finds its customer only if the member of staff may see the case, so that a reference cannot
    reveal who has a sensitive case."""
    matching = _reference_matching(query.strip())
    if matching is not None:
        visible = cases_visible_to(staff).filter(matching)
        found = list(
            customers_of(organisation_id=staff.organisation_id)
            .filter(cases__in=visible)
            .distinct()[:limit]
        )
        if found or reference_normalise(query.strip()) is not None:
            return found
    return customers_matching(organisation_id=staff.organisation_id, text=query, limit=limit)


def catalogue_case_use(*, organisation_id: int) -> CaseUse:
    """What the organisation's cases use of its catalogue, for the catalogue import to keep:
    questions cases have answered, and open cases by priority and channel (the charter target
    they are timed against follows from those)."""

    def answered(request_type_id: int, question_key: str) -> int:
        return Case.objects.filter(
            organisation_id=organisation_id,
            request_type_id=request_type_id,
            answers__has_key=question_key,
        ).count()

    def open_by_scope(request_type_id: int) -> dict[tuple[str, str], int]:
        counts = (
            Case.objects.filter(
                organisation_id=organisation_id,
                request_type_id=request_type_id,
                status__in=OPEN_STATUSES,
            )
            .values_list("priority", "channel")
            .annotate(count=Count("pk"))
            .order_by()
        )
        return {(priority, channel): count for priority, channel, count in counts}

    return CaseUse(answered=answered, open_by_scope=open_by_scope)
