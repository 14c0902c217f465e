"""Webhook deliveries are written with the case change that causes them (ADR 12)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver

from civicdesk.core.models import AuditEvent

from .webhooks import webhooks_queue


@receiver(post_save, sender=AuditEvent, dispatch_uid="integrations-webhook-deliveries")
def queue_webhook_deliveries(
    sender: type[models.Model], instance: AuditEvent, created: bool, raw: bool, **kwargs: Any
) -> None:
    """Write a case event's webhook deliveries in the transaction that saves its audit entry.
    Fixtures loaded raw are history, not news, and send nothing."""
    if created and not raw:
        webhooks_queue(audit=instance)
