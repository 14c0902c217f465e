"""A case's life: opening it, moving it through its statuses, assigning it, notes, its priority
and timescale, and linking duplicates.

Every function here is atomic: it either makes the whole change, with its audit entries and the
notifications it causes, or raises a DomainError and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.models import RequestType
from civicdesk.catalogue.selectors import charter_target_for, request_type_get
from civicdesk.catalogue.services import answers_validate
from civicdesk.catalogue.urgency import Urgency, most_urgent, urgency_of_answers
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import ContactDetails, contact_log, contact_raised_case
from civicdesk.core.audit import Actor
from civicdesk.core.calendar import TimeUnit
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.errors import (
    DomainError,
    NotPermitted,
    TransitionNotAllowed,
    TryAgain,
    ValidationFailed,
)
from civicdesk.core.references import legacy_reference_key, reference_generate
from civicdesk.core.rows import row_insert
from civicdesk.core.text import storable
from civicdesk.core.transactions import atomic_step
from civicdesk.customers.models import Customer
from civicdesk.notifications.templates import STATUS_MESSAGES
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember, Team

from .attachments import document_store, removing_files_on_failure
from .choices import CaseKind, CaseStatus, ClockState, NoteVisibility
from .clock import clock_state_settled
from .clock_running import (
    clock_pause,
    clock_restart,
    clock_resume,
    clock_retarget,
    clock_start,
    clock_stop,
)
from .customer_messages import expectation, message_context, tell_customer, tell_everyone_interested
from .documents import Upload, document_check
from .editing import (
    case_audit,
    case_audit_track_new,
    case_check_version,
    case_lock,
    case_save,
    choice_check,
    iso_or_none,
    note_record,
)
from .models import Case, CaseNote
from .public_words import public_words

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

MAX_DUPLICATE_CHAIN = 50


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
    # False when the caller tells the customer itself: an accepted referral's one message.
    acknowledge: bool = True


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
    request_type = _request_type_that_opens_cases(
        organisation=organisation, key=request.request_type_key
    )
    _check_channel(request.channel)
    _check_customer(organisation=organisation, customer=request.customer)
    documents = [document_check(upload) for upload in request.documents]
    answers = answers_validate(
        request_type=request_type,
        answers=request.answers,
        file_names=[document.original_name for document in documents],
    )
    urgency = urgency_of_answers(request_type=request_type, answers=answers)
    priority = _priority_checked(request=request, request_type=request_type, urgency=urgency)
    location = _location(request, request_type, answers)
    now = now or timezone.now()
    target = charter_target_for(
        request_type=request_type, priority=priority, channel=request.channel
    )
    _check_contact(organisation=organisation, contact=contact)

    with removing_files_on_failure() as stored, atomic_step():
        case = _case_new(
            organisation=organisation,
            request=request,
            request_type=request_type,
            priority=priority,
            answers=answers,
            location=location,
            now=now,
        )
        clock_start(case, target=target, start=now)
        _save_new_case(case)
        for document in documents:
            document_store(case, document, actor=actor, stored=stored)
        case_audit(
            case,
            action="opened",
            actor=actor,
            after={
                "status": case.status,
                "team": case.team_id,
                "due_at": iso_or_none(case.due_at),
                "priority": case.priority,
                # Which answers made it more urgent (catalogue choices, never free text).
                "priority_from_answers": [answer.question_key for answer in urgency.because],
                "danger_to_life": [answer.question_key for answer in urgency.danger_to_life],
            },
        )
        _record_raising_contact(case=case, request=request, contact=contact, actor=actor, now=now)
        if request.acknowledge:
            _acknowledge(case)
    return case


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


@dataclass
class CaseImport:
    """A case brought over from the council's previous system, as it stands there."""

    request_type_key: str
    channel: str
    legacy_reference: str
    received_at: datetime
    status: str = CaseStatus.NEW
    closed_at: datetime | None = None
    priority: str | None = None
    customer: Customer | None = None
    description: str = ""
    location_text: str = ""
    notes: str = ""


