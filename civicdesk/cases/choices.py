"""Fixed lists of choices in cases: pages and other apps import them without the models."""

from __future__ import annotations

from django.db import models


class CaseKind(models.TextChoices):
    REQUEST = "request", "Service request"
    COMPLAINT = "complaint", "Complaint"


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting for customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.WAITING,
    CaseStatus.REOPENED,
)


class ClockState(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    PAUSED = "paused", "Paused: waiting for customer"
    STOPPED = "stopped", "Stopped"
    NO_TARGET = "no_target", "No charter target"


# The clock is running in these states; the charter sweep only ever looks at them.
RUNNING_CLOCK_STATES = (ClockState.ON_TRACK, ClockState.DUE_SOON)


class NoteVisibility(models.TextChoices):
    INTERNAL = "internal", "Internal note"
    PUBLIC = "public", "Public update"


class VirusCheck(models.TextChoices):
    """What the virus scanner said about a document. Only CLEAN and NOT_SCANNED (no scanner
    set up) are released to staff and residents; HELD waits for the scanner to come back."""

    CLEAN = "clean", "Checked for viruses"
    NOT_SCANNED = "not_scanned", "Not checked: no virus scanner is set up"
    HELD = "held", "Held until the virus scanner can check it"
    INFECTED = "infected", "Removed: the virus scanner found a virus"


RELEASED_VIRUS_CHECKS = (VirusCheck.CLEAN, VirusCheck.NOT_SCANNED)
