"""Fixed lists of choices in channels: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class InboundChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class MessageOutcome(models.TextChoices):
    THREADED = "threaded", "Added to the case it quotes"
    CASE_OPENED = "case_opened", "New case opened"
    TRIAGE = "triage", "Waiting in the triage queue"
    TRIAGED = "triaged", "Dealt with from the triage queue"
    IGNORED = "ignored", "Ignored: automatic or bulk mail"
    RATED = "rated", "A rating of how we did, answering our text"


class CheckOutcome(models.TextChoices):
    """What the channels checklist found out about one channel."""

    WORKS = "works", "Works"
    PROBLEM = "problem", "Problem"
    UNKNOWN = "unknown", "Not known yet"
