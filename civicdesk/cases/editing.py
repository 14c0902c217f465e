"""What every change to a case shares: taking the row lock, refusing stale edits, saving a new
version, the audit entry and notes.

Used by the cases app's own services; other apps call those services, not these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civicdesk.core.audit import Actor, audit_record_of
from civicdesk.core.errors import EditConflict, ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.core.text import storable

from .models import Case, CaseNote
from .public_words import public_words


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


# The audit entries written through a copy of a case since it was created, so that the
# request that opened it can answer with its history without reading it back (ADR 43).
_WRITTEN_SINCE_CREATED = "_audit_entries_written_since_created"


def case_audit(
    case: Case,
    *,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    event = audit_record_of(
        case, subject_type="case", action=action, actor=actor, before=before, after=after
    )
    written = case.__dict__.get(_WRITTEN_SINCE_CREATED)
    if written is not None:
        written.append(event)


def case_audit_track_new(case: Case) -> None:
    """``case`` has just been created: keep the audit entries written through it from now."""
    case.__dict__[_WRITTEN_SINCE_CREATED] = []


def audit_entries_written_since_created(case: Case) -> list[AuditEvent] | None:
    """Every audit entry written through this copy of the case since it was created, or None
    if this copy is not the one that created it."""
    written = case.__dict__.get(_WRITTEN_SINCE_CREATED)
    return list(written) if written is not None else None


def note_record(case: Case, *, body: str, visibility: str, actor: Actor) -> CaseNote:
    """Store a note that has already been checked, with its audit entry."""
    body = storable(body)
    note = CaseNote.objects.create(
        case=case,
        visibility=visibility,
        body=body,
        public_body=public_words(body),
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
