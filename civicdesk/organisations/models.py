"""Councils and partners, their teams and their staff."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models

from civicdesk.core.calendar import Nation, WorkingCalendar
from civicdesk.core.models import TimeStampedModel

from .choices import OrganisationKind, Role


class Organisation(TimeStampedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    code = models.CharField(
        max_length=20, blank=True, help_text="ONS local authority district code, e.g. E06000020."
    )
    nation = models.CharField(
        max_length=30,
        choices=[(nation.value, nation.value.replace("-", " ").title()) for nation in Nation],
        default=Nation.ENGLAND_AND_WALES.value,
    )
    opens = models.TimeField(default=time(9, 0), help_text="Start of the working day.")
    closes = models.TimeField(default=time(17, 0), help_text="End of the working day.")
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    emergency_phone = models.CharField(
        max_length=40, blank=True, help_text="The 24-hour number for emergencies."
    )
    email_from = models.EmailField(blank=True, help_text="Address notifications are sent from.")
    logo = models.CharField(
        max_length=300,
        blank=True,
        help_text="The council's logo: a path among the static files or an https address.",
    )
    boundary = models.JSONField(
        null=True, blank=True, help_text="GeoJSON Polygon or MultiPolygon, WGS84 lon/lat."
    )
    boundary_attribution = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(nation=Nation(self.nation), opens=self.opens, closes=self.closes)

    def provides(self, tier: str) -> bool:
        """Whether this organisation delivers services of a two-tier ``tier`` (county/district)."""
        if tier == "any" or self.kind == OrganisationKind.UNITARY:
            return self.kind != OrganisationKind.PARTNER
        return self.kind == tier


class Team(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    slug = models.SlugField()
    email = models.EmailField(blank=True, help_text="Shared inbox for the team.")
    handles_out_of_hours = models.BooleanField(
        default=False, help_text="The on-call team that takes emergencies at any hour."
    )
    accepts_referrals = models.BooleanField(
        default=False,
        help_text="Other organisations on CivicDesk may refer cases and contacts to this team.",
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_slug_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.name})"


class StaffMember(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    active = models.BooleanField(default=True)
    # The second factor: a TOTP secret, confirmed once the person has entered a code from it,
    # and the last time step used, so that one code cannot be used twice.
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation", "user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return (
            f"{self.user.get_full_name() or self.user.get_username()} ({self.get_role_display()})"
        )
