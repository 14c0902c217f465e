"""Giving a case more time than its timescale allowed: once, before it runs out, with the reason
told to the customer. A subject access request's statutory month is extended this way (ADR 29).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from civicdesk.core.audit import Actor
from civicdesk.core.calendar import LONDON, TimeUnit
from civicdesk.core.errors import DomainError, TransitionNotAllowed, ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.core.text import describe_deadline

from .choices import NoteVisibility
from .clock_running import clock_extend
from .customer_messages import message_context, tell_everyone_interested
from .editing import case_audit, case_lock, case_save, iso_or_none, note_record
from .models import Case

EXTENDED = "timescale_extended"


def case_extend_time_limit(
    *,
    case: Case,
    amount: int,
    unit: TimeUnit,
    reason: str,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Move an open case's due date on by ``amount`` of its own unit, counted as its timescale
    is (so time already spent waiting for the customer still counts). The reason goes to the
    customer as a public update with the new date, and into the audit trail.

    Refused, changing nothing, without a reason, for a case with no time limit or one counted
    in another unit, once its time limit has run out, and when it was extended before: a
    time limit is extended once."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            "Say why more time is needed.", fields={"reason": "Enter the reason for the extension"}
        )
    if amount < 1:
        raise ValidationFailed(
            "Give the extra time.", fields={"amount": "Enter how much more time is needed"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = case_lock(case, expected_version=expected_version)
        _check_extendable(case, unit=unit, now=now)
        before = {"due_at": iso_or_none(case.due_at)}
        clock_extend(case, amount=amount, now=now)
        case_save(case)
        case_audit(
            case,
            action=EXTENDED,
            actor=actor,
            before=before,
            after={"due_at": iso_or_none(case.due_at), "amount": amount, "reason": reason},
        )
        assert case.due_at is not None  # a case without a time limit was refused above
        update = f"{reason}\n\nWe now aim to finish by {describe_deadline(case.due_at)}."
        note_record(case, body=update, visibility=NoteVisibility.PUBLIC, actor=actor)
        tell_everyone_interested(
            case, template="case_public_update", context=message_context(case, note=update)
        )
    return case


def time_limit_extended_at(case: Case) -> datetime | None:
    """When the case's time limit was extended, if it was."""
    return (
        AuditEvent.objects.filter(subject_type="case", subject_id=case.pk, action=EXTENDED)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )


def _check_extendable(case: Case, *, unit: TimeUnit, now: datetime) -> None:
    if not case.is_open:
        raise TransitionNotAllowed("A finished case has no time limit to extend.")
    if case.due_at is None or case.target_unit != unit:
        raise DomainError(f"Case {case.reference} has no time limit that can be extended so.")
    extended_at = time_limit_extended_at(case)
    if extended_at is not None:
        day = extended_at.astimezone(LONDON)
        raise TransitionNotAllowed(
            f"The time limit of case {case.reference} was already extended, on {day.day} "
            f"{day:%B %Y}. It can be extended only once. Nothing was changed."
        )
    if (case.paused_at or now) >= case.due_at:
        raise TransitionNotAllowed(
            f"The time limit of case {case.reference} ran out on "
            f"{describe_deadline(case.due_at)}. It can be extended only before it runs out. "
            "Nothing was changed."
        )
