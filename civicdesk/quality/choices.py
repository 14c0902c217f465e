"""Fixed lists of choices in quality: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class AssessmentKind(models.TextChoices):
    SPOT_CHECK = "spot_check", "Quality check of a contact"
    MYSTERY_CUSTOMER = "mystery_customer", "Mystery customer"


class Score(models.IntegerChoices):
    NOT_MET = 0, "Not met"
    PARTLY_MET = 1, "Partly met"
    MET = 2, "Met"
