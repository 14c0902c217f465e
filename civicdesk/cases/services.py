"""Case rules: opening, the lifecycle, assignment, notes, documents and the charter clock.

Every function here is atomic: it either makes the whole change, with its audit entries and the
notifications it causes, or raises a DomainError and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.models import CharterTarget, RequestType
from civicdesk.catalogue.selectors import charter_target_for, request_type_get
from civicdesk.catalogue.services import answers_validate
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.calendar import TimeUnit, local_date
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.errors import (
    DomainError,
    EditConflict,
    NotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from civicdesk.core.references import reference_generate
from civicdesk.core.text import describe_deadline
from civicdesk.customers.models import Customer
from civicdesk.notifications.services import (
    StaffEmail,
    notification_queue,
    notification_queue_to_staff,
)
from civicdesk.notifications.templates import STATUS_MESSAGES
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember, Team

from .choices import RUNNING_CLOCK_STATES, CaseKind, CaseStatus, ClockState, NoteVisibility
from .clock import carry_extension, charter_deadlines, clock_state_settled
from .documents import CheckedDocument, Upload, document_check
from .models import Attachment, Case, CaseFollower, CaseNote

logger = logging.getLogger(__name__)

# Which moves the lifecycle allows. Anything else is refused with TransitionNotAllowed.
LIFECYCLE: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset(
        {
            CaseStatus.ASSIGNED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.WAITING,
            CaseStatus.RESOLVED,
            CaseStatus.CLOSED,
        }
    ),
    CaseStatus.ASSIGNED: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.IN_PROGRESS: frozenset(
        {CaseStatus.ASSIGNED, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.WAITING: frozenset(
        {CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.REOPENED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.REOPENED}),
    CaseStatus.REOPENED: frozenset(
        {
            CaseStatus.ASSIGNED,
            CaseStatus.IN_PROGRESS,
            CaseStatus.WAITING,
            CaseStatus.RESOLVED,
            CaseStatus.CLOSED,
        }
    ),
}


@dataclass
class CaseRequest:
    """What is needed to open a case, from any channel."""

    request_type_key: str
    channel: str
    description: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    priority: str | None = None
    customer: Customer | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_text: str = ""
    documents: list[Upload] = field(default_factory=list)
    assisted: bool = False


def case_open(
    *,
    organisation: Organisation,
    request: CaseRequest,
    actor: Actor,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case, acknowledge it to the customer and record the contact that raised it.

    ``contact`` is an already-logged contact (an adviser's call) to attach the case to; without
    one, the contact is recorded here. ``now`` lets imports open cases at their original time.
    """
    request_type = request_type_get(organisation_id=organisation.pk, key=request.request_type_key)
    if not request_type.opens_cases:
        raise DomainError(
            f"{request_type.name} is information only: log a contact instead of opening a case."
        )
    _check_choice("channel", request.channel, Channel.values, "Select how the request came in")
    priority = request.priority or (
        Priority.EMERGENCY if request_type.emergency else Priority.STANDARD
    )
    _check_choice("priority", priority, Priority.values, "Select a priority")
    if request.customer is not None and request.customer.organisation_id != organisation.pk:
        raise DomainError("The customer belongs to another organisation.")
    if request.customer is not None and request.customer.merged_into_id is not None:
        raise DomainError("That customer record has been merged; use the surviving record.")
    documents = [document_check(upload) for upload in request.documents]
    answers = answers_validate(
        request_type=request_type,
        answers=request.answers,
        file_names=[document.original_name for document in documents],
    )
    latitude, longitude, location_text = _location(request, request_type, answers)
    now = now or timezone.now()
    target = charter_target_for(
        request_type=request_type, priority=priority, channel=request.channel
    )

    if contact is not None and contact.organisation_id != organisation.pk:
        raise DomainError("That contact belongs to another organisation.")

    with _removing_files_on_failure() as stored, transaction.atomic():
        case = Case(
            organisation=organisation,
            kind=CaseKind.COMPLAINT
            if request_type.kind == RequestKind.COMPLAINT
            else CaseKind.REQUEST,
            request_type=request_type,
            customer=request.customer,
            channel=request.channel,
            priority=priority,
            team=_route_team(organisation, request_type, now),
            description=request.description.strip(),
            answers=answers,
            latitude=latitude,
            longitude=longitude,
            location_text=location_text,
            opened_at=now,
        )
        _start_clock(case, target, now)
        _save_new_case(case)
        for document in documents:
            _store_document(case, document, actor, stored=stored)
        _audit_case(
            case,
            action="opened",
            actor=actor,
            after={"status": case.status, "team": case.team_id, "due_at": _iso(case.due_at)},
        )
        if contact is not None:
            Contact.objects.filter(pk=contact.pk).update(
                case=case, outcome=ContactOutcome.CASE_CREATED, request_type=request_type
            )
        else:
            contact_log(
                organisation=organisation,
                customer=request.customer,
                case=case,
                request_type=request_type,
                handled_by=actor.saved_user,
                details=ContactDetails(
                    channel=request.channel,
                    reason=(
                        ContactReason.COMPLAINT
                        if case.kind == CaseKind.COMPLAINT
                        else ContactReason.NEW_REQUEST
                    ),
                    outcome=ContactOutcome.CASE_CREATED,
                    started_at=now,
                    assisted=request.assisted,
                ),
            )
        if case.customer is not None:
            notification_queue(
                organisation=organisation,
                customer=case.customer,
                case=case,
                template="case_acknowledgement",
                context=_message_context(case, expectation=_expectation(case)),
            )
    return case


