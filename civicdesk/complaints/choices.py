"""Fixed lists of choices in complaints: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class Outcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
