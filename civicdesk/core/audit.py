"""Writing to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import timezone

from .models import AuditEvent
from .rows import row_insert

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from civicdesk.organisations.models import Organisation


@dataclass(frozen=True)
class Actor:
    """Whoever causes a change: a signed-in user, an API client, or the system itself."""

    label: str
    user: User | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(label=user.get_full_name() or user.get_username(), user=user)

    @property
    def saved_user(self) -> User | None:
        """The user to store as the actor, if there is one in the database."""
        return self.user if self.user is not None and self.user.pk else None


SYSTEM = Actor(label="system")


class Audited(Protocol):
    """A record of an organisation's that the trail can name: a case, a customer..."""

    pk: Any
    organisation: Organisation


def audit_record(
    *,
    organisation: Organisation,
    subject_type: str,
    subject_id: int,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        organisation=organisation,
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        actor=actor.saved_user,
        actor_label=actor.label,
        before=before or {},
        after=after or {},
        at=timezone.now(),
    )
    row_insert(event)
    return event


def audit_record_of(
    record: Audited,
    *,
    subject_type: str,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """``audit_record`` for a record that knows its organisation and id."""
    return audit_record(
        organisation=record.organisation,
        subject_type=subject_type,
        subject_id=record.pk,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )
