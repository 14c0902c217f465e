"""Quality checks and mystery-customer assessments against a council's own criteria.

A team lead scores a contact an adviser handled (a spot check), or records a mystery
customer's visit, call or email against a channel and a service, criterion by criterion,
with comments for the adviser.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.core.choices import Channel
from civicdesk.core.models import TimeStampedModel

from .choices import AssessmentKind, Score


class QualityCriterion(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="quality_criteria"
    )
    name = models.CharField(max_length=120)
    guidance = models.CharField(
        max_length=300, blank=True, help_text="What good looks like, shown to the assessor."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "position", "name"]
        verbose_name_plural = "quality criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="quality_criterion_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class QualityAssessment(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=AssessmentKind.choices)
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_assessments",
    )
    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_assessments",
        help_text="Who handled the contact, when known.",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    service_area = models.ForeignKey(
        "catalogue.ServiceArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comments = models.TextField(blank=True, help_text="Feedback for the adviser.")
    percentage = models.PositiveSmallIntegerField(help_text="Share of the points available.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.percentage}%"


class QualityScore(models.Model):
    assessment = models.ForeignKey(
        QualityAssessment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(QualityCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(choices=Score.choices)

    class Meta:
        ordering = ["criterion__position", "criterion__name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="quality_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_score_display()}"
