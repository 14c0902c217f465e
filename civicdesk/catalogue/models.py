"""The council's service catalogue: what residents can ask for, and how fast it is done."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from civicdesk.core.calendar import TimeUnit
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.models import TimeStampedModel

from .choices import ProviderTier, QuestionKind, RequestKind
from .urgency import urgency_problems


class ServiceArea(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="service_areas"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField()
    team = models.ForeignKey(
        "organisations.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_areas",
        help_text="The team whose queue new cases in this area go to.",
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="service_area_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RequestType(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="request_types"
    )
    service_area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="request_types"
    )
    key = models.SlugField(help_text="Stable identifier, the same in every council's catalogue.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    provider_tier = models.CharField(
        max_length=10,
        choices=ProviderTier.choices,
        default=ProviderTier.ANY,
        help_text="Which council provides it where there is a county and a district.",
    )
    emergency = models.BooleanField(
        default=False,
        help_text="Reaches the on-call team at any hour; residents should also phone.",
    )
    sensitive = models.BooleanField(
        default=False, help_text="Only staff in the handling team may see these cases."
    )
    charter_summary = models.CharField(
        max_length=200, blank=True, help_text="The timescale as the charter publishes it."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="request_type_key_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def opens_cases(self) -> bool:
        return self.kind != RequestKind.INFORMATION


class Question(models.Model):
    request_type = models.ForeignKey(
        RequestType, on_delete=models.CASCADE, related_name="questions"
    )
    key = models.SlugField()
    label = models.CharField(max_length=200, help_text="The question as the resident sees it.")
    hint = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    required = models.BooleanField(default=True)
    choices = models.JSONField(default=list, blank=True, help_text="Options for a choice question.")
    minimum = models.IntegerField(null=True, blank=True)
    maximum = models.IntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    priorities = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "For a choice question, the priority a choice gives the case, such as "
            '{"Yes": "emergency"} (emergency, urgent or standard). The case is timed against '
            "that priority's charter target."
        ),
    )
    danger_to_life = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'Choices that mean someone\'s life is in danger now, such as ["Yes"]. The resident '
            "is told to phone 999 and the 24-hour number before anything else."
        ),
    )
    public = models.BooleanField(
        default=False,
        help_text=(
            "Its answer may be shown to residents reporting the same problem nearby. Only for "
            "choices that say nothing about the person reporting."
        ),
    )

    class Meta:
        ordering = ["request_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request_type", "key"], name="question_key_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        problems = urgency_problems(
            kind=self.kind,
            choices=self.choices if isinstance(self.choices, list) else [],
            priorities=self.priorities,
            danger_to_life=self.danger_to_life,
        )
        if problems:
            raise ValidationError({"priorities": problems})


class CharterTarget(models.Model):
    """How long the council promises to take: per priority and per channel where they differ.

    A blank priority or channel means "any". The most specific target wins.
    """

    request_type = models.ForeignKey(
        RequestType, on_delete=models.CASCADE, related_name="charter_targets"
    )
    priority = models.CharField(max_length=20, choices=Priority.choices, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    amount = models.PositiveIntegerField()
    unit = models.CharField(
        max_length=20,
        choices=[(unit.value, unit.value.replace("_", " ")) for unit in TimeUnit],
    )
    summary = models.CharField(
        max_length=200, blank=True, help_text="What is done by then, e.g. 'made safe'."
    )

    class Meta:
        ordering = ["request_type", "priority", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_type", "priority", "channel"], name="charter_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"
