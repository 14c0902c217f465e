"""Fixed lists of choices in organisations: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class OrganisationKind(models.TextChoices):
    UNITARY = "unitary", "Unitary council"
    COUNTY = "county", "County council"
    DISTRICT = "district", "District council"
    PARTNER = "partner", "Partner organisation"


class Role(models.TextChoices):
    ADVISER = "adviser", "Adviser"
    OFFICER = "officer", "Officer"
    TEAM_LEAD = "team_lead", "Team lead"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Administrator"
    # Reads the insight dashboard and nothing else: no case work, no residents' details.
    COUNCILLOR = "councillor", "Councillor"
    # Answers subject access and erasure requests and reads the log of who read what.
    DATA_PROTECTION = "data_protection", "Data protection officer"
