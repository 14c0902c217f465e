"""Fixed lists of choices in feedback: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class Rating(models.TextChoices):
    GOOD = "good", "Good"
    AVERAGE = "average", "Average"
    POOR = "poor", "Poor"


class RatingSource(models.TextChoices):
    NOTIFICATION_LINK = "notification_link", "Link in a message"
    PORTAL = "portal", "Website"
    ADVISER = "adviser", "Recorded by an adviser at the end of a call"
    SMS_REPLY = "sms_reply", "Reply to a text message"


class SurveyKind(models.TextChoices):
    RESIDENT = "resident", "Resident survey (CSI and NPS)"
    WORKFORCE = "workforce", "Workforce survey (engagement)"


# Govmetric-style reasons: what made the experience good, or poor.
RATING_REASONS: dict[str, str] = {
    "friendliness": "Friendliness",
    "helpfulness": "Helpfulness",
    "first_time_fix": "Sorted out first time",
    "ease": "Easy to do",
    "speed": "Speed",
}
