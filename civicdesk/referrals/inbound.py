"""Status back from organisations that take our referrals by signed webhook (ADR 49).

Their system posts each change to ``/hooks/referrals/<their public id>/status``, signed with
the secret we sign their referrals with and in the same way: ``CivicDesk-Signature: t=<unix
time>,v1=<hex HMAC-SHA256 of "t.body">``. The update is applied through
``referral_external_report``, the path the Open311 poll takes, so the sender's pages, the
resident's one message and the figures follow it exactly as they follow Open311.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from civicdesk.core.calendar import iso_time_utc
from civicdesk.core.errors import DomainError, NotFound, TransitionNotAllowed, ValidationFailed
from civicdesk.core.text import storable
from civicdesk.integrations.webhooks import signature_header

from .choices import DeclineReason, ReferralStatus
from .external import ExternalReport, referral_webhook_id
from .models import ExternalOrganisation, Referral
from .services import MAX_REASON_LENGTH, referral_external_report

logger = logging.getLogger(__name__)

# A signed update older (or further ahead of our clock) than this is refused, so one copied
# off the wire cannot be played back later.
SIGNATURE_TOLERANCE = timedelta(minutes=5)
MAX_REFERENCE_LENGTH = 100
STATUSES = ("accepted", "declined", "resolved", "closed")
STATUS_FIELDS = ("referral", "status", "reason", "reference", "note", "updated_at")
_REFERRAL_ID = re.compile(r"referral-([0-9]{1,18})")
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


class BadSignature(DomainError):
    code = "bad_signature"


class SignatureTooOld(BadSignature):
    code = "signature_too_old"


class ReferralClosed(TransitionNotAllowed):
    code = "referral_closed"


def receiver_signature_check(*, secret: str, body: bytes, header: str, now: datetime) -> None:
    """Raises ``BadSignature`` unless ``header`` signs ``body`` with ``secret``, made within
    ``SIGNATURE_TOLERANCE`` of ``now``. Several ``v1`` values may be given (while a receiver
    changes its secret); any one matching will do. Compared in constant time."""
    pairs = [part.strip().partition("=") for part in header.split(",")]
    times = [value for key, _, value in pairs if key == "t"]
    given = [value for key, _, value in pairs if key == "v1"]
    if not secret or len(times) != 1 or not _UNIX_TIME.fullmatch(times[0]) or not given:
        raise BadSignature(
            "Sign the body with the shared secret: "
            "CivicDesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of t.body>."
        )
    signed_at = int(times[0])
    if abs(now.timestamp() - signed_at) > SIGNATURE_TOLERANCE.total_seconds():
        raise SignatureTooOld(
            "The signature's time is more than five minutes from ours: sign each update as "
            "you send it, with the current Unix time, and check your clock."
        )
    expected = signature_header(secret, body, signed_at).rpartition("v1=")[2].encode()
    if not any(hmac.compare_digest(expected, value.encode("utf-8", "replace")) for value in given):
        raise BadSignature("The signature does not match this body and the shared secret.")


@dataclass(frozen=True)
class ReceiverUpdate:
    """One status a receiver posted about one of our referrals, checked."""

    referral_id: int
    report: ExternalReport


def receiver_update_read(payload: object, *, now: datetime) -> ReceiverUpdate:
    """The update in a posted JSON object; ``ValidationFailed`` names each field that is wrong.
    Text loses the characters no database can store; a note is cut to 2,000 characters."""
    if not isinstance(payload, dict):
        raise ValidationFailed("Send a JSON object.")
    errors: dict[str, str] = {}
    texts = {key: _text(payload.get(key)) for key in STATUS_FIELDS}
    for key, text in texts.items():
        if text is None:
            errors[key] = f"{key} must be a string"
    referral = _REFERRAL_ID.fullmatch(texts["referral"] or "")
    if referral is None and "referral" not in errors:
        errors["referral"] = 'Give the id we sent the referral with, such as "referral-123"'
    status = (texts["status"] or "").lower()
    if status not in STATUSES and "status" not in errors:
        errors["status"] = "status must be one of " + ", ".join(STATUSES)
    reason = texts["reason"] or ""
    if status == "declined" and reason not in DeclineReason.values and "reason" not in errors:
        errors["reason"] = "When you decline, give a reason: one of " + ", ".join(
            DeclineReason.values
        )
    reference = texts["reference"] or ""
    if len(reference) > MAX_REFERENCE_LENGTH:
        errors["reference"] = f"reference must be at most {MAX_REFERENCE_LENGTH} characters"
    updated_at = iso_time_utc(texts["updated_at"] or "")
    if updated_at is None and "updated_at" not in errors:
        errors["updated_at"] = "Give when the status changed, in ISO 8601 with its offset"
    elif updated_at is not None and updated_at > now + SIGNATURE_TOLERANCE:
        errors["updated_at"] = "updated_at is later than now"
    if errors or referral is None or updated_at is None:
        raise ValidationFailed("There is a problem with the status update.", fields=errors)
    return ReceiverUpdate(
        referral_id=int(referral.group(1)),
        report=ExternalReport(
            status=status,
            updated_at=updated_at,
            note=(texts["note"] or "")[:MAX_REASON_LENGTH],
            declined_because=reason if status == "declined" else "",
            reference=reference,
        ),
    )


@dataclass(frozen=True)
class ReceiverAnswer:
    """What we tell the receiver: our id for the referral, where it stands with us, and
    whether this update changed anything (the same update twice changes nothing)."""

    referral: str
    status: str
    changed: bool


def referral_receiver_update(
    *, receiver: ExternalOrganisation, update: ReceiverUpdate, now: datetime | None = None
) -> ReceiverAnswer:
    """Apply a receiver's status update to a referral we sent it. A referral sent to anyone
    else is "not found", exactly as one that does not exist."""
    now = now or timezone.now()
    report = update.report
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .filter(pk=update.referral_id, to_external=receiver)
            .first()
        )
        if referral is None:
            raise NotFound("We sent you no referral with that id.")
        if not report.older_than_recorded(referral):
            _refuse_contradiction(referral, report)
        changed = referral_external_report(referral_id=referral.pk, report=report, now=now)
        referral.refresh_from_db(fields=["status"])
    logger.info(
        "Referral %s: status update from external organisation %s (%s)",
        referral.pk,
        receiver.pk,
        "applied" if changed else "nothing new",
    )
    return ReceiverAnswer(
        referral=referral_webhook_id(referral.pk), status=referral.status, changed=changed
    )


def _refuse_contradiction(referral: Referral, report: ExternalReport) -> None:
    """A decision cannot be undone from outside: the sender withdrew it, or it was already
    decided the other way. The same decision again is simply nothing new."""
    if referral.status == ReferralStatus.WITHDRAWN:
        raise ReferralClosed("The sender withdrew this referral; it needs nothing more from you.")
    if referral.status == ReferralStatus.DECLINED and not report.decline_reason:
        raise ReferralClosed(
            "You declined this referral, so it went back to the sender: it cannot be "
            "accepted or resolved now. Ask the sender to refer it again."
        )
    if referral.status == ReferralStatus.ACCEPTED and report.decline_reason:
        raise ReferralClosed(
            "You accepted this referral, so it cannot be declined now: send resolved or "
            "closed, with a note, when you have finished with it."
        )


def _text(value: object) -> str | None:
    """A field's text, stripped and storable; "" when absent; None when it is not text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return None
    return storable(value).strip()
