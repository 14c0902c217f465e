"""Fixed lists of choices in customers: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class CustomerKind(models.TextChoices):
    PERSON = "person", "Person"
    BUSINESS = "business", "Business"


class PreferredChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"
    PHONE = "phone", "Phone call"


class DetailKind(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"


class SupportNeedKind(models.TextChoices):
    HEARING = "hearing", "Deaf or hard of hearing"
    SIGHT = "sight", "Blind or partially sighted"
    MOBILITY = "mobility", "Mobility"
    MENTAL_HEALTH = "mental_health", "Mental health"
    LEARNING = "learning", "Learning disability or difficulty"
    LANGUAGE = "language", "Needs an interpreter or translation"
    DIGITAL = "digital", "Cannot use online services"
    OTHER = "other", "Other"


class Relationship(models.TextChoices):
    CARER = "carer", "Carer"
    FAMILY = "family", "Family member"
    ADVOCATE = "advocate", "Advocate"
    COUNCILLOR = "councillor", "Councillor"
    MP = "mp", "Member of Parliament"
    SOLICITOR = "solicitor", "Solicitor"
    LANDLORD = "landlord", "Landlord or letting agent"
    OTHER = "other", "Other"


class SignInMethod(models.TextChoices):
    EMAIL_LINK = "email_link", "Link sent by email"
    PASSWORD = "password", "Password"
