"""Referrals: a case or a contact passed from one organisation on the installation to another."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicdesk.core.models import TimeStampedModel

from .choices import ContactSharing, DeclineReason, ReferralStatus


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
    to_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="referrals_received"
    )
    to_team = models.ForeignKey(
        "organisations.Team", on_delete=models.PROTECT, related_name="referrals_received"
    )
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
            )
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def shares_contact_details(self) -> bool:
        return self.contact_sharing != ContactSharing.NOT_SHARED
