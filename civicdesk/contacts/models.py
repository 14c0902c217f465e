"""Contacts: every interaction with a customer, on every channel, in either direction."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.core.choices import Channel

from .choices import ContactOutcome, ContactReason, Direction


class Contact(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contacts"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    request_type = models.ForeignKey(
        "catalogue.RequestType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=ContactReason.choices)
    outcome = models.CharField(max_length=30, choices=ContactOutcome.choices)
    is_repeat = models.BooleanField(
        default=False, help_text="About something the customer has already contacted us about."
    )
    assisted = models.BooleanField(
        default=False, help_text="Staff completed a self-service journey for the customer."
    )
    summary = models.TextField(blank=True)
    signposted_to = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "started_at"]),
            models.Index(fields=["customer", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} contact on {self.started_at:%d %b %Y}"
