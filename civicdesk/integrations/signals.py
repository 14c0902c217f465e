"""Webhook deliveries are written with the case change that causes them (ADR 12), and every
save or delete of what intake keeps in each process draws it a new version (ADR 43)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from civicdesk.core.models import AuditEvent
from civicdesk.organisations.models import Organisation

from .cached import api_clients_changed, jurisdictions_changed, webhook_subscribers_changed
from .models import ApiClient, Open311Jurisdiction, WebhookSubscription
from .webhooks import webhooks_queue


@receiver(post_save, sender=AuditEvent, dispatch_uid="integrations-webhook-deliveries")
def queue_webhook_deliveries(
    sender: type[models.Model], instance: AuditEvent, created: bool, raw: bool, **kwargs: Any
) -> None:
    """Write a case event's webhook deliveries in the transaction that saves its audit entry.
    Fixtures loaded raw are history, not news, and send nothing."""
    if created and not raw:
        webhooks_queue(audit=instance)


@receiver(post_save, sender=ApiClient, dispatch_uid="integrations-api-client-saved")
@receiver(post_delete, sender=ApiClient, dispatch_uid="integrations-api-client-deleted")
def api_client_saved(sender: type[models.Model], **kwargs: Any) -> None:
    api_clients_changed()


@receiver(post_save, sender=Organisation, dispatch_uid="integrations-organisation-saved")
def organisation_saved(sender: type[models.Model], instance: Organisation, **kwargs: Any) -> None:
    """Clients and jurisdictions are kept with their organisation, which has changed."""
    api_clients_changed()
    jurisdictions_changed()


@receiver(post_save, sender=Open311Jurisdiction, dispatch_uid="integrations-jurisdiction-saved")
@receiver(post_delete, sender=Open311Jurisdiction, dispatch_uid="integrations-jurisdiction-deleted")
def jurisdiction_saved(sender: type[models.Model], **kwargs: Any) -> None:
    jurisdictions_changed()


@receiver(post_save, sender=WebhookSubscription, dispatch_uid="integrations-webhook-saved")
@receiver(post_delete, sender=WebhookSubscription, dispatch_uid="integrations-webhook-deleted")
def webhook_subscription_saved(
    sender: type[models.Model], instance: WebhookSubscription, **kwargs: Any
) -> None:
    webhook_subscribers_changed(organisation_id=instance.organisation_id)
