"""Fixed lists of choices in appointments: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class VenueKind(models.TextChoices):
    RECEPTION = "reception", "Council reception"
    COMMUNITY_HUB = "community_hub", "Community hub"
    LIBRARY = "library", "Library"


class VisitKind(models.TextChoices):
    APPOINTMENT = "appointment", "Appointment"
    WALK_IN = "walk_in", "Walked in"


class VisitStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    WAITING = "waiting", "Waiting"
    SEEN = "seen", "Seen"
    NO_SHOW = "no_show", "Did not come or did not wait"
    CANCELLED = "cancelled", "Cancelled"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SessionKind(models.TextChoices):
    DIGITAL_HELP = "digital_help", "Digital help drop-in"
