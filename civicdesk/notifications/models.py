"""The outbox: every message the council sends, written in the same transaction as its cause."""

from __future__ import annotations

from django.db import models

from .choices import MessageChannel, MessageStatus


class OutboxMessage(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="outbox"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    template = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    address = models.JSONField(default=list, blank=True, help_text="Address lines for a letter.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()

    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    next_attempt_at = models.DateTimeField()
    lease_token = models.CharField(max_length=36, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    gateway = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["status", "lease_expires_at"], name="outbox_leases"),
            # A customer's messages by date, a page at a time, for their timeline.
            models.Index(fields=["customer", "created_at"], name="outbox_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}: {self.template} ({self.status})"

    @property
    def provider_reference(self) -> str:
        """Sent to the provider with the message, so a retry can find an earlier attempt."""
        return f"civicdesk-outbox-{self.pk}"
