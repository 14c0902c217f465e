"""The delivery worker: claims messages from the outbox with a lease and sends them.

At least once, never lost: a message is claimed by writing a lease (a token and an expiry) in
one short transaction, and sent after that transaction commits. Just before each send the
worker renews the lease and counts the attempt, in one update that matches only while it still
holds the lease, so a message whose lease ran out and was claimed by another worker is left to
that worker. If the worker dies while sending, the lease expires and another pass claims the
message again: the attempt it died in has been counted, the messages of the batch it had not
reached yet have not. After ``max_attempts`` the message is marked failed, where staff can see
it.

A provider's delivery receipt can arrive before the worker has recorded the send. The worker
then records when and how the message was sent but keeps the status the receipt gave it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from civicdesk.core.errors_logging import error_summary

from .choices import MessageStatus
from .gateways import Gateway, PermanentFailure, TemporaryFailure
from .models import OutboxMessage

logger = logging.getLogger(__name__)


def _claimable(now: datetime) -> Q:
    waiting = Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
    abandoned = Q(status=MessageStatus.SENDING, lease_expires_at__lte=now)
    return waiting | abandoned


def _lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def outbox_claim(*, limit: int = 50, now: datetime | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` messages that are due or whose lease has run out."""
    now = now or timezone.now()
    token = str(uuid.uuid4())
    with transaction.atomic():
        candidates = OutboxMessage.objects.filter(_claimable(now)).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        _give_up_exhausted(ids, now)
        # The claim condition is repeated in the UPDATE so that two workers racing for the same
        # rows (SQLite has no SKIP LOCKED) cannot both win: only one UPDATE matches each row.
        OutboxMessage.objects.filter(_claimable(now), id__in=ids).update(
            status=MessageStatus.SENDING, lease_token=token, lease_expires_at=now + _lease()
        )
    return list(
        OutboxMessage.objects.filter(lease_token=token, status=MessageStatus.SENDING)
        .select_related("organisation")
        .order_by("id")
    )


def _give_up_exhausted(ids: list[int], now: datetime) -> None:
    OutboxMessage.objects.filter(
        _claimable(now), id__in=ids, attempts__gte=F("max_attempts")
    ).update(
        status=MessageStatus.FAILED,
        failed_at=now,
        lease_token="",
        last_error="Gave up after the maximum number of attempts.",
    )


def outbox_deliver(message: OutboxMessage, gateway: Gateway) -> bool:
    """Send one claimed message and record the result, if we still hold its lease.

    Returns whether the message was tried: False when another worker has taken it over.
    """
    if not _begin_attempt(message):
        logger.info("Outbox message %s was taken over by another worker", message.pk)
        return False
    try:
        provider_id = gateway.send(message)
    except PermanentFailure as problem:
        logger.warning("Outbox message %s failed permanently: %s", message.pk, problem)
        _held(message).update(
            status=MessageStatus.FAILED,
            failed_at=timezone.now(),
            gateway=gateway.name_for(message),
            last_error=str(problem)[:300],
        )
    except TemporaryFailure as problem:
        _record_temporary_failure(message, str(problem))
    except Exception as problem:
        # A fault of ours, not the provider's: one bad message must not stop the worker. Only
        # the kind and place of the error are logged; its text could quote the message.
        logger.error(
            "Outbox message %s attempt %s raised %s",
            message.pk,
            message.attempts,
            error_summary(problem),
        )
        _record_temporary_failure(message, f"Unexpected error ({type(problem).__name__}).")
    else:
        _record_sent(message, gateway.name_for(message), provider_id)
    return True


def _begin_attempt(message: OutboxMessage) -> bool:
    """Count the attempt and renew the lease, only if this worker still holds it."""
    begun = _held(message).update(
        attempts=F("attempts") + 1, lease_expires_at=timezone.now() + _lease()
    )
    if begun:
        message.attempts += 1
    return bool(begun)


def _held(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        pk=message.pk, lease_token=message.lease_token, status=MessageStatus.SENDING
    )


def _record_temporary_failure(message: OutboxMessage, problem: str) -> None:
    exhausted = message.attempts >= message.max_attempts
    logger.warning("Outbox message %s attempt %s failed: %s", message.pk, message.attempts, problem)
    if exhausted:
        problem = f"Gave up after {message.attempts} attempts. {problem}"
    now = timezone.now()
    _held(message).update(
        status=MessageStatus.FAILED if exhausted else MessageStatus.QUEUED,
        failed_at=now if exhausted else None,
        next_attempt_at=now + _backoff(message.attempts),
        lease_token="",
        lease_expires_at=None,
        last_error=problem[:300],
    )


def _record_sent(message: OutboxMessage, gateway: str, provider_id: str) -> None:
    still_sending = Q(status=MessageStatus.SENDING)
    # Without a provider the message stays with staff; it must not look as if it went out.
    outcome = MessageStatus.KEPT if gateway == "outbox" else MessageStatus.SENT
    OutboxMessage.objects.filter(pk=message.pk, lease_token=message.lease_token).update(
        # A receipt that came in first has already said delivered or failed: keep what it said.
        status=Case(When(still_sending, then=Value(outcome)), default=F("status")),
        last_error=Case(When(still_sending, then=Value("")), default=F("last_error")),
        sent_at=timezone.now(),
        gateway=gateway,
        provider_id=provider_id[:100],
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


def outbox_run_once(gateway: Gateway, *, limit: int = 50, now: datetime | None = None) -> int:
    """Claim and send one batch; returns how many messages were tried."""
    messages = outbox_claim(limit=limit, now=now)
    return sum(outbox_deliver(message, gateway) for message in messages)