def case_transition(
    *,
    case: Case,
    to_status: str,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Move a case through its lifecycle, run the clock accordingly and tell the customer."""
    _check_choice("status", to_status, CaseStatus.values, "Select a status")
    note = note.strip()
    if to_status == CaseStatus.WAITING and not note:
        raise ValidationFailed(
            "Say what you need from the customer.", fields={"note": "Enter what you need"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case, expected_version)
        before = {
            "status": case.status,
            "clock_state": case.clock_state,
            "due_at": _iso(case.due_at),
        }
        if to_status not in LIFECYCLE[case.status]:
            raise TransitionNotAllowed(
                f"A case that is {CaseStatus(case.status).label.lower()} cannot be moved to "
                f"{CaseStatus(to_status).label.lower()}."
            )
        if case.status == CaseStatus.WAITING:
            _resume_clock(case, now)
        if to_status == CaseStatus.WAITING:
            _pause_clock(case, now)
        elif to_status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            _stop_clock(case)
        elif to_status == CaseStatus.REOPENED:
            _restart_clock(case, now)
            case.resolved_at = None
            case.closed_at = None
        if to_status == CaseStatus.RESOLVED:
            case.resolved_at = now
        if to_status == CaseStatus.CLOSED:
            case.closed_at = now
            case.resolved_at = case.resolved_at or now
        case.status = to_status
        _save(case)
        _audit_case(
            case,
            action="status_changed",
            actor=actor,
            before=before,
            after={
                "status": case.status,
                "clock_state": case.clock_state,
                "due_at": _iso(case.due_at),
            },
        )
        if note:
            _add_note(case, note, NoteVisibility.PUBLIC, actor)
        _tell_everyone_interested(
            case,
            template="case_status_changed",
            context=_message_context(case, status_message=STATUS_MESSAGES[to_status], note=note),
        )
    return case


def case_assign(
    *,
    case: Case,
    actor: Actor,
    team: Team | None = None,
    officer: User | None = None,
    expected_version: int | None = None,
) -> Case:
    """Give a case to a team, an officer in it, or both. A new case becomes assigned."""
    if team is None and officer is None:
        raise ValidationFailed("Choose a team or an officer.", fields={"team": "Select a team"})
    with transaction.atomic():
        case = _lock(case, expected_version)
        if team is not None and team.organisation_id != case.organisation_id:
            raise DomainError("That team belongs to another organisation.")
        target_team = team or case.team
        if officer is not None:
            staff = (
                StaffMember.objects.filter(
                    user_id=officer.pk, organisation_id=case.organisation_id, active=True
                )
                .exclude(role=Role.COUNCILLOR)
                .first()
            )
            if staff is None:
                raise DomainError("That person does not work on this council's cases.")
            if target_team is not None and not staff.teams.filter(pk=target_team.pk).exists():
                raise DomainError(f"That officer is not in the {target_team.name} team.")
        before = {"team": case.team_id, "assigned_to": case.assigned_to_id, "status": case.status}
        case.team = target_team
        if team is not None and officer is None and team.pk != before["team"]:
            case.assigned_to = None
        if officer is not None:
            case.assigned_to_id = officer.pk
        status_changed = case.status in (CaseStatus.NEW, CaseStatus.REOPENED)
        if status_changed:
            case.status = CaseStatus.ASSIGNED
        _save(case)
        _audit_case(
            case,
            action="assigned",
            actor=actor,
            before=before,
            after={"team": case.team_id, "assigned_to": case.assigned_to_id, "status": case.status},
        )
        if status_changed:
            _tell_everyone_interested(
                case,
                template="case_status_changed",
                context=_message_context(
                    case, status_message=STATUS_MESSAGES[CaseStatus.ASSIGNED], note=""
                ),
            )
    return case


def case_add_note(
    *, case: Case, body: str, visibility: str, actor: Actor, expected_version: int | None = None
) -> CaseNote:
    """An internal note stays with staff; a public update is also sent to the customer."""
    body = body.strip()
    if not body:
        raise ValidationFailed("Enter the note.", fields={"body": "Enter the note"})
    _check_choice("visibility", visibility, NoteVisibility.values, "Select who can see the note")
    with transaction.atomic():
        case = _lock(case, expected_version)
        note = _add_note(case, body, visibility, actor)
        _save(case)
        if visibility == NoteVisibility.PUBLIC:
            _tell_everyone_interested(
                case, template="case_public_update", context=_message_context(case, note=body)
            )
    return note


def case_set_priority(
    *,
    case: Case,
    priority: str,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Change a case's priority; its charter target and due dates follow the new priority.

    The new target counts from when the clock first started, so a case raised to emergency at
    once falls due by the emergency timescale from when it was reported.
    """
    _check_choice("priority", priority, Priority.values, "Select a priority")
    if not reason.strip():
        raise ValidationFailed(
            "Say why the priority changed.", fields={"reason": "Enter the reason"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case, expected_version)
        if not case.is_open:
            raise TransitionNotAllowed("The priority of a finished case cannot change.")
        before = {"priority": case.priority, "due_at": _iso(case.due_at)}
        case.priority = priority
        target = charter_target_for(
            request_type=case.request_type, priority=priority, channel=case.channel
        )
        previous: dict[str, Any] = {
            "state": case.clock_state,
            "paused_at": case.paused_at,
            "due_at": case.due_at,
            "due_soon_at": case.due_soon_at,
            "amount": case.target_amount,
            "unit": case.target_unit,
        }
        start = case.clock_started_at or case.opened_at
        _start_clock(case, target, start)
        _carry_waiting_time(case, start, previous)
        if case.due_at is not None:
            if previous["paused_at"] is not None:
                case.paused_at = previous["paused_at"]
                case.clock_state = ClockState.PAUSED
            else:
                case.clock_state = clock_state_settled(case, now, previous=str(previous["state"]))
        _save(case)
        _audit_case(
            case,
            action="priority_changed",
            actor=actor,
            before=before,
            after={"priority": priority, "due_at": _iso(case.due_at), "reason": reason.strip()},
        )
    return case


def case_set_timescale(
    *,
    case: Case,
    working_days: int,
    start: datetime,
    summary: str,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """Put an open case on a timescale of its own in place of its service's charter target,
    counted in working days from ``start``: a complaint's stage 1 or stage 2 response time.
    Queues, the team lead's view and the charter sweep then flag it by that timescale. A case
    waiting for the customer stays paused."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case, None)
        if not case.is_open:
            raise TransitionNotAllowed("A finished case has no timescale to change.")
        before = {"due_at": _iso(case.due_at)}
        paused_at = case.paused_at
        case.target_amount = working_days
        case.target_unit = TimeUnit.WORKING_DAYS
        case.target_summary = summary[:200]
        _restart_clock(case, start)
        if paused_at is not None:
            case.paused_at = paused_at
            case.clock_state = ClockState.PAUSED
        else:
            case.clock_state = clock_state_settled(case, now, previous=ClockState.ON_TRACK)
        _save(case)
        _audit_case(
            case,
            action="timescale_set",
            actor=actor,
            before=before,
            after={"due_at": _iso(case.due_at), "summary": case.target_summary},
        )
    return case


def _carry_waiting_time(case: Case, start: datetime, previous: dict[str, Any]) -> None:
    """Keep the time a case already spent waiting for the customer when its target changes."""
    if case.due_at is None or case.due_soon_at is None or previous["due_at"] is None:
        return
    old_due, old_soon = charter_deadlines(
        organisation=case.organisation,
        amount=previous["amount"],
        unit=TimeUnit(previous["unit"]),
        start=start,
    )
    unit = TimeUnit(case.target_unit)
    case.due_at = carry_extension(
        organisation=case.organisation,
        unit=unit,
        base=old_due,
        extended=previous["due_at"],
        new_base=case.due_at,
    )
    case.due_soon_at = carry_extension(
        organisation=case.organisation,
        unit=unit,
        base=old_soon,
        extended=previous["due_soon_at"],
        new_base=case.due_soon_at,
    )


def case_attach(*, case: Case, upload: Upload, actor: Actor, public: bool = True) -> Attachment:
    document = document_check(upload)
    with _removing_files_on_failure() as stored, transaction.atomic():
        case = _lock(case, None)
        attachment = _store_document(case, document, actor, stored=stored, public=public)
        _save(case)
    return attachment


def case_link_duplicate(
    *, case: Case, original: Case, actor: Actor, expected_version: int | None = None
) -> Case:
    """Mark ``case`` as a duplicate of ``original`` and close it, pointing at the original."""
    if case.pk == original.pk:
        raise DomainError("A case cannot be a duplicate of itself.")
    if case.organisation_id != original.organisation_id:
        raise DomainError("Cases of different organisations cannot be linked.")
    with transaction.atomic():
        # Lock both, lowest id first, so that two links made at once in opposite directions
        # wait for each other instead of forming a loop.
        locked = {
            row.pk: row
            for row in Case.objects.select_for_update(of=("self",))
            .select_related("organisation", "request_type", "customer", "team")
            .filter(pk__in=[case.pk, original.pk])
            .order_by("pk")
        }
        duplicate, root = locked[case.pk], locked[original.pk]
        if expected_version is not None and duplicate.version != expected_version:
            raise EditConflict(
                f"Someone else changed case {duplicate.reference} while you were working on "
                "it. Check their changes, then try again."
            )
        seen = {duplicate.pk}
        while root.duplicate_of_id is not None:
            if root.duplicate_of_id in seen or len(seen) > MAX_DUPLICATE_CHAIN:
                raise DomainError("These cases are already linked the other way round.")
            seen.add(root.pk)
            root = Case.objects.get(pk=root.duplicate_of_id)
        if root.pk == duplicate.pk:
            raise DomainError("These cases are already linked the other way round.")
        duplicate.duplicate_of = root
        _save(duplicate)
        _audit_case(
            duplicate,
            action="linked_duplicate",
            actor=actor,
            after={"duplicate_of": root.reference},
        )
        if CaseStatus.CLOSED in LIFECYCLE[duplicate.status]:
            duplicate = case_transition(
                case=duplicate,
                to_status=CaseStatus.CLOSED,
                actor=actor,
                note=(f"This is the same as request {root.reference}, which we are dealing with."),
            )
    return duplicate


@dataclass(frozen=True)
class SweepResult:
    due_soon: int
    overdue: int
    alerts: int


def charter_sweep(now: datetime | None = None) -> SweepResult:
    """Flag cases whose clock has become due soon or overdue, and tell their team leads.

    Two set-based UPDATEs, so the cost grows with the cases that change, not with every open
    case. The same rules, for every service area.
    """
    now = now or timezone.now()
    with transaction.atomic():
        overdue = Case.objects.filter(clock_state__in=RUNNING_CLOCK_STATES, due_at__lte=now).update(
            clock_state=ClockState.OVERDUE, clock_flagged_at=now
        )
        due_soon = Case.objects.filter(
            clock_state=ClockState.ON_TRACK, due_soon_at__lte=now, due_at__gt=now
        ).update(clock_state=ClockState.DUE_SOON, clock_flagged_at=now)
        alerts = _alert_team_leads(now) if overdue or due_soon else 0
    if overdue or due_soon:
        logger.info("Charter sweep: %s overdue, %s due soon", overdue, due_soon)
    return SweepResult(due_soon=due_soon, overdue=overdue, alerts=alerts)


ALERT_CASE_LIST_LENGTH = 20
MAX_DUPLICATE_CHAIN = 50


def _alert_team_leads(now: datetime) -> int:
    """One email per recipient per team with cases flagged at ``now``: a handful of queries
    whatever the number of teams, so the sweep stays cheap when it runs every few minutes."""
    counts: dict[tuple[int, int | None], dict[str, int]] = {}
    for row in (
        Case.objects.filter(clock_flagged_at=now)
        .values("organisation_id", "team_id", "clock_state")
        .annotate(count=Count("id"))
        .order_by()
    ):
        counts.setdefault((row["organisation_id"], row["team_id"]), {})[row["clock_state"]] = row[
            "count"
        ]
    case_lists = _flagged_case_lists(now)
    organisations = Organisation.objects.in_bulk({organisation for organisation, _ in counts})
    teams = Team.objects.in_bulk({team for _, team in counts if team is not None})
    recipients = _alert_recipients(organisations.values(), teams.values())
    checked_at = describe_deadline(now)
    messages = []
    for (organisation_id, team_id), by_state in counts.items():
        team = teams.get(team_id) if team_id is not None else None
        parts = []
        if by_state.get(ClockState.OVERDUE):
            parts.append(f"{by_state[ClockState.OVERDUE]} now overdue")
        if by_state.get(ClockState.DUE_SOON):
            parts.append(f"{by_state[ClockState.DUE_SOON]} due soon")
        emails = recipients(organisation_id, team_id)
        if not emails:
            logger.warning(
                "Charter alert for team %s of organisation %s has nobody to go to: "
                "add a team lead, a team inbox or a manager",
                team_id,
                organisation_id,
            )
        messages.append(
            StaffEmail(
                organisation=organisations[organisation_id],
                emails=emails,
                template="team_charter_alert",
                context={
                    "team": team.name if team else "Unassigned cases",
                    "summary": "Cases: " + " and ".join(parts),
                    "checked_at": checked_at,
                    "case_list": "\n".join(case_lists.get((organisation_id, team_id), [])),
                },
            )
        )
    return len(notification_queue_to_staff(messages=messages))


def _flagged_case_lists(now: datetime) -> dict[tuple[int, int | None], list[str]]:
    """The first cases flagged at ``now`` in each team, soonest due first."""
    place = Window(
        RowNumber(),
        partition_by=[F("organisation_id"), F("team_id")],
        order_by=[F("due_at").asc(), F("id").asc()],
    )
    rows = (
        Case.objects.filter(clock_flagged_at=now, due_at__isnull=False)
        .annotate(place=place)
        .filter(place__lte=ALERT_CASE_LIST_LENGTH)
        .order_by("organisation_id", "team_id", "due_at", "id")
        .values_list("organisation_id", "team_id", "reference", "clock_state", "due_at")
    )
    lists: dict[tuple[int, int | None], list[str]] = {}
    for organisation_id, team_id, reference, clock_state, due_at in rows:
        if due_at is None:
            continue
        lists.setdefault((organisation_id, team_id), []).append(
            f"{reference}: {ClockState(clock_state).label.lower()}, due {describe_deadline(due_at)}"
        )
    return lists


def _alert_recipients(
    organisations: Iterable[Organisation], teams: Iterable[Team]
) -> Callable[[int, int | None], list[str]]:
    """Who hears about a team's cases: its active team leads, else the team's inbox, else the
    organisation's active managers."""
    team_by_id = {team.pk: team for team in teams}
    leads: dict[int, list[str]] = {}
    for team_id, email in (
        StaffMember.teams.through.objects.filter(
            team_id__in=team_by_id,
            staffmember__role=Role.TEAM_LEAD,
            staffmember__active=True,
            staffmember__organisation_id=F("team__organisation_id"),
        )
        .exclude(staffmember__user__email="")
        .order_by("staffmember_id")
        .values_list("team_id", "staffmember__user__email")
    ):
        leads.setdefault(team_id, []).append(email)
    managers: dict[int, list[str]] = {}
    for organisation_id, email in (
        StaffMember.objects.filter(
            organisation__in=list(organisations), role=Role.MANAGER, active=True
        )
        .exclude(user__email="")
        .order_by("id")
        .values_list("organisation_id", "user__email")
    ):
        managers.setdefault(organisation_id, []).append(email)

    def recipients(organisation_id: int, team_id: int | None) -> list[str]:
        if team_id is not None:
            if leads.get(team_id):
                return leads[team_id]
            if team_by_id[team_id].email:
                return [team_by_id[team_id].email]
        return managers.get(organisation_id, [])

    return recipients


# The charter clock


def _start_clock(case: Case, target: CharterTarget | None, start: datetime) -> None:
    if target is None:
        case.target_amount, case.target_unit, case.target_summary = None, "", ""
        case.due_at = case.due_soon_at = case.paused_at = None
        case.clock_state = ClockState.NO_TARGET
        return
    case.target_amount = target.amount
    case.target_unit = target.unit
    case.target_summary = target.summary
    _restart_clock(case, start)


def _restart_clock(case: Case, start: datetime) -> None:
    if case.target_amount is None or not case.target_unit:
        case.clock_state = ClockState.NO_TARGET
        return
    case.clock_started_at = start
    case.due_at, case.due_soon_at = charter_deadlines(
        organisation=case.organisation,
        amount=case.target_amount,
        unit=TimeUnit(case.target_unit),
        start=start,
    )
    case.paused_at = None
    case.clock_state = clock_state_settled(case, start, previous=ClockState.ON_TRACK)


def _pause_clock(case: Case, now: datetime) -> None:
    if case.due_at is None:
        return
    case.paused_at = now
    case.clock_state = ClockState.PAUSED


def _resume_clock(case: Case, now: datetime) -> None:
    """Push the due dates back by the time the case spent waiting for the customer.

    Targets in working days move by the working days the wait covered, so the case stays due
    at close of business; other targets move by the exact time waited, in their own kind of time.
    A due date that had already passed when the wait began stays where it was.
    """
    if case.due_at is None or case.paused_at is None or case.due_soon_at is None:
        return
    calendar = case.organisation.calendar
    unit = TimeUnit(case.target_unit)
    paused_at = case.paused_at
    if unit is TimeUnit.WORKING_DAYS:
        waited = calendar.working_days_after(local_date(paused_at), local_date(now))
        if paused_at < case.due_at:
            case.due_at = calendar.shift_working_days(case.due_at, waited)
        if paused_at < case.due_soon_at:
            case.due_soon_at = calendar.shift_working_days(case.due_soon_at, waited)
    else:
        if paused_at < case.due_at:
            case.due_at = calendar.advance(
                now, calendar.elapsed(paused_at, case.due_at, unit), unit
            )
        if paused_at < case.due_soon_at:
            left = calendar.elapsed(paused_at, case.due_soon_at, unit)
            case.due_soon_at = calendar.advance(now, left, unit)
    case.paused_at = None
    case.clock_state = clock_state_settled(case, now, previous=ClockState.PAUSED)


def _stop_clock(case: Case) -> None:
    case.paused_at = None
    if case.due_at is not None:
        case.clock_state = ClockState.STOPPED


# Helpers


def _route_team(
    organisation: Organisation, request_type: RequestType, now: datetime
) -> Team | None:
    """The service area's team; an emergency outside working hours goes to the on-call team."""
    if request_type.emergency and not organisation.calendar.is_working_moment(now):
        on_call = organisation.teams.filter(handles_out_of_hours=True).first()
        if on_call is not None:
            return on_call
    return request_type.service_area.team


def _location(
    request: CaseRequest, request_type: RequestType, answers: dict[str, Any]
) -> tuple[float | None, float | None, str]:
    if (request.latitude is None) != (request.longitude is None):
        raise ValidationFailed(
            "Give both latitude and longitude, or neither.", fields={"location": "Incomplete"}
        )
    latitude, longitude, text = request.latitude, request.longitude, request.location_text.strip()
    for question in request_type.questions.all():
        value = answers.get(question.key)
        if question.kind == QuestionKind.LOCATION and isinstance(value, dict):
            latitude = latitude if latitude is not None else value.get("latitude")
            longitude = longitude if longitude is not None else value.get("longitude")
            text = text or value.get("description") or value.get("address") or ""
    if latitude is not None and not -90 <= latitude <= 90:
        raise ValidationFailed("The latitude is not on Earth.", fields={"latitude": "Out of range"})
    if longitude is not None and not -180 <= longitude <= 180:
        raise ValidationFailed(
            "The longitude is not on Earth.", fields={"longitude": "Out of range"}
        )
    return latitude, longitude, text[:300]


def _save_new_case(case: Case) -> None:
    """Save with a fresh random reference, drawing again in the rare event of a clash."""
    for _ in range(10):
        case.reference = reference_generate()
        try:
            with transaction.atomic():
                case.save()
            return
        except IntegrityError:
            if not Case.objects.filter(reference=case.reference).exists():
                raise
    raise DomainError("Could not find a free case reference; try again.")


def _lock(case: Case, expected_version: int | None) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "request_type", "customer", "team")
        .get(pk=case.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict(
            f"Someone else changed case {locked.reference} while you were working on it. "
            "Check their changes, then try again."
        )
    return locked


def _save(case: Case) -> None:
    case.version += 1
    case.save()


def _add_note(case: Case, body: str, visibility: str, actor: Actor) -> CaseNote:
    note = CaseNote.objects.create(
        case=case,
        visibility=visibility,
        body=body,
        author=actor.saved_user,
        author_label=actor.label,
    )
    _audit_case(
        case,
        action="note_added",
        actor=actor,
        after={"visibility": visibility, "note_id": note.pk},
    )
    return note


def _store_document(
    case: Case,
    document: CheckedDocument,
    actor: Actor,
    *,
    stored: list[Attachment],
    public: bool = True,
) -> Attachment:
    attachment = Attachment(
        case=case,
        original_name=document.original_name,
        content_type=document.content_type,
        size=len(document.content),
        uploaded_by=actor.saved_user,
        uploaded_label=actor.label,
        public=public,
    )
    attachment.file.save(document.stored_name, ContentFile(document.content), save=False)
    stored.append(attachment)
    attachment.save()
    _audit_case(
        case,
        action="document_added",
        actor=actor,
        after={"attachment_id": attachment.pk, "content_type": document.content_type},
    )
    return attachment


@contextmanager
def _removing_files_on_failure() -> Iterator[list[Attachment]]:
    """Documents are written to storage inside the transaction; if it rolls back, delete them,
    so that a refused request leaves nothing behind on disk."""
    stored: list[Attachment] = []
    try:
        yield stored
    except BaseException:
        for attachment in stored:
            if attachment.file.name:
                default_storage.delete(attachment.file.name)
        raise


def _audit_case(
    case: Case,
    *,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit_record(
        organisation=case.organisation,
        subject_type="case",
        subject_id=case.pk,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )


def _tell_everyone_interested(case: Case, *, template: str, context: dict[str, str]) -> None:
    """The customer, and residents who chose to follow the case instead of reporting it again.
    Followers hear about progress; their details are never shown to anyone else."""
    recipients = [case.customer] if case.customer is not None else []
    recipients += [
        follower.customer
        for follower in case.followers.select_related("customer").order_by("pk")
        if follower.customer_id != case.customer_id
    ]
    for customer in recipients:
        notification_queue(
            organisation=case.organisation,
            customer=customer,
            case=case,
            template=template,
            context=context,
        )


def _message_context(case: Case, **extra: str) -> dict[str, str]:
    return {
        "council": case.organisation.name,
        "reference": case.reference,
        "service": case.request_type.name.lower(),
        "note": "",
        **extra,
    }


def _expectation(case: Case) -> str:
    if case.due_at is None:
        return "We will be in touch about what happens next."
    what = case.target_summary or "respond"
    return f"We aim to {what} by {describe_deadline(case.due_at)}."


def _check_choice(name: str, value: str, allowed: list[str], message: str) -> None:
    if value not in allowed:
        raise ValidationFailed(message, fields={name: message})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# What residents do from their account


def case_add_information(
    *, case: Case, customer: Customer, text: str, upload: Upload | None, actor: Actor
) -> CaseNote:
    """The resident adds information (and perhaps a document) to their own open case.

    It becomes a public update on the case and an inbound web contact. A case that was waiting
    for the resident goes back to in progress, so the charter clock runs again.
    """
    if case.customer_id != customer.pk:
        raise NotFound("There is no case with that reference.")
    text = text.strip()
    if not text:
        raise ValidationFailed(
            "Enter the information you want to add.",
            fields={"information": "Enter the information you want to add"},
        )
    document = document_check(upload) if upload is not None else None
    with _removing_files_on_failure() as stored, transaction.atomic():
        case = _lock(case, None)
        if not case.is_open:
            raise TransitionNotAllowed(
                "This request has been dealt with, so information can no longer be added to it."
            )
        if case.status == CaseStatus.WAITING:
            case = case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor)
            case = _lock(case, None)
        note = _add_note(case, text, NoteVisibility.PUBLIC, actor)
        if document is not None:
            _store_document(case, document, actor, stored=stored, public=True)
        _save(case)
        contact_log(
            organisation=case.organisation,
            customer=customer,
            case=case,
            details=ContactDetails(
                channel=Channel.WEB,
                reason=ContactReason.OTHER,
                outcome=ContactOutcome.LINKED_TO_CASE,
                summary="The resident added information to the case from their account.",
            ),
        )
    return note


def case_resident_confirm(
    *, case: Case, customer: Customer, fixed: bool, actor: Actor, now: datetime | None = None
) -> Case:
    """The resident answers "is it fixed?" on a resolved case: yes closes it; no reopens it,
    but only within REOPEN_WINDOW_DAYS of it being resolved. After that they report it again."""
    if case.customer_id != customer.pk:
        raise NotFound("There is no case with that reference.")
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case, None)
        if case.status != CaseStatus.RESOLVED:
            raise TransitionNotAllowed("This request is not waiting for you to confirm a fix.")
        window = timedelta(days=settings.REOPEN_WINDOW_DAYS)
        resolved_at = case.resolved_at or now
        if not fixed and now > resolved_at + window:
            raise TransitionNotAllowed(
                f"It is more than {settings.REOPEN_WINDOW_DAYS} days since we dealt with this "
                "request, so it cannot be reopened. Report the problem again and we will look "
                "at it as a new request."
            )
        if fixed:
            case = case_transition(
                case=case,
                to_status=CaseStatus.CLOSED,
                actor=actor,
                note="You told us the problem is fixed.",
                now=now,
            )
        else:
            case = case_transition(
                case=case,
                to_status=CaseStatus.REOPENED,
                actor=actor,
                note="You told us the problem is not fixed, so we have reopened your request.",
                now=now,
            )
        contact_log(
            organisation=case.organisation,
            customer=customer,
            case=case,
            details=ContactDetails(
                channel=Channel.WEB,
                reason=ContactReason.FEEDBACK if fixed else ContactReason.FAILURE_DEMAND,
                outcome=ContactOutcome.LINKED_TO_CASE,
                started_at=now,
                summary=(
                    "The resident confirmed the problem is fixed."
                    if fixed
                    else "The resident said the problem is not fixed; the case was reopened."
                ),
            ),
        )
    return case


def case_follow(*, case: Case, customer: Customer, actor: Actor) -> CaseFollower:
    """Record that a resident wants to hear about an open case instead of reporting it again,
    and tell them so. Following the same case twice changes nothing and sends nothing."""
    if customer.organisation_id != case.organisation_id:
        raise DomainError("The customer belongs to another organisation.")
    with transaction.atomic():
        follower, created = CaseFollower.objects.get_or_create(case=case, customer=customer)
        if created:
            _audit_case(
                case,
                action="follower_added",
                actor=actor,
                after={"customer": customer.pk},
            )
            notification_queue(
                organisation=case.organisation,
                customer=customer,
                case=case,
                template="case_followed",
                context=_message_context(case, expectation=_expectation(case)),
            )
    return follower


def case_open_for_contact(
    *,
    organisation: Organisation,
    request: CaseRequest,
    details: ContactDetails,
    actor: Actor,
) -> Case:
    """An adviser raises a case from a contact they are handling: the contact (with the
    reason and summary the adviser gave) and the case are stored together, or neither is."""
    with transaction.atomic():
        contact = contact_log(
            organisation=organisation,
            customer=request.customer,
            handled_by=actor.saved_user,
            details=ContactDetails(
                channel=details.channel,
                reason=details.reason,
                outcome=ContactOutcome.CASE_CREATED,
                summary=details.summary,
                assisted=details.assisted,
                started_at=details.started_at,
            ),
        )
        return case_open(organisation=organisation, request=request, actor=actor, contact=contact)