IMPORTED_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.WAITING,
    CaseStatus.RESOLVED,
    CaseStatus.CLOSED,
)
FINISHED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


def case_import(
    *,
    organisation: Organisation,
    details: CaseImport,
    actor: Actor,
    services: Mapping[str, RequestType] | None = None,
) -> Case:
    """Open a case brought over from the council's previous system, where it was received at
    ``received_at``: the same case as ``case_open`` makes (a fresh reference, routed to the
    service's team, the charter clock started when it was first received, so that an old case
    may already be overdue), keeping its old reference, and finished at ``closed_at`` if it was.

    Unlike ``case_open`` it tells nobody (the resident heard from the old system), records no
    contact (that happened in the old system too) and asks none of the service's questions:
    the old system's words are the description, and its notes an internal note.

    ``services``, the organisation's active services by key with their charter targets, saves
    reading the service again for each of many cases brought over together."""
    request_type = _request_type_that_opens_cases(
        organisation=organisation, key=details.request_type_key, services=services
    )
    _check_channel(details.channel)
    choice_check(
        name="status",
        value=details.status,
        allowed=list(IMPORTED_STATUSES),
        message="Select a status",
    )
    finished = details.status in FINISHED_STATUSES
    if finished != (details.closed_at is not None):
        raise ValidationFailed(
            "A resolved or closed case has the date it was closed, and an open one has none.",
            fields={"closed_at": "Enter the date it was closed, or make the case open"},
        )
    legacy_key = legacy_reference_key(details.legacy_reference)
    if not legacy_key:
        raise ValidationFailed(
            "Give the case's reference in the old system.",
            fields={"legacy_reference": "Enter the old reference"},
        )
    request = CaseRequest(
        request_type_key=request_type.key,
        channel=details.channel,
        description=details.description,
        priority=details.priority,
        customer=details.customer,
        location_text=details.location_text,
    )
    priority = _priority_checked(request=request, request_type=request_type)
    _check_customer(organisation=organisation, customer=details.customer)
    received_at = details.received_at
    target = charter_target_for(
        request_type=request_type, priority=priority, channel=details.channel
    )
    with transaction.atomic():
        if Case.objects.filter(organisation=organisation, legacy_reference_key=legacy_key).exists():
            raise ValidationFailed(
                f"Case {details.legacy_reference} of the old system has been brought over already.",
                fields={"legacy_reference": "Already brought over"},
            )
        case = _case_new(
            organisation=organisation,
            request=request,
            request_type=request_type,
            priority=priority,
            answers={},
            location=(None, None, storable(details.location_text).strip()[:300]),
            now=received_at,
        )
        case.legacy_reference = details.legacy_reference.strip()
        case.legacy_reference_key = legacy_key
        # The clock is left as it stood when the case was received: the charter sweep flags it
        # due soon or overdue, and tells the team's leads, as it does any case that falls due.
        clock_start(case, target=target, start=received_at)
        case.status = details.status
        if details.closed_at is not None:
            _finish_as_imported(case, status=details.status, at=details.closed_at)
        elif details.status == CaseStatus.WAITING:
            clock_pause(case, now=timezone.now())
        _save_new_case(case)
        case_audit(
            case,
            action="imported",
            actor=actor,
            after={
                "legacy_reference": case.legacy_reference,
                "status": case.status,
                "received_at": iso_or_none(received_at),
                "closed_at": iso_or_none(details.closed_at),
                "team": case.team_id,
                "due_at": iso_or_none(case.due_at),
            },
        )
        old_notes = storable(details.notes).strip()
        if old_notes:
            note_record(case, body=old_notes, visibility=NoteVisibility.INTERNAL, actor=actor)
    return case


