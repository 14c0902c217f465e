"""The delivery worker: claims messages from the outbox with a lease and sends them.

At least once, never lost, through the lease-and-retry mechanism the webhooks share
(``core.leased_queue``): a message is claimed with a lease in one short transaction and sent
after it commits; the attempt is counted and the lease renewed just before each send; a worker
that dies leaves the message to be claimed again when its lease runs out. After
``max_attempts`` the message is marked failed, where staff can see it.

A provider's delivery receipt can arrive before the worker has recorded the send. The worker
then records when and how the message was sent but keeps the status the receipt gave it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from civicdesk.core.errors_logging import error_summary
from civicdesk.core.leased_queue import LeasedQueue

from .choices import MessageStatus
from .gateways import Gateway, PermanentFailure, TemporaryFailure
from .models import OutboxMessage

logger = logging.getLogger(__name__)


def _lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


OUTBOX = LeasedQueue(OutboxMessage, lease=_lease, backoff=_backoff, related=("organisation",))


def outbox_claim(*, limit: int = 50, now: datetime | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` messages that are due or whose lease has run out."""
    return OUTBOX.claim(limit=limit, now=now)


def outbox_deliver(message: OutboxMessage, gateway: Gateway) -> bool:
    """Send one claimed message and record the result, if we still hold its lease.

    Returns whether the message was tried: False when another worker has taken it over.
    """
    if not OUTBOX.begin_attempt(message):
        logger.info("Outbox message %s was taken over by another worker", message.pk)
        return False
    try:
        provider_id = gateway.send(message)
    except PermanentFailure as problem:
        logger.warning("Outbox message %s failed permanently: %s", message.pk, problem)
        OUTBOX.failed_for_good(message, error=str(problem), gateway=gateway.name_for(message))
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


def _record_temporary_failure(message: OutboxMessage, problem: str) -> None:
    logger.warning("Outbox message %s attempt %s failed: %s", message.pk, message.attempts, problem)
    OUTBOX.attempt_failed(message, error=problem)


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


def outbox_run_once(gateway: Gateway, *, limit: int = 50, now: datetime | None = None) -> int:
    """Claim and send one batch; returns how many messages were tried."""
    messages = outbox_claim(limit=limit, now=now)
    return sum(outbox_deliver(message, gateway) for message in messages)
