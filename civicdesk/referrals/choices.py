"""Fixed lists of choices in referrals: pages import them without the models."""

from __future__ import annotations

from django.db import models


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Waiting for them to decide"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ContactSharing(models.TextChoices):
    """Whether the resident's name and contact details go with the referral, and on what basis.
    Without one of the two bases the receiving organisation gets the request, never the person."""

    NOT_SHARED = "not_shared", "Do not share their name or contact details"
    CONSENT = "consent", "The resident agreed to us sharing them"
    LAWFUL_BASIS = "lawful_basis", "Share them without consent, on a lawful basis I record"


class DeclineReason(models.TextChoices):
    NOT_OURS = "not_ours", "It is not something we deal with"
    NOT_ELIGIBLE = "not_eligible", "The resident does not meet our criteria"
    ALREADY_KNOWN = "already_known", "We are already dealing with it"
    NEEDS_MORE = "needs_more", "We need more information before we can take it"
    OUT_OF_AREA = "out_of_area", "It is outside the area we cover"
    OTHER = "other", "Another reason"


OPEN_REFERRAL_STATUSES = frozenset({ReferralStatus.SENT})


class EndpointKind(models.TextChoices):
    """How a referral reaches an organisation that is not on this installation."""

    OPEN311 = "open311", "Open311 (GeoReport v2) request"
    WEBHOOK = "webhook", "Signed webhook"


class DispatchStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Could not be delivered"