def case_import_finished(*, case: Case, status: str, closed_at: datetime, actor: Actor) -> Case:
    """A case brought over open that the old system has since resolved or closed (the two
    systems run side by side until the council moves over): finished at the old system's
    date, telling nobody, as if it had been brought over finished."""
    choice_check(
        name="status", value=status, allowed=list(FINISHED_STATUSES), message="Select a status"
    )
    with transaction.atomic():
        case = case_lock(case)
        if not case.is_open:
            raise TransitionNotAllowed("The case is already finished.")
        before = {"status": case.status, "clock_state": case.clock_state}
        if case.status == CaseStatus.WAITING:
            clock_resume(case, now=closed_at)
        _finish_as_imported(case, status=status, at=closed_at)
        case.status = status
        case_save(case)
        case_audit(
            case,
            action="status_changed",
            actor=actor,
            before=before,
            after={"status": case.status, "clock_state": case.clock_state},
        )
    return case


def _finish_as_imported(case: Case, *, status: str, at: datetime) -> None:
    clock_stop(case)
    case.resolved_at = at
    case.closed_at = at if status == CaseStatus.CLOSED else None


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
    choice_check(
        name="status", value=to_status, allowed=CaseStatus.values, message="Select a status"
    )
    note = storable(note).strip()
    if to_status == CaseStatus.WAITING and not note:
        raise ValidationFailed(
            "Say what you need from the customer.", fields={"note": "Enter what you need"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = case_lock(case, expected_version=expected_version)
        before = {
            "status": case.status,
            "clock_state": case.clock_state,
            "due_at": iso_or_none(case.due_at),
        }
        if to_status not in LIFECYCLE[case.status]:
            raise TransitionNotAllowed(
                f"A case that is {CaseStatus(case.status).label.lower()} cannot be moved to "
                f"{CaseStatus(to_status).label.lower()}."
            )
        if case.status == CaseStatus.WAITING:
            clock_resume(case, now=now)
        if to_status == CaseStatus.WAITING:
            clock_pause(case, now=now)
        elif to_status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            clock_stop(case)
        elif to_status == CaseStatus.REOPENED:
            clock_restart(case, start=now)
            case.resolved_at = None
            case.closed_at = None
        if to_status == CaseStatus.RESOLVED:
            case.resolved_at = now
        if to_status == CaseStatus.CLOSED:
            case.closed_at = now
            case.resolved_at = case.resolved_at or now
        case.status = to_status
        case_save(case)
        case_audit(
            case,
            action="status_changed",
            actor=actor,
            before=before,
            after={
                "status": case.status,
                "clock_state": case.clock_state,
                "due_at": iso_or_none(case.due_at),
            },
        )
        if note:
            note_record(case, body=note, visibility=NoteVisibility.PUBLIC, actor=actor)
        tell_everyone_interested(
            case,
            template="case_status_changed",
            context=message_context(case, status_message=STATUS_MESSAGES[to_status], note=note),
        )
    return case


def case_take(
    *, case: Case, actor: Actor, officer: User, expected_version: int | None = None
) -> Case:
    """An officer takes a case nobody has yet (or has already). A colleague's case is moved by
    a team lead, not taken from them."""
    if case.assigned_to_id is not None and case.assigned_to_id != officer.pk:
        raise NotPermitted(
            "a colleague already has this case. Ask your team lead if it should move to you."
        )
    return case_assign(case=case, actor=actor, officer=officer, expected_version=expected_version)


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
        case = case_lock(case, expected_version=expected_version)
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
        case_save(case)
        case_audit(
            case,
            action="assigned",
            actor=actor,
            before=before,
            after={"team": case.team_id, "assigned_to": case.assigned_to_id, "status": case.status},
        )
        if status_changed:
            tell_everyone_interested(
                case,
                template="case_status_changed",
                context=message_context(
                    case, status_message=STATUS_MESSAGES[CaseStatus.ASSIGNED], note=""
                ),
            )
    return case


def case_add_note(
    *, case: Case, body: str, visibility: str, actor: Actor, expected_version: int | None = None
) -> CaseNote:
    """An internal note stays with staff; a public update is also sent to the customer."""
    body = storable(body).strip()
    if not body:
        raise ValidationFailed("Enter the note.", fields={"body": "Enter the note"})
    choice_check(
        name="visibility",
        value=visibility,
        allowed=NoteVisibility.values,
        message="Select who can see the note",
    )
    with transaction.atomic():
        case = case_lock(case, expected_version=expected_version)
        note = note_record(case, body=body, visibility=visibility, actor=actor)
        case_save(case)
        if visibility == NoteVisibility.PUBLIC:
            tell_everyone_interested(
                case, template="case_public_update", context=message_context(case, note=body)
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
    choice_check(
        name="priority", value=priority, allowed=Priority.values, message="Select a priority"
    )
    if not reason.strip():
        raise ValidationFailed(
            "Say why the priority changed.", fields={"reason": "Enter the reason"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = case_lock(case, expected_version=expected_version)
        if not case.is_open:
            raise TransitionNotAllowed("The priority of a finished case cannot change.")
        before = {"priority": case.priority, "due_at": iso_or_none(case.due_at)}
        case.priority = priority
        target = charter_target_for(
            request_type=case.request_type, priority=priority, channel=case.channel
        )
        clock_retarget(case, target=target, now=now)
        case_save(case)
        case_audit(
            case,
            action="priority_changed",
            actor=actor,
            before=before,
            after={
                "priority": priority,
                "due_at": iso_or_none(case.due_at),
                "reason": reason.strip(),
            },
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
        case = case_lock(case)
        if not case.is_open:
            raise TransitionNotAllowed("A finished case has no timescale to change.")
        before = {"due_at": iso_or_none(case.due_at)}
        paused_at = case.paused_at
        case.target_amount = working_days
        case.target_unit = TimeUnit.WORKING_DAYS
        case.target_summary = summary[:200]
        clock_restart(case, start=start)
        if paused_at is not None:
            case.paused_at = paused_at
            case.clock_state = ClockState.PAUSED
        else:
            case.clock_state = clock_state_settled(case, now, previous=ClockState.ON_TRACK)
        case_save(case)
        case_audit(
            case,
            action="timescale_set",
            actor=actor,
            before=before,
            after={"due_at": iso_or_none(case.due_at), "summary": case.target_summary},
        )
    return case


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
        case_check_version(duplicate, expected_version=expected_version)
        seen = {duplicate.pk}
        while root.duplicate_of_id is not None:
            if root.duplicate_of_id in seen or len(seen) > MAX_DUPLICATE_CHAIN:
                raise DomainError("These cases are already linked the other way round.")
            seen.add(root.pk)
            root = Case.objects.get(pk=root.duplicate_of_id)
        if root.pk == duplicate.pk:
            raise DomainError("These cases are already linked the other way round.")
        duplicate.duplicate_of = root
        case_save(duplicate)
        case_audit(
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


# The steps of opening a case


def _request_type_that_opens_cases(
    *, organisation: Organisation, key: str, services: Mapping[str, RequestType] | None = None
) -> RequestType:
    known = services.get(key) if services is not None else None
    request_type = (
        known
        if known is not None and known.organisation_id == organisation.pk and known.active
        else request_type_get(organisation_id=organisation.pk, key=key)
    )
    if not request_type.opens_cases:
        raise DomainError(
            f"{request_type.name} is information only: log a contact instead of opening a case."
        )
    return request_type


def _check_channel(channel: str) -> None:
    choice_check(
        name="channel",
        value=channel,
        allowed=Channel.values,
        message="Select how the request came in",
    )


def _priority_checked(
    *, request: CaseRequest, request_type: RequestType, urgency: Urgency | None = None
) -> str:
    """The priority the case is timed against.

    When the answers say how urgent it is (the catalogue gives choices a priority), or the
    request names a priority, the more urgent of the two: a caller's answer that the pothole
    is dangerous is never lost because an adviser left the priority as it was. Staff lower it
    afterwards with a reason (``case_set_priority``). Otherwise the service's usual priority.
    """
    if request.priority:
        choice_check(
            name="priority",
            value=request.priority,
            allowed=Priority.values,
            message="Select a priority",
        )
    stated = [p for p in (request.priority, urgency.priority if urgency else None) if p]
    priority = most_urgent(stated) or (
        Priority.EMERGENCY if request_type.emergency else Priority.STANDARD
    )
    choice_check(
        name="priority", value=priority, allowed=Priority.values, message="Select a priority"
    )
    return priority


def _check_customer(*, organisation: Organisation, customer: Customer | None) -> None:
    if customer is None:
        return
    if customer.organisation_id != organisation.pk:
        raise DomainError("The customer belongs to another organisation.")
    if customer.merged_into_id is not None:
        raise DomainError("That customer record has been merged; use the surviving record.")


def _location(
    request: CaseRequest, request_type: RequestType, answers: dict[str, Any]
) -> tuple[float | None, float | None, str]:
    """Latitude, longitude and description of the place, from the request or else its answers."""
    if (request.latitude is None) != (request.longitude is None):
        raise ValidationFailed(
            "Give both latitude and longitude, or neither.", fields={"location": "Incomplete"}
        )
    latitude, longitude = request.latitude, request.longitude
    text = storable(request.location_text).strip()
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


def _check_contact(*, organisation: Organisation, contact: Contact | None) -> None:
    if contact is not None and contact.organisation_id != organisation.pk:
        raise DomainError("That contact belongs to another organisation.")


def _case_new(
    *,
    organisation: Organisation,
    request: CaseRequest,
    request_type: RequestType,
    priority: str,
    answers: dict[str, Any],
    location: tuple[float | None, float | None, str],
    now: datetime,
) -> Case:
    """The case, not yet saved, routed to the team that will deal with it."""
    latitude, longitude, location_text = location
    return Case(
        organisation=organisation,
        kind=CaseKind.COMPLAINT if request_type.kind == RequestKind.COMPLAINT else CaseKind.REQUEST,
        request_type=request_type,
        customer=request.customer,
        channel=request.channel,
        priority=priority,
        team=_route_team(organisation, request_type, now, priority=priority),
        description=storable(request.description).strip(),
        public_description=public_words(storable(request.description).strip()),
        answers=answers,
        latitude=latitude,
        longitude=longitude,
        location_text=location_text,
        opened_at=now,
    )


def _route_team(
    organisation: Organisation, request_type: RequestType, now: datetime, *, priority: str
) -> Team | None:
    """The service area's team; an emergency outside working hours (an emergency service, or
    a report whose answers made it one) goes to the on-call team."""
    if priority == Priority.EMERGENCY and not organisation.calendar.is_working_moment(now):
        on_call = organisation.teams.filter(handles_out_of_hours=True).first()
        if on_call is not None:
            return on_call
    return request_type.service_area.team


def _save_new_case(case: Case) -> None:
    """Save with a fresh random reference, drawing again in the rare event of a clash."""
    for _ in range(10):
        case.reference = reference_generate()
        if row_insert(case, unless_taken=("reference",)):
            case_audit_track_new(case)
            return
    raise TryAgain("Could not find a free case reference. Try again in a moment.")


def _record_raising_contact(
    *, case: Case, request: CaseRequest, contact: Contact | None, actor: Actor, now: datetime
) -> None:
    """Link the contact that raised the case: the adviser's call already logged, or a new one."""
    if contact is not None:
        contact_raised_case(contact=contact, case=case)
        return
    contact_log(
        organisation=case.organisation,
        customer=request.customer,
        case=case,
        request_type=case.request_type,
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


def _acknowledge(case: Case) -> None:
    if case.customer is None:
        return
    tell_customer(
        case,
        customer=case.customer,
        template="case_acknowledgement",
        # Said as at the moment it was opened (an import opens cases at their original time).
        context=message_context(case, expectation=expectation(case, now=case.opened_at)),
    )
