"""API clients and their keys, idempotent requests and updates from back-office systems."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.cases.choices import CaseStatus, NoteVisibility
from civicdesk.cases.lifecycle import case_add_note, case_transition
from civicdesk.cases.models import Case
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import DomainError, NotPermitted, ValidationFailed
from civicdesk.core.jobs import delete_in_batches
from civicdesk.core.rows import row_insert
from civicdesk.core.transactions import atomic_all_or_nothing
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.organisations.models import Organisation

from .cached import active_client_with_prefix, client_last_used_due
from .choices import Scope
from .models import ApiClient, ExternalUpdate, IdempotencyRecord

KEY_PREFIX_LENGTH = 8

# The name on the record of someone who reached us without giving one (an email with no
# display name, an app that sends only an address). Staff can correct it later.
NAME_NOT_GIVEN = "Name not given"


def reporter_create(
    *,
    organisation: Organisation,
    name: str,
    emails: list[str],
    phones: list[str],
    preferred_channel: str,
    actor: Actor,
) -> Customer:
    """A new customer record for someone who reached us through another system or channel.

    Always a new record, as the portal does: an address or number we already know never puts a
    request on that person's record (staff find and merge duplicates)."""
    first, _, last = " ".join(name.split()).rpartition(" ")
    if not (first or last):
        last = NAME_NOT_GIVEN
    return customer_create(
        organisation=organisation,
        details=CustomerDetails(
            first_name=first[:100],
            last_name=last[:100],
            emails=emails,
            phones=phones,
            preferred_channel=preferred_channel,
        ),
        actor=actor,
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_client_create(
    *,
    organisation: Organisation,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    published_key: str | None = None,
) -> tuple[ApiClient, str]:
    """Register a client; returns it with its key, which is never shown again.

    ``published_key`` is for the demo alone, whose Open311 key is printed for anyone to try,
    like its shared password."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter who will use the key"
    unknown = [scope for scope in scopes if scope not in Scope.values]
    if not scopes or unknown:
        errors["scopes"] = "Choose what the key may do"
    if errors:
        raise ValidationFailed("There is a problem with the API client.", fields=errors)
    with transaction.atomic():
        if published_key is not None:
            key, prefix = published_key, published_key.split("_", 2)[1]
        else:
            prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
            while ApiClient.objects.filter(key_prefix=prefix).exists():
                prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
            key = f"cd_{prefix}_{secrets.token_urlsafe(32)}"
        client = ApiClient.objects.create(
            organisation=organisation,
            name=name,
            key_prefix=prefix,
            key_digest=_digest(key),
            scopes=sorted(set(scopes)),
            created_by=created_by if created_by is not None and created_by.pk else None,
        )
        audit_record(
            organisation=organisation,
            subject_type="api_client",
            subject_id=client.pk,
            action="created",
            actor=Actor.for_user(created_by) if created_by else Actor(label="system"),
            after={"name": name, "scopes": client.scopes},
        )
    return client, key


def api_client_revoke(*, client: ApiClient, actor: Actor) -> ApiClient:
    with transaction.atomic():
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
            audit_record(
                organisation=client.organisation,
                subject_type="api_client",
                subject_id=client.pk,
                action="revoked",
                actor=actor,
            )
    return client


def api_client_authenticate(key: str) -> ApiClient:
    """The active client this key belongs to. Every failure reads the same."""
    parts = key.strip().split("_", 2)
    refused = NotPermitted("The API key is missing, wrong or revoked.")
    if len(parts) != 3 or parts[0] != "cd" or len(parts[1]) != KEY_PREFIX_LENGTH:
        raise refused
    client = active_client_with_prefix(parts[1])
    if client is None or not hmac.compare_digest(client.key_digest, _digest(key.strip())):
        raise refused
    now = timezone.now()
    if client_last_used_due(client, now):
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def api_client_check_scope(client: ApiClient, scope: str) -> None:
    if scope not in client.scopes:
        raise NotPermitted(f"This API key may not do that: it needs the '{scope}' scope.")


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: str
    replayed: bool = False


class IdempotencyMismatch(DomainError):
    code = "idempotency_key_reused"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def idempotent_call(
    *,
    client: ApiClient,
    key: str,
    fingerprint: str,
    perform: Callable[[], StoredResponse],
    check_first: bool = False,
) -> StoredResponse:
    """Run ``perform`` once per key: the same key and request again replays the stored answer.

    The record is written in the same transaction as the work, so a request that fails leaves
    no record and may be tried again. The database settles who had the key first (ADR 43):
    the work is done, then the record inserted unless the key has one (``ON CONFLICT DO
    NOTHING``). A key already used rolls the work back and replays the first answer, and a
    second request arriving while the first is still working waits on the unique index
    (PostgreSQL) or the write lock (SQLite), then does the same: concurrent duplicates make one
    record. A first request thus costs no read, and a retry costs the work undone.

    ``check_first`` looks for the record before the work instead, for work that leaves more
    than rows behind when rolled back (files written to storage).
    """
    key = key.strip()
    if not key or len(key) > 200:
        raise ValidationFailed(
            "The Idempotency-Key header must be 1 to 200 characters.",
            fields={"Idempotency-Key": "Send 1 to 200 characters"},
        )
    try:
        with atomic_all_or_nothing():
            if check_first:
                existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
                if existing is not None:
                    return _replay(existing, fingerprint)
            response = perform()
            if not _record_stored(
                client=client, key=key, fingerprint=fingerprint, response=response
            ):
                raise _KeyTaken("Another request with this Idempotency-Key came first.")
            return response
    except (_KeyTaken, DomainError, IntegrityError):
        # A key used before answers as it did then, whatever this request would say now.
        existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint)


class _KeyTaken(DomainError):
    """Rolls back the work of a request whose key already has a record."""

    code = "idempotency_key_taken"


def _record_stored(
    *, client: ApiClient, key: str, fingerprint: str, response: StoredResponse
) -> bool:
    """Store the response under the key, unless the key has one already: then False."""
    record = IdempotencyRecord(
        client=client,
        key=key,
        fingerprint=fingerprint,
        status_code=response.status_code,
        content_type=response.content_type,
        body=response.body,
    )
    return row_insert(record, unless_taken=("client", "key"))


# How long a stored response is replayed: clients retry within minutes, not days.
IDEMPOTENCY_KEEP = timedelta(hours=24)


def idempotency_records_forget(now: datetime | None = None) -> int:
    """The worker's hourly job: forget stored responses older than IDEMPOTENCY_KEEP."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEEP
    return delete_in_batches(IdempotencyRecord.objects.filter(created_at__lt=cutoff))


def _replay(record: IdempotencyRecord, fingerprint: str) -> StoredResponse:
    if not hmac.compare_digest(record.fingerprint, fingerprint):
        raise IdempotencyMismatch(
            "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new request."
        )
    return StoredResponse(record.status_code, record.content_type, record.body, replayed=True)


# Updates from back-office systems

# What a back-office system may report, and the case status each one means.
REPORTED_STATUSES: dict[str, str] = {
    "assigned": CaseStatus.ASSIGNED,
    "in_progress": CaseStatus.IN_PROGRESS,
    "action_scheduled": CaseStatus.IN_PROGRESS,
    "investigating": CaseStatus.IN_PROGRESS,
    "planned": CaseStatus.IN_PROGRESS,
    "waiting": CaseStatus.WAITING,
    "completed": CaseStatus.RESOLVED,
    "fixed": CaseStatus.RESOLVED,
    "resolved": CaseStatus.RESOLVED,
    "no_further_action": CaseStatus.RESOLVED,
    "not_councils_responsibility": CaseStatus.RESOLVED,
    "internal_referral": CaseStatus.IN_PROGRESS,
    "unable_to_fix": CaseStatus.CLOSED,
    "duplicate": CaseStatus.CLOSED,
    "closed": CaseStatus.CLOSED,
    "reopen": CaseStatus.REOPENED,
    "open": "",
}


@dataclass(frozen=True)
class ReportedUpdate:
    external_id: str
    status: str = ""
    description: str = ""
    reported_at: datetime | None = None


def external_update_record(
    *, client: ApiClient, case: Case, update: ReportedUpdate
) -> tuple[ExternalUpdate, bool]:
    """Apply a status update or completion from a back-office system to a case, once.

    The same ``external_id`` from the same client again returns the first record and changes
    nothing (the bool says whether it was new). A status that moves the case tells the customer
    through the case's own notifications; a description becomes a public update.
    """
    external_id = update.external_id.strip()
    reported = update.status.strip().lower()
    if not external_id or len(external_id) > 100:
        raise ValidationFailed(
            "Give the update's own id, up to 100 characters.",
            fields={"update_id": "Enter the update id"},
        )
    if reported and reported not in REPORTED_STATUSES:
        raise ValidationFailed(
            f"'{update.status}' is not a status we know.",
            fields={"status": "Use one of: " + ", ".join(sorted(REPORTED_STATUSES))},
        )
    if not reported and not update.description.strip():
        raise ValidationFailed(
            "Send a status, a description or both.", fields={"status": "Enter a status"}
        )
    if case.organisation_id != client.organisation_id:
        raise DomainError("That case belongs to another organisation.")
    actor = Actor(label=client.actor_label)
    with transaction.atomic():
        # The case is locked before looking for an earlier copy, so the same update sent twice
        # at once waits for the first and then finds it, rather than applying itself again.
        current = Case.objects.select_for_update().get(pk=case.pk)
        earlier = ExternalUpdate.objects.filter(client=client, external_id=external_id).first()
        if earlier is not None:
            return earlier, False
        note = update.description.strip()
        target = REPORTED_STATUSES.get(reported, "")
        if reported == "open" and not current.is_open:
            target = CaseStatus.REOPENED
        if target and target != current.status:
            current = case_transition(case=current, to_status=target, actor=actor, note=note)
        elif note:
            case_add_note(case=current, body=note, visibility=NoteVisibility.PUBLIC, actor=actor)
        record = ExternalUpdate.objects.create(
            organisation_id=client.organisation_id,
            client=client,
            case=current,
            external_id=external_id,
            source=client.name,
            reported_status=reported,
            status=current.status,
            description=note,
            reported_at=update.reported_at or timezone.now(),
        )
    return record, True
