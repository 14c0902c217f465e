"""Outgoing webhooks: case events to back-office systems, signed, at least once.

When a case's audit entry is saved, one delivery per matching subscriber is written in the same
transaction (``webhooks_queue``), as the notification outbox is: the change and its deliveries
are stored together or not at all, and the cases app knows nothing about webhooks. The sender
claims due deliveries through the lease-and-retry mechanism the notification outbox shares
(``core.leased_queue``), posts them after the claim commits, and records the result only while
it still holds the lease. Failures (a refusal,
no connection, an answer that is not HTTP) back off exponentially; after ``max_attempts`` a
delivery is failed, where staff see it in the admin.

Each POST carries ``CivicDesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``
made with the subscription's secret, so the receiver can check who sent it and refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Case
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.leased_queue import LeasedQueue
from civicdesk.core.models import AuditEvent
from civicdesk.organisations.models import Organisation

from .cached import webhook_subscribers
from .choices import DeliveryStatus, WebhookEvent
from .models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)


def webhook_subscribe(
    *, organisation: Organisation, name: str, url: str, events: list[str]
) -> WebhookSubscription:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the name of the system"
    if not url.startswith(("https://", "http://")):
        errors["url"] = "Enter the address to send events to, starting https://"
    if not events or any(event not in WebhookEvent.values for event in events):
        errors["events"] = "Choose the events to send"
    if errors:
        raise ValidationFailed("There is a problem with the webhook.", fields=errors)
    return WebhookSubscription.objects.create(
        organisation=organisation,
        name=name.strip(),
        url=url,
        events=sorted(set(events)),
        secret=secrets.token_hex(32),
    )


def _event_for(audit: AuditEvent) -> str | None:
    if audit.action == "opened":
        return WebhookEvent.CASE_CREATED
    if audit.action == "assigned":
        return WebhookEvent.CASE_ASSIGNED
    if audit.action == "status_changed" and audit.after.get("status") == CaseStatus.CLOSED:
        return WebhookEvent.CASE_CLOSED
    if audit.action in ("status_changed", "note_added", "priority_changed", "document_added"):
        return WebhookEvent.CASE_UPDATED
    return None


def webhooks_queue(*, audit: AuditEvent) -> int:
    """Write the deliveries a case audit entry causes; returns how many were made.

    Called as the entry is saved (``signals.queue_webhook_deliveries``), so the deliveries are
    stored in the transaction that makes the change and writes its audit entry: both, or
    neither. Nothing reads the audit trail afterwards, so a transaction that commits late
    cannot be overtaken and skipped.
    """
    if audit.subject_type != "case":
        return 0
    kind = _event_for(audit)
    if kind is None:
        return 0
    subscriptions = [
        subscriber.subscription_id
        for subscriber in webhook_subscribers(organisation_id=audit.organisation_id)
        if kind in subscriber.events
    ]
    if not subscriptions:
        return 0
    case = Case.objects.select_related("request_type", "team").filter(pk=audit.subject_id).first()
    # Sensitive services' cases belong to their team alone; no outside system is told of them,
    # as no API client may read them (ADR 11).
    if case is None or case.request_type.sensitive:
        return 0
    payload = _payload(audit, kind, case)
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription_id=subscription_id,
            event_id=f"audit-{audit.pk}",
            event=kind,
            case=case,
            payload=payload,
            next_attempt_at=now,
            max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        )
        for subscription_id in subscriptions
    )
    return len(subscriptions)


def _payload(event: AuditEvent, kind: str, case: Case) -> dict[str, Any]:
    """What the receiver needs to act on the case; no customer details."""
    return {
        "id": f"audit-{event.pk}",
        "type": kind,
        "occurred_at": event.at.isoformat(),
        "case": {
            "reference": case.reference,
            "service": case.request_type.key,
            "status": case.status,
            "priority": case.priority,
            "team": case.team.slug if case.team else None,
            "due_at": case.due_at.isoformat() if case.due_at else None,
            "latitude": case.latitude,
            "longitude": case.longitude,
            "location": case.location_text,
        },
        "change": {"action": event.action, "after": _safe_after(event.after)},
    }


def _safe_after(after: dict[str, Any]) -> dict[str, Any]:
    allowed = {"status", "team", "due_at", "priority", "visibility", "clock_state"}
    return {key: value for key, value in after.items() if key in allowed}


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True)
class HttpAnswer:
    status: int | None
    body: bytes = b""
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# The most of an answer that is read: receivers' answers are short JSON documents.
MAX_ANSWER_BYTES = 1_000_000


def http_exchange(
    *, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> HttpAnswer:
    """The one way CivicDesk calls another system over HTTP (webhooks, referrals to other
    installations): a POST when there is a body, a GET otherwise, with the webhook timeout.
    Every failure is an answer with an ``error``, never an exception."""
    if not url.startswith(("https://", "http://")):
        return HttpAnswer(status=None, error="The address does not start with https://.")
    request = urllib.request.Request(  # noqa: S310 (checked to be an http(s) URL above)
        url,
        data=body,
        method="POST" if body is not None else "GET",
        headers={"User-Agent": "CivicDesk-Webhooks/1", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            return HttpAnswer(status=response.status, body=response.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as problem:
        return HttpAnswer(status=problem.code, error=f"The receiver answered {problem.code}.")
    except (urllib.error.URLError, OSError) as problem:
        return HttpAnswer(
            status=None, error=f"Could not reach the receiver ({type(problem).__name__})."
        )
    except http.client.HTTPException as problem:
        # BadStatusLine, LineTooLong, IncompleteRead...: urlopen lets these through unwrapped.
        return HttpAnswer(
            status=None,
            error=f"The receiver's answer was not valid HTTP ({type(problem).__name__}).",
        )
    except Exception as problem:
        # Anything else (a host name that cannot be encoded, say) is a failed attempt for this
        # one call, as for the notification outbox (ADR 2), never one left "sending".
        logger.exception("HTTP call to a receiver: unexpected error")
        return HttpAnswer(
            status=None, error=f"Could not send to the receiver ({type(problem).__name__})."
        )


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3)


def webhook_backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


DELIVERIES = LeasedQueue(
    WebhookDelivery, lease=_lease, backoff=webhook_backoff, related=("subscription",)
)


def webhooks_claim(*, limit: int = 50, now: datetime | None = None) -> list[WebhookDelivery]:
    return DELIVERIES.claim(limit=limit, now=now)


def webhook_send(delivery: WebhookDelivery) -> bool:
    """POST one claimed delivery; returns whether the receiver accepted it (2xx). A delivery
    taken over by another worker (its lease ran out) is left to that worker."""
    if not DELIVERIES.begin_attempt(delivery):
        logger.info("Webhook delivery %s was taken over by another worker", delivery.pk)
        return False
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    answer = http_exchange(
        url=delivery.subscription.url,
        body=body,
        headers={
            "Content-Type": "application/json",
            "CivicDesk-Event": delivery.event,
            "CivicDesk-Delivery": str(delivery.pk),
            "CivicDesk-Signature": signature_header(
                delivery.subscription.secret, body, int(time.time())
            ),
        },
    )
    status, error = answer.status, answer.error
    if status is not None and 200 <= status < 300:
        DELIVERIES.held(delivery).update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=timezone.now(),
            response_status=status,
            last_error="",
            lease_token="",
        )
        return True
    logger.warning(
        "Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error
    )
    DELIVERIES.attempt_failed(delivery, error=error[:250], response_status=status)
    return False


def webhooks_run(*, budget_seconds: float = 5.0) -> int:
    """The worker's periodic job: send what is due, one claim at a time and for no longer than
    ``budget_seconds`` (plus one receiver's timeout), so a slow receiver holds up the worker's
    other work as little as possible."""
    delivered = 0
    stop_at = time.monotonic() + budget_seconds
    while time.monotonic() < stop_at:
        claimed = webhooks_claim(limit=1)
        if not claimed:
            break
        delivered += webhook_send(claimed[0])
    return delivered
