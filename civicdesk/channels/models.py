"""Inbound email and text messages, turned into contacts and cases."""

from __future__ import annotations

from django.db import models

from .choices import InboundChannel, MessageOutcome


class InboundAddress(models.Model):
    """An email address or text number of the council's that residents write to."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="inbound_addresses"
    )
    channel = models.CharField(max_length=10, choices=InboundChannel.choices)
    address = models.CharField(
        max_length=254, unique=True, help_text="Lower-case email address, or the number digits."
    )
    reply_within_days = models.PositiveSmallIntegerField(
        default=5, help_text="Working days the charter gives to answer a message."
    )

    class Meta:
        ordering = ["organisation", "channel", "address"]
        verbose_name_plural = "inbound addresses"

    def __str__(self) -> str:
        return self.address


class InboundMessage(models.Model):
    """Every message that reached us, stored before anything else happens to it."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=InboundChannel.choices)
    message_id = models.CharField(
        max_length=300, help_text="Message-ID of an email; the provider's id of a text."
    )
    sender = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=12, choices=MessageOutcome.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    suggested_service = models.ForeignKey(
        "catalogue.RequestType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The service the assistant thought the message most likely about.",
    )
    suggestion_confidence = models.FloatField(
        null=True, blank=True, help_text="How sure the assistant was of that service, 0 to 1."
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organisation", "outcome", "received_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel", "message_id"], name="inbound_message_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk} ({self.outcome})"


def _held_path(instance: HeldAttachment, filename: str) -> str:
    return f"inbound/{instance.message.organisation_id}/{instance.message_id}/{filename}"


class HeldAttachment(models.Model):
    """A checked attachment of a message in the triage queue, until a case takes it."""

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="held")
    file = models.FileField(upload_to=_held_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name
