"""Privacy's records, none of which holds personal data itself.

``Erasure``: that a customer's personal data was erased (or is being erased): ids, dates and
counts, so that erasing twice is refused with a clear message and an erasure that stopped
part-way can be finished by running it again. ``RetentionSchedule``: how long the council keeps
each kind of record; ``RetentionRun`` and ``AnonymisedCase``: what the retention job did.
``AccessEntry``: who opened which customer's record, document or sensitive case, and when.
``Disclosure``: a subject access export produced for an officer, downloadable once (its files
hold the customer's data; the row only ids, dates and counts).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .choices import (
    DEFAULT_AUDIT_MONTHS,
    DEFAULT_CHATS_DAYS,
    DEFAULT_CLOSED_CASES_MONTHS,
    DEFAULT_CONTACTS_MONTHS,
    DEFAULT_DOCUMENTS_MONTHS,
    DEFAULT_NOTIFICATIONS_MONTHS,
    DEFAULT_PAGE_FEEDBACK_MONTHS,
    AccessKind,
)


class Erasure(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="erasure"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Records changed or deleted, by kind of record."
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        state = "finished" if self.finished_at else "started"
        return f"Erasure of customer {self.customer_id} ({state})"


def _months(default: int, label: str, help_text: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MONTHS)],
        help_text=help_text,
    )


# A hundred years: longer than any schedule a council keeps, short enough for date arithmetic.
MAX_MONTHS = 1200
# Ten years of chats is far beyond any reason to keep them.
MAX_CHAT_DAYS = 3650


class RetentionSchedule(models.Model):
    """How long the council keeps each kind of record. Until it saves one, the defaults in
    ``choices`` apply; docs/retention.md gives their reasons."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    closed_cases_months = _months(
        DEFAULT_CLOSED_CASES_MONTHS,
        "closed cases (months)",
        "Months after a case is closed before its personal details are removed. The case, its "
        "dates and its service stay, so the council's figures do not change. A service area "
        "can have a period of its own, below.",
    )
    contacts_months = _months(
        DEFAULT_CONTACTS_MONTHS,
        "contacts (months)",
        "Months after a call, visit or message before its summary, and the emails and texts "
        "received, are removed. The contact is still counted.",
    )
    documents_months = _months(
        DEFAULT_DOCUMENTS_MONTHS,
        "documents and photos (months)",
        "Months after a case is closed, or an email arrived, before its documents and photos "
        "are deleted.",
    )
    notifications_months = _months(
        DEFAULT_NOTIFICATIONS_MONTHS,
        "messages sent (months)",
        "Months after an email, text or letter was sent before it is deleted.",
    )
    chats_days = models.PositiveSmallIntegerField(
        "chats with Ask (days)",
        default=DEFAULT_CHATS_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CHAT_DAYS)],
        help_text="Days after a chat's last message before it is deleted. The installation may "
        "delete chats sooner (ASSISTANT_KEEP_DAYS), never later.",
    )
    page_feedback_months = _months(
        DEFAULT_PAGE_FEEDBACK_MONTHS,
        "page feedback comments (months)",
        "Months before the comment left with 'did you find what you were looking for?' is "
        "removed. The answer itself is still counted.",
    )
    audit_months = _months(
        DEFAULT_AUDIT_MONTHS,
        "audit trail and access log (months)",
        "Months before an entry in the audit trail, or in the log of who read what, is deleted.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "retention schedule"

    def __str__(self) -> str:
        return "Retention schedule"


class ServiceAreaRetention(models.Model):
    """A service area whose closed cases are kept for a period other than the council's."""

    schedule = models.ForeignKey(
        RetentionSchedule, on_delete=models.CASCADE, related_name="service_areas"
    )
    service_area = models.ForeignKey(
        "catalogue.ServiceArea", on_delete=models.CASCADE, related_name="+"
    )
    closed_cases_months = _months(
        DEFAULT_CLOSED_CASES_MONTHS,
        "closed cases (months)",
        "Months after one of this service area's cases is closed before its personal details "
        "are removed.",
    )

    class Meta:
        verbose_name = "service area's period for closed cases"
        verbose_name_plural = "service areas' periods for closed cases"
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "service_area"], name="service_area_retention_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.closed_cases_months} months"

    def clean(self) -> None:
        # A new schedule's rows are checked before it is saved: the schedule is there, its id
        # is not yet.
        schedule = getattr(self, "schedule", None)
        if (
            schedule is not None
            and self.service_area_id is not None
            and self.service_area.organisation_id != schedule.organisation_id
        ):
            raise ValidationError({"service_area": "Choose one of your council's service areas."})


class RetentionRun(models.Model):
    """One run of the retention job for one council: counts by kind of record, nothing else."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.JSONField(
        default=dict, blank=True, help_text="Records removed or anonymised, by kind of record."
    )
    held = models.JSONField(
        default=dict,
        blank=True,
        help_text="Records past their time kept because of a legal hold, by kind of record.",
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Retention run of {self.started_at:%Y-%m-%d %H:%M}"


class AnonymisedCase(models.Model):
    """A closed case whose personal details were removed when its retention period ended, so
    that the job does not go over it again."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    anonymised_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Case {self.case_id} anonymised"


class AccessEntry(models.Model):
    """A member of staff opened a customer's record, their support needs, a document or a case
    in a sensitive service. Ids only: who, when, what and from which page."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "organisations.StaffMember", on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A plain number: documents are deleted when their time is up, the entry stays.
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    what = models.CharField(max_length=20, choices=AccessKind.choices)
    page = models.CharField(max_length=100, help_text="The page's name, never its address.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "access entries"
        indexes = [
            models.Index(fields=["customer", "at"], name="access_by_customer"),
            models.Index(fields=["staff", "at"], name="access_by_staff"),
            models.Index(fields=["organisation", "at"], name="access_by_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.get_what_display()} opened at {self.at:%Y-%m-%d %H:%M}"


class Disclosure(models.Model):
    """A subject access disclosure a data protection officer produced: the bundle for the
    resident (JSON, a readable copy and the documents, zipped) and, apart from it, the values
    that name other people, both in private storage under ``privacy/``. The bundle can be
    downloaded once, by the officer who produced it; it is deleted from storage as it is sent."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="disclosures"
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The subject access request it answers, if it was produced from one.",
    )
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    produced_at = models.DateTimeField()
    bundle = models.FileField(upload_to="privacy/", max_length=200, blank=True)
    redactions = models.FileField(upload_to="privacy/", max_length=200, blank=True)
    records = models.PositiveIntegerField(default=0)
    documents = models.PositiveIntegerField(default=0)
    missing_documents = models.PositiveIntegerField(
        default=0, help_text="Documents the records name that were not found in storage."
    )
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-produced_at", "-id"]

    def __str__(self) -> str:
        return f"Disclosure {self.pk} for customer {self.customer_id}"
