"""The delivery worker: claims messages from the outbox with a lease and sends them.

At least once, never lost: a message is claimed by writing a lease (a token and an expiry) in
one short transaction, and sent after that transaction commits. If the worker dies while
sending, the lease expires and another pass claims the message again. Each claim counts as an
attempt; after ``max_attempts`` the message is marked failed, where staff can see it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .gateways import Gateway, PermanentFailure, TemporaryFailure
from .models import MessageStatus, OutboxMessage

logger = logging.getLogger(__name__)


def _claimable(now: datetime) -> Q:
    waiting = Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
    abandoned = Q(status=MessageStatus.SENDING, lease_expires_at__lte=now)
    return waiting | abandoned


def outbox_claim(*, limit: int = 50, now: datetime | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` messages that are due or whose lease has run out."""
    now = now or timezone.now()
    token = str(uuid.uuid4())
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
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
            status=MessageStatus.SENDING,
            lease_token=token,
            lease_expires_at=now + lease,
            attempts=F("attempts") + 1,
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


def outbox_deliver(message: OutboxMessage, gateway: Gateway) -> None:
    """Send one claimed message and record the result, if we still hold its lease."""
    held = OutboxMessage.objects.filter(pk=message.pk, lease_token=message.lease_token)
    try:
        provider_id = gateway.send(message)
    except PermanentFailure as problem:
        logger.warning("Outbox message %s failed permanently: %s", message.pk, problem)
        held.update(
            status=MessageStatus.FAILED, failed_at=timezone.now(), last_error=str(problem)[:300]
        )
        return
    except TemporaryFailure as problem:
        exhausted = message.attempts >= message.max_attempts
        logger.warning(
            "Outbox message %s attempt %s failed: %s", message.pk, message.attempts, problem
        )
        held.update(
            status=MessageStatus.FAILED if exhausted else MessageStatus.QUEUED,
            failed_at=timezone.now() if exhausted else None,
            next_attempt_at=timezone.now() + _backoff(message.attempts),
            last_error=str(problem)[:300],
        )
        return
    held.update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        gateway=gateway.name_for(message),
        provider_id=provider_id[:100],
        last_error="",
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


def outbox_run_once(gateway: Gateway, *, limit: int = 50) -> int:
    """Claim and send one batch; returns how many messages were tried."""
    messages = outbox_claim(limit=limit)
    for message in messages:
        outbox_deliver(message, gateway)
    return len(messages)
