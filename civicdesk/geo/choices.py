"""Fixed lists of choices in geo: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class Adoption(models.TextChoices):
    ADOPTED = "adopted", "Adopted: the council maintains it"
    UNADOPTED = "unadopted", "Unadopted: not maintained by the council"
    PRIVATE = "private", "Private road"
    NATIONAL_HIGHWAYS = "national_highways", "National Highways (motorway or trunk road)"


class BinType(models.TextChoices):
    GENERAL = "general", "General waste"
    RECYCLING = "recycling", "Recycling"
    GARDEN = "garden", "Garden waste"
    FOOD = "food", "Food waste"
