"""Cases: a piece of work the council owes a customer, from first contact to closure."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.core.calendar import TimeUnit
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.models import TimeStampedModel

from .choices import (
    OPEN_STATUSES,
    RELEASED_VIRUS_CHECKS,
    CaseKind,
    CaseStatus,
    ClockState,
    NoteVisibility,
    VirusCheck,
)


class Case(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="cases"
    )
    reference = models.CharField(max_length=9, unique=True)
    kind = models.CharField(max_length=20, choices=CaseKind.choices, default=CaseKind.REQUEST)
    request_type = models.ForeignKey(
        "catalogue.RequestType", on_delete=models.PROTECT, related_name="cases"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.STANDARD)
    team = models.ForeignKey(
        "organisations.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    description = models.TextField(blank=True)
    # The description as outside systems may read it: without contact details (see
    # ``cases.public_words``), filtered once when it is written rather than on every read.
    public_description = models.TextField(blank=True, default="", db_default="")
    answers = models.JSONField(default=dict, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_text = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(db_index=True)

    # The charter clock. The target is copied from the catalogue when the case opens, so a
    # later change to the catalogue does not move promises already made.
    target_amount = models.PositiveIntegerField(null=True, blank=True)
    target_unit = models.CharField(
        max_length=20,
        blank=True,
        choices=[(unit.value, unit.value.replace("_", " ")) for unit in TimeUnit],
    )
    target_summary = models.CharField(max_length=200, blank=True)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    due_soon_at = models.DateTimeField(null=True, blank=True)
    clock_state = models.CharField(
        max_length=20, choices=ClockState.choices, default=ClockState.NO_TARGET
    )
    clock_flagged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the charter sweep last changed the clock state."
    )
    paused_at = models.DateTimeField(null=True, blank=True)

    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Goes up with every change, so that edits cannot silently collide."
    )
    # A case brought over from the system the council used before keeps that system's reference,
    # as written there and as searched: upper case, letters and digits only.
    legacy_reference = models.CharField(
        max_length=60, blank=True, help_text="Its reference in the council's previous system."
    )
    legacy_reference_key = models.CharField(max_length=60, blank=True, editable=False)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "legacy_reference_key"],
                condition=~models.Q(legacy_reference_key=""),
                name="case_legacy_reference",
            )
        ]
        indexes = [
            models.Index(fields=["clock_state", "due_at"], name="case_clock_due"),
            models.Index(fields=["clock_state", "due_soon_at"], name="case_clock_due_soon"),
            models.Index(fields=["clock_flagged_at", "team"], name="case_clock_flagged"),
            models.Index(fields=["organisation", "team", "status"], name="case_queue"),
            # The open cases alone, a small part of a council's years of cases: the team lead
            # view and other counts of open work read them without scanning the closed ones.
            models.Index(
                fields=["organisation", "team"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="case_open",
            ),
            models.Index(fields=["customer", "opened_at"], name="case_customer"),
            # The API's case list, newest first, paged by (opened_at, id): ADR 37.
            models.Index(fields=["organisation", "-opened_at", "-id"], name="case_newest"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    visibility = models.CharField(max_length=10, choices=NoteVisibility.choices)
    body = models.TextField()
    # The body as outside systems may read it, filtered when the note is written (as for
    # ``Case.public_description``).
    public_body = models.TextField(blank=True, default="", db_default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_visibility_display()} on {self.case.reference}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.organisation_id}/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """A document or photo on a case, stored outside the web root under a random name."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_label = models.CharField(max_length=120)
    public = models.BooleanField(
        default=True, help_text="Whether the customer can see it in their account."
    )
    virus_check = models.CharField(
        max_length=20, choices=VirusCheck.choices, default=VirusCheck.NOT_SCANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def released(self) -> bool:
        """Whether the virus check lets staff (and, if public, the resident) open it."""
        return self.virus_check in RELEASED_VIRUS_CHECKS


class CaseFollower(models.Model):
    """A resident who asked to hear about someone else's report instead of making a duplicate."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="followed_cases"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "customer"], name="case_follower_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} follows {self.case_id}"


class LegacyCustomer(models.Model):
    """A customer brought over from the council's previous system, by that system's id: how
    importing from it again finds the record instead of making a second one."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    legacy_id = models.CharField(max_length=60)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="legacy_ids"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "legacy_id"], name="legacy_customer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.legacy_id} -> customer {self.customer_id}"
