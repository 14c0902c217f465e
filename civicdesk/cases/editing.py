"""What every change to a case shares: taking the row lock, refusing stale edits, saving a new
version, the audit entry and notes.

Used by the cases app's own services; other apps call those services, not these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civicdesk.core.audit import Actor, audit_record_of
from civicdesk.core.errors import EditConflict, ValidationFailed

from .models import Case, CaseNote


def case_lock(case: Case, *, expected_version: int | None = None) -> Case:
    """The case, locked for the rest of the transaction; refused if someone else changed it
    since the ``expected_version`` the editor saw."""
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "request_type", "customer", "team")
        .get(pk=case.pk)
    )
    case_check_version(locked, expected_version=expected_version)
    return locked


def case_check_version(case: Case, *, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise EditConflict(
            f"Someone else changed case {case.reference} while you were working on it. "
            "Check their changes, then try again."
        )


def case_save(case: Case) -> None:
    case.version += 1
    case.save()


def case_audit(
    case: Case,
    *,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit_record_of(
        case, subject_type="case", action=action, actor=actor, before=before, after=after
    )


def note_record(case: Case, *, body: str, visibility: str, actor: Actor) -> CaseNote:
    """Store a note that has already been checked, with its audit entry."""
    note = CaseNote.objects.create(
        case=case,
        visibility=visibility,
        body=body,
        author=actor.saved_user,
        author_label=actor.label,
    )
    case_audit(
        case,
        action="note_added",
        actor=actor,
        after={"visibility": visibility, "note_id": note.pk},
    )
    return note


def choice_check(*, name: str, value: str, allowed: list[str], message: str) -> None:
    if value not in allowed:
        raise ValidationFailed(message, fields={name: message})


def iso_or_none(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
