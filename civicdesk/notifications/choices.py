"""Fixed lists of choices in notifications: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class MessageChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    KEPT = "kept", "Kept in the outbox for staff: not sent to the customer"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    NOT_SENT = "not_sent", "Not sent: no way to reach the customer"
