"""Fixed lists of choices in integrations: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    CASES_READ = "cases:read", "Read cases"
    CASES_CREATE = "cases:create", "Create cases and contacts"
    CASES_UPDATE = "cases:update", "Add updates, notes, files and change status"
    OPEN311 = "open311", "Open311 GeoReport v2"


class TokenStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be opened"
    OPENED = "opened", "Case opened"
    REFUSED = "refused", "Refused"


class WebhookEvent(models.TextChoices):
    CASE_CREATED = "case.created", "Case created"
    CASE_ASSIGNED = "case.assigned", "Case assigned"
    CASE_UPDATED = "case.updated", "Case updated"
    CASE_CLOSED = "case.closed", "Case closed"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
