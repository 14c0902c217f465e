"""Feedback from residents and staff: page feedback, end-of-contact ratings, micro-surveys at
places (reached by QR code) and benchmark surveys (resident CSI and NPS, workforce engagement).

Free-text comments are stored with personal details taken out and carry a sentiment score
worked out when they arrive (``analysis.sentiment_score``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from civicdesk.core.choices import Channel

from .choices import RATING_REASONS, Rating, RatingSource, SurveyKind


class PageFeedback(models.Model):
    """An answer to "did you find what you were looking for?" on one page. Never personal."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="page_feedback"
    )
    path = models.CharField(max_length=300, db_index=True, help_text="The page, without query.")
    found = models.BooleanField()
    comment = models.TextField(blank=True, help_text="With personal details taken out.")
    sentiment = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.path}: {'yes' if self.found else 'no'}"


class ContactRating(models.Model):
    """Good, average or poor for one case or one contact, with the reasons and a comment.

    A case, or a contact, is rated once: the constraints make a second rating impossible.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service_area = models.ForeignKey(
        "catalogue.ServiceArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    source = models.CharField(max_length=20, choices=RatingSource.choices)
    rating = models.CharField(max_length=10, choices=Rating.choices)
    friendliness = models.BooleanField(default=False)
    helpfulness = models.BooleanField(default=False)
    first_time_fix = models.BooleanField(default=False)
    ease = models.BooleanField(default=False)
    speed = models.BooleanField(default=False)
    comment = models.TextField(blank=True, help_text="With personal details taken out.")
    sentiment = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True, help_text="When the rating was given.")
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(case__isnull=False), name="rating_once_per_case"
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(contact__isnull=False),
                name="rating_once_per_contact",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} ({self.get_channel_display()})"

    @property
    def reasons(self) -> list[str]:
        return [label for key, label in RATING_REASONS.items() if getattr(self, key)]


class RatingInvitation(models.Model):
    """That a resident has been sent a link to rate a finished case (sent once per case)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Invitation for case {self.case_id}"


class MicroSurvey(models.Model):
    """A one-question survey for a place (a park, a leisure centre), reached by a QR code."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    place = models.CharField(max_length=120)
    question = models.CharField(max_length=200)
    code = models.SlugField(max_length=20, unique=True, help_text="The survey's web address.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["place"]

    def __str__(self) -> str:
        return f"{self.place}: {self.question}"


class MicroSurveyAnswer(models.Model):
    survey = models.ForeignKey(MicroSurvey, on_delete=models.CASCADE, related_name="answers")
    rating = models.CharField(max_length=10, choices=Rating.choices)
    comment = models.TextField(blank=True, help_text="With personal details taken out.")
    sentiment = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["survey", "created_at"])]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.rating}"


class SurveyRound(models.Model):
    """One round of a benchmark survey, such as the resident survey of spring 2024."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=SurveyKind.choices)
    name = models.CharField(max_length=120)
    held_on = models.DateField(help_text="When the fieldwork ended.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "held_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "name"], name="survey_round_name_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class SurveyResponse(models.Model):
    """One person's answers. ``score`` is their CSI (residents) or engagement (staff), 0-100,
    worked out from ``answers`` when stored; ``recommend`` is 0-10 (residents only)."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField(default=dict)
    score = models.FloatField()
    recommend = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="With personal details taken out.")
    sentiment = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Response {self.pk} to round {self.round_id}"
