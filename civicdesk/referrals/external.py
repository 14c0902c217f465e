"""Referrals to organisations on other systems (ADR 45): how they go out and what comes back.

A referral to an ``ExternalOrganisation`` is written with a ``ReferralDispatch`` in the same
transaction; the worker delivers it at least once through the lease-and-retry queue the outbox
and webhooks share, over the one HTTP client path (``integrations.webhooks.http_exchange``):
an Open311 ``POST requests.json`` or a webhook signed as our outgoing webhooks are. The
receiver's status comes back by polling its Open311 ``GET requests.json`` (``polling``) or,
from a webhook receiver, posted to our hook signed the same way (``inbound``, ADR 49).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from civicdesk.core.calendar import iso_time_utc
from civicdesk.core.leased_queue import LeasedQueue
from civicdesk.integrations.webhooks import (
    HttpAnswer,
    http_exchange,
    signature_header,
    webhook_backoff,
)

from .choices import DeclineReason, DispatchStatus, EndpointKind
from .models import ExternalOrganisation, Referral, ReferralDispatch

logger = logging.getLogger(__name__)

# Open311 statuses (GeoReport v2 and the FixMyStreet extensions) that mean the receiver has
# finished with the request, and those that mean it was never theirs to take.
# "resolved" is the webhook way back's word for it (ADR 49).
RESOLVED_STATUSES = frozenset(
    {"closed", "fixed", "no_further_action", "not_councils_responsibility", "resolved"}
)
DECLINING_STATUSES = {
    "not_councils_responsibility": DeclineReason.NOT_OURS,
    "internal_referral": DeclineReason.NOT_OURS,
    "duplicate": DeclineReason.ALREADY_KNOWN,
}


@dataclass(frozen=True)
class ExternalReport:
    """One status the receiving system reported for one request."""

    status: str
    updated_at: datetime | None = None
    note: str = ""
    # A webhook receiver names its reason for declining (one of ours) and its own reference
    # for the request in the update; Open311 says both through its status and request id.
    declined_because: str = ""
    reference: str = ""

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED_STATUSES

    @property
    def decline_reason(self) -> str:
        return self.declined_because or str(DECLINING_STATUSES.get(self.status, ""))

    def older_than_recorded(self, referral: Referral) -> bool:
        """Whether this report was made before the one the referral holds (delivered late or
        out of order), so must change nothing. One stamped with the same time as a report
        that finished the request cannot undo it either."""
        recorded = referral.external_updated_at
        if self.updated_at is None or recorded is None:
            return False
        if self.updated_at != recorded:
            return self.updated_at < recorded
        return referral.external_resolved_at is not None and not self.resolved


def referral_webhook_id(referral_id: int) -> str:
    """How a referral is named to a webhook receiver, and how it names it back to us."""
    return f"referral-{referral_id}"


def external_dispatch_queue(*, referral: Referral, now: datetime) -> ReferralDispatch:
    """Called inside the transaction that sends the referral: both are stored, or neither."""
    return ReferralDispatch.objects.create(
        referral=referral, next_attempt_at=now, max_attempts=settings.WEBHOOK_MAX_ATTEMPTS
    )


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3)


DISPATCHES = LeasedQueue(
    ReferralDispatch,
    lease=_lease,
    backoff=webhook_backoff,
    related=("referral__to_external", "referral__from_organisation", "referral__case"),
)


def external_dispatch_send(dispatch: ReferralDispatch) -> bool:
    """Deliver one claimed dispatch; returns whether the receiver took it."""
    if not DISPATCHES.begin_attempt(dispatch):
        logger.info("Referral dispatch %s was taken over by another worker", dispatch.pk)
        return False
    referral = dispatch.referral
    destination = referral.to_external
    assert destination is not None
    if destination.endpoint_kind == EndpointKind.OPEN311:
        answer = _open311_post(destination, referral)
    else:
        answer = _webhook_post(destination, referral, dispatch)
    reference = _reference_in(answer) if answer.accepted else ""
    if answer.accepted and (reference or destination.endpoint_kind == EndpointKind.WEBHOOK):
        Referral.objects.filter(pk=referral.pk).update(external_reference=reference[:100])
        DISPATCHES.held(dispatch).update(
            status=DispatchStatus.DELIVERED,
            delivered_at=timezone.now(),
            response_status=answer.status,
            last_error="",
            lease_token="",
        )
        return True
    error = answer.error or "The receiver did not give its reference for the request."
    logger.warning(
        "Referral dispatch %s attempt %s failed: %s", dispatch.pk, dispatch.attempts, error
    )
    DISPATCHES.attempt_failed(dispatch, error=error[:250], response_status=answer.status)
    return False


def external_dispatches_run(*, budget_seconds: float = 5.0) -> int:
    """The worker's periodic job: send what is due, one at a time, within a time budget."""
    delivered = 0
    stop_at = time.monotonic() + budget_seconds
    while time.monotonic() < stop_at:
        claimed = DISPATCHES.claim(limit=1)
        if not claimed:
            break
        delivered += external_dispatch_send(claimed[0])
    return delivered


