"""API clients with scoped keys, idempotent requests, Open311 tokens and outgoing webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from .choices import DeliveryStatus, TokenStatus, WebhookEvent

if TYPE_CHECKING:
    pass


class ApiClient(models.Model):
    """A system allowed to call the APIs for one organisation.

    The key is shown once when it is made; only its SHA-256 digest is kept. The first characters
    (the prefix) find the row without a table scan and are safe to show to staff.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="api_clients"
    )
    name = models.CharField(max_length=120, help_text="Who uses it, e.g. 'FixMyStreet'.")
    key_prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_digest = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    requests_per_minute = models.PositiveIntegerField(default=600)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor_label(self) -> str:
        return f"API client: {self.name}"


class IdempotencyRecord(models.Model):
    """The response to a POST made with an Idempotency-Key, replayed when the key comes again."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.key}"


class Open311Jurisdiction(models.Model):
    """How an organisation appears to Open311 clients."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="open311"
    )
    jurisdiction_id = models.CharField(
        max_length=100, unique=True, help_text="What clients send, e.g. 'telford.gov.uk'."
    )
    batch_intake = models.BooleanField(
        default=False,
        help_text="Answer new requests with a token and open the case in the background.",
    )

    def __str__(self) -> str:
        return self.jurisdiction_id


class Open311Token(models.Model):
    """A request accepted for batch intake: stored first, opened as a case by the worker."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=36, unique=True)
    submission = models.JSONField()
    status = models.CharField(
        max_length=10, choices=TokenStatus.choices, default=TokenStatus.PENDING
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    problem = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="open311_token_pending")]

    def __str__(self) -> str:
        return self.token


class ExternalUpdate(models.Model):
    """A status update or completion reported by a back-office system, with its source."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="updates")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(
        max_length=100, help_text="The sending system's own id for the update."
    )
    source = models.CharField(max_length=120, help_text="The system that sent it.")
    reported_status = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, blank=True, help_text="The case status it set.")
    description = models.TextField(blank=True)
    reported_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "external_id"], name="external_update_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.external_id}"


class WebhookSubscription(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=120, help_text="The system it feeds, e.g. 'Waste rounds'.")
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=64, editable=False, help_text="Signs each delivery (HMAC-SHA256)."
    )
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscriber: delivered at least once, with a lease like the outbox."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)
    event = models.CharField(max_length=20, choices=WebhookEvent.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    next_attempt_at = models.DateTimeField()
    lease_token = models.CharField(max_length=36, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
