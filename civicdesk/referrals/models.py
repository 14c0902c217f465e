"""Referrals: a case or a contact passed from one organisation on the installation to another."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from civicdesk.core.models import TimeStampedModel

from .choices import ContactSharing, DeclineReason, DispatchStatus, EndpointKind, ReferralStatus


class ExternalOrganisation(TimeStampedModel):
    """An organisation on another system (another product, another installation) that takes
    referrals: set up by an administrator, chosen on the referral form like a team here."""

    name = models.CharField(max_length=200, help_text="As staff and residents know it.")
    endpoint_kind = models.CharField(max_length=10, choices=EndpointKind.choices)
    endpoint_url = models.URLField(
        max_length=500,
        help_text=(
            "For Open311, the base address the requests.json and services.json paths hang "
            "from, e.g. https://example.gov.uk/open311/v2/; for a webhook, the address to post to."
        ),
    )
    service_code = models.CharField(
        max_length=100, blank=True, help_text="Open311: the service code referrals are sent as."
    )
    jurisdiction_id = models.CharField(max_length=100, blank=True, help_text="Open311, if asked.")
    api_key = models.CharField(max_length=200, blank=True, help_text="Open311: our API key.")
    signing_secret = models.CharField(
        max_length=200, blank=True, help_text="Webhook: signs each referral (HMAC-SHA256)."
    )
    active = models.BooleanField(default=True)
    # Names the organisation in the address its system posts status updates to (ADR 49):
    # random, so the address says nothing of how many organisations there are.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# One referral of a case or a contact waits for each receiver at a time: a second send of the
# same referral (a double click, two colleagues at once) is turned away by the database.
WAITING_CONSTRAINTS = {
    "referral_one_waiting_case_here": ("case", "to_organisation"),
    "referral_one_waiting_case_elsewhere": ("case", "to_external"),
    "referral_one_waiting_contact_here": ("contact", "to_organisation"),
    "referral_one_waiting_contact_elsewhere": ("contact", "to_external"),
}
WAITING_CONSTRAINT_NAMES = frozenset(WAITING_CONSTRAINTS)


class Referral(TimeStampedModel):
    """What one organisation asked another to take on, and exactly what it shared to do so.

    The sender's case (or contact) stays the sender's. What the receiver may read is the copy
    made here when the referral was sent: the answers and documents the sender chose, and the
    resident's contact details only with their consent or a recorded lawful basis. On
    acceptance the receiver opens a case of its own (``accepted_case``), with its own clock
    and reference; the sender then sees its status and dates, never its notes.
    """

    from_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    # On this installation: the receiving organisation and team. Elsewhere: ``to_external``.
    to_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    to_team = models.ForeignKey(
        "organisations.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    to_external = models.ForeignKey(
        ExternalOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    external_reference = models.CharField(
        max_length=100, blank=True, help_text="The receiving system's id for the request."
    )
    external_status = models.CharField(
        max_length=40, blank=True, help_text="The status the receiving system last reported."
    )
    external_updated_at = models.DateTimeField(null=True, blank=True)
    external_resolved_at = models.DateTimeField(null=True, blank=True)
    external_checked_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        help_text="The resident, as the sending organisation knows them.",
    )
    service_name = models.CharField(
        max_length=200, help_text="The sender's service the request was about, for the figures."
    )
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    reason = models.TextField(help_text="Why the sender refers it, written for the receiver.")
    shared_description = models.TextField(blank=True)
    shared_answers = models.JSONField(
        default=list, blank=True, help_text="The answers shared, as [question, answer] pairs."
    )
    documents = models.ManyToManyField("cases.Attachment", blank=True, related_name="referrals")
    contact_sharing = models.CharField(
        max_length=20, choices=ContactSharing.choices, default=ContactSharing.NOT_SHARED
    )
    sharing_basis = models.TextField(
        blank=True, help_text="The lawful basis for sharing contact details without consent."
    )
    shared_contact = models.JSONField(
        default=dict, blank=True, help_text="The resident's name and contact details, if shared."
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(blank=True)
    accepted_case = models.OneToOneField(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_from",
    )
    resident_message = models.ForeignKey(
        "notifications.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["to_organisation", "status", "sent_at"], name="referral_inbox"),
            models.Index(fields=["from_organisation", "sent_at"], name="referral_sent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_organisation=models.F("to_organisation")),
                name="referral_to_another_organisation",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        to_external__isnull=True,
                        to_organisation__isnull=False,
                        to_team__isnull=False,
                    )
                    | models.Q(
                        to_external__isnull=False,
                        to_organisation__isnull=True,
                        to_team__isnull=True,
                    )
                ),
                name="referral_one_destination",
            ),
            *(
                models.UniqueConstraint(
                    fields=list(fields),
                    condition=models.Q(status=ReferralStatus.SENT),
                    name=name,
                )
                for name, fields in WAITING_CONSTRAINTS.items()
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def shares_contact_details(self) -> bool:
        return self.contact_sharing != ContactSharing.NOT_SHARED

    @property
    def receiver_name(self) -> str:
        if self.to_external is not None:
            return self.to_external.name
        return self.to_organisation.name if self.to_organisation is not None else ""

    @property
    def destination_name(self) -> str:
        """The organisation and, on this installation, the team."""
        if self.to_team is None:
            return self.receiver_name
        return f"{self.receiver_name}, {self.to_team.name}"


class ReferralDispatch(models.Model):
    """A referral on its way to an external organisation: written in the transaction that
    sends the referral, delivered at least once by the worker (``core.leased_queue``)."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="dispatch")
    status = models.CharField(
        max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    next_attempt_at = models.DateTimeField()
    lease_token = models.CharField(max_length=36, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="referral_dispatch_due")]

    def __str__(self) -> str:
        return f"Referral {self.referral_id} dispatch ({self.status})"
