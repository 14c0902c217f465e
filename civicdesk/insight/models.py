"""Precomputed daily summaries behind the KPI dashboard (ADR 15).

Each table holds counts per council, day (UK time) and the dashboard's filters (channel and
service area). The worker keeps them up to date (``services.insight_refresh``): it finds the days
that new or changed records fall on and recounts just those days from the raw tables, in SQL.
The dashboard then adds up a few thousand summary rows instead of millions of raw ones.
"""

from __future__ import annotations

from django.db import models

from civicdesk.core.choices import Channel


class WorkingDay(models.Model):
    """Every day from 2010, numbered so that the working days between two dates is a
    subtraction the database can do: ``ordinal`` counts working days up to and including it."""

    nation = models.CharField(max_length=30)
    day = models.DateField()
    ordinal = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nation", "day"], name="working_day_unique")]

    def __str__(self) -> str:
        return f"{self.nation} {self.day}: {self.ordinal}"


class _Summary(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    service_area = models.ForeignKey(
        "catalogue.ServiceArea", null=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True


class ContactDaily(_Summary):
    """Contacts from customers (inbound) on a day, by channel and service area."""

    contacts = models.PositiveIntegerField()
    repeats = models.PositiveIntegerField()
    progress_chasing = models.PositiveIntegerField()
    failure_demand = models.PositiveIntegerField()
    fix_eligible = models.PositiveIntegerField(
        help_text="Contacts that could be sorted out there and then (see the definition)."
    )
    fixed_first_time = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"], name="contact_daily_day")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day} {self.channel}"


class ContactHourly(_Summary):
    """Inbound contacts on a day by hour of the day (0-23, UK time)."""

    hour = models.PositiveSmallIntegerField()
    contacts = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"], name="contact_hourly_day")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day} {self.channel}"


class CaseResolvedDaily(_Summary):
    """Cases resolved on a day, by how many working days they took (capped at MAX_DAYS)."""

    MAX_DAYS = 60
    working_days = models.PositiveSmallIntegerField()
    cases = models.PositiveIntegerField()
    with_target = models.PositiveIntegerField()
    within_target = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"], name="case_resolved_daily_day")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day} {self.channel}"


class CountedResolution(models.Model):
    """Which day each resolved case is counted on in ``CaseResolvedDaily``, so that when a case
    is reopened (its resolution cleared) or resolved again the refresh knows which earlier day
    to recount."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"], name="counted_resolution_day")]

    def __str__(self) -> str:
        return f"case {self.case_id} on {self.day}"


class RatingDaily(_Summary):
    """End-of-contact ratings given on a day."""

    good = models.PositiveIntegerField()
    average = models.PositiveIntegerField()
    poor = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"], name="rating_daily_day")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day} {self.channel}"


class RefreshMark(models.Model):
    """How far the summaries are up to date: records changed after ``up_to`` are still to do."""

    name = models.CharField(max_length=40, unique=True)
    up_to = models.DateTimeField()
    finished_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} up to {self.up_to:%Y-%m-%d %H:%M}"
