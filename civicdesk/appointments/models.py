"""Reception desks, community hubs and libraries: when they are open, the sessions held there
(free digital help, say), booked appointments and people who walk in.

Each visit is one person at one place: booked for a time, or arrived without one. Reception
sees the day's list, with people waiting first; residents with a support need on their record
wait first of all (without the need itself being shown on the list).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.core.models import TimeStampedModel

from .choices import SessionKind, VenueKind, VisitKind, VisitStatus, Weekday


class Venue(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="venues"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=VenueKind.choices)
    address = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    helps_with = models.CharField(
        max_length=500,
        blank=True,
        help_text="The services staff here help residents with, as service keys separated by "
        "commas (blue-badge, benefits). Leave empty if they help with every service.",
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="venue_unique")
        ]

    def __str__(self) -> str:
        return self.name


class OpeningTime(models.Model):
    """A day's opening hours at a place; a place can open twice in a day (mornings and late
    afternoons), and is closed on the days it has none."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="opening_times")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["venue", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opening_time_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"


class Session(TimeStampedModel):
    """Something held at a place every week, which residents can drop in to: free help to go
    online, for instance."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=20, choices=SessionKind.choices)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()
    summary = models.CharField(
        max_length=200,
        blank=True,
        help_text="What residents can get help with, in a sentence.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["weekday", "starts", "venue"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="session_time_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.get_weekday_display()} at {self.venue}"


class Visit(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(max_length=20, choices=VisitKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    name_given = models.CharField(
        max_length=120, blank=True, help_text="For someone who walked in with no record yet."
    )
    reason = models.CharField(max_length=200)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="A booked time.")
    status = models.CharField(max_length=20, choices=VisitStatus.choices)
    priority = models.BooleanField(
        default=False, help_text="Seen first: the resident has a support need on their record."
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "arrived_at", "id"]
        indexes = [
            models.Index(fields=["venue", "starts_at"]),
            models.Index(fields=["venue", "status", "arrived_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.venue}"

    @property
    def who(self) -> str:
        if self.customer is not None:
            return self.customer.display_name or "Name not known"
        return self.name_given or "Name not given"
