"""Complaints: stages, reasons, outcomes, remedies, learning and Ombudsman referrals.

A complaint is a case of the complaint kind (its reference, customer, contacts and timeline are
the case's) with the complaint procedure on top: a first response within the stage 1
timescale, and, if the customer is still unhappy, a review at stage 2 with its own timescale,
after which they may go to the Ombudsman.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.core.models import TimeStampedModel

from .choices import Outcome


class ComplaintReason(TimeStampedModel):
    """What a complaint is about, from the council's own list."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="complaint_reasons"
    )
    name = models.CharField(max_length=120)
    customer_experience = models.BooleanField(
        default=False,
        help_text="About how we dealt with the customer (delay, attitude, not kept informed), "
        "rather than the service itself.",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="complaint_reason_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ComplaintTimescale(models.Model):
    """How many working days the council gives itself to respond at each stage."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    stage = models.PositiveSmallIntegerField(choices=[(1, "Stage 1"), (2, "Stage 2")])
    working_days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["organisation", "stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "stage"], name="complaint_timescale_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Stage {self.stage}: {self.working_days} working days"


class Complaint(TimeStampedModel):
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="complaint")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="complaints"
    )
    about_service_area = models.ForeignKey(
        "catalogue.ServiceArea",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The service the complaint is about.",
    )
    reasons = models.ManyToManyField(ComplaintReason, related_name="complaints")
    stage = models.PositiveSmallIntegerField(default=1)
    stage_started_at = models.DateTimeField()
    stage_due_at = models.DateTimeField(
        db_index=True, help_text="When the response at the current stage is due."
    )
    # Kept when the complaint goes to stage 2, so the stage 1 response is still judged against
    # its own due date (stage 2's is stage_due_at from then on).
    stage1_due_at = models.DateTimeField(help_text="When the stage 1 response was due.")
    responded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the council responded at the current stage."
    )
    stage1_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    stage1_responded_at = models.DateTimeField(null=True, blank=True)
    stage2_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    stage2_responded_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.TextField(blank=True)
    remedy = models.TextField(
        blank=True, help_text="What the council did to put things right, at stage 1."
    )
    learning = models.TextField(blank=True, help_text="What the council will change, at stage 1.")
    stage2_remedy = models.TextField(blank=True, help_text="What the stage 2 review put right.")
    stage2_learning = models.TextField(blank=True, help_text="What the stage 2 review will change.")
    ombudsman_referred_at = models.DateTimeField(null=True, blank=True)
    ombudsman_reference = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["stage_due_at", "id"]
        indexes = [models.Index(fields=["organisation", "responded_at", "stage_due_at"])]

    def __str__(self) -> str:
        return f"Complaint {self.case_id} at stage {self.stage}"

    @property
    def outcome(self) -> str:
        return self.stage2_outcome or self.stage1_outcome
