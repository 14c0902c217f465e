"""Fixed lists of choices in catalogue: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class RequestKind(models.TextChoices):
    REPORT = "report", "Report a problem"
    REQUEST = "request", "Request a service"
    APPLICATION = "application", "Apply"
    BOOKING = "booking", "Book"
    TRANSACTION = "transaction", "Pay or challenge"
    COMPLAINT = "complaint", "Complaint"
    INFORMATION = "information", "Information only"


class ProviderTier(models.TextChoices):
    COUNTY = "county", "County council"
    DISTRICT = "district", "District council"
    ANY = "any", "Any council"


class QuestionKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    LOCATION = "location", "Location"
    FILE = "file", "File upload"