def _description(referral: Referral) -> str:
    parts = [f"Referred by {referral.from_organisation.name}: {referral.reason}"]
    if referral.shared_description:
        parts.append(referral.shared_description)
    parts += [f"{question}: {answer}" for question, answer in referral.shared_answers]
    return "\n\n".join(parts)


def _open311_post(destination: ExternalOrganisation, referral: Referral) -> HttpAnswer:
    contact = referral.shared_contact if referral.shares_contact_details else {}
    fields = {
        "api_key": destination.api_key,
        "service_code": destination.service_code,
        "description": _description(referral),
        "first_name": contact.get("first_name", ""),
        "last_name": contact.get("last_name", ""),
        "email": next(iter(contact.get("emails", [])), ""),
        "phone": next(iter(contact.get("phones", [])), ""),
        "address_string": ", ".join(
            part
            for part in (contact.get("address_line_1", ""), contact.get("postcode", ""))
            if part
        ),
    }
    if destination.jurisdiction_id:
        fields["jurisdiction_id"] = destination.jurisdiction_id
    if referral.case is not None and referral.case.latitude is not None:
        fields["lat"], fields["long"] = str(referral.case.latitude), str(referral.case.longitude)
    body = urllib.parse.urlencode({key: value for key, value in fields.items() if value})
    return http_exchange(
        url=open311_url(destination, "requests.json"),
        body=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _webhook_post(
    destination: ExternalOrganisation, referral: Referral, dispatch: ReferralDispatch
) -> HttpAnswer:
    payload: dict[str, Any] = {
        "id": referral_webhook_id(referral.pk),
        "type": "referral.sent",
        "occurred_at": referral.sent_at.isoformat(),
        "referral": {
            "from": referral.from_organisation.name,
            "service": referral.service_name,
            "reason": referral.reason,
            "description": referral.shared_description,
            "answers": referral.shared_answers,
            "contact": referral.shared_contact if referral.shares_contact_details else None,
        },
    }
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return http_exchange(
        url=destination.endpoint_url,
        body=body,
        headers={
            "Content-Type": "application/json",
            "CivicDesk-Event": "referral.sent",
            "CivicDesk-Delivery": f"referral-{dispatch.pk}",
            "CivicDesk-Signature": signature_header(
                destination.signing_secret, body, int(time.time())
            ),
        },
    )


def _reference_in(answer: HttpAnswer) -> str:
    """The receiver's id for the request: Open311 answers ``[{"service_request_id": ...}]``;
    a webhook receiver may answer ``{"reference": ...}``."""
    try:
        found = json.loads(answer.body or b"null")
    except ValueError:
        return ""
    if isinstance(found, list) and found and isinstance(found[0], dict):
        found = found[0]
    if not isinstance(found, dict):
        return ""
    return str(found.get("service_request_id") or found.get("reference") or "")


def open311_url(destination: ExternalOrganisation, path: str) -> str:
    return destination.endpoint_url.rstrip("/") + "/" + path


def open311_statuses(
    destination: ExternalOrganisation, *, references: list[str]
) -> dict[str, ExternalReport] | None:
    """What the receiver says of these requests now, by its reference; None if it could not
    be asked (it is asked again next time)."""
    query = {"service_request_id": ",".join(references)}
    if destination.jurisdiction_id:
        query["jurisdiction_id"] = destination.jurisdiction_id
    answer = http_exchange(
        url=open311_url(destination, "requests.json") + "?" + urllib.parse.urlencode(query)
    )
    if not answer.accepted:
        logger.warning("Open311 status check for %s failed: %s", destination.pk, answer.error)
        return None
    try:
        found = json.loads(answer.body)
    except ValueError:
        logger.warning("Open311 status check for %s: the answer is not JSON", destination.pk)
        return None
    reports: dict[str, ExternalReport] = {}
    for row in found if isinstance(found, list) else []:
        if not isinstance(row, dict) or not row.get("service_request_id"):
            continue
        reports[str(row["service_request_id"])] = ExternalReport(
            status=str(row.get("status") or "open").lower(),
            updated_at=iso_time_utc(str(row.get("updated_datetime") or "")),
            note=str(row.get("status_notes") or "")[:2000],
        )
    return reports
