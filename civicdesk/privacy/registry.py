"""Every kind of record that can hold a customer's personal data, declared once.

Each ``Kind`` says which model it is, how to find one customer's rows (through a ``Scope``:
the customer, the records merged into theirs, and their cases, contacts, conversations...),
which fields are personal and how each is erased, which further fields the export shows, and
which values name someone else (staff, other customers) for the officer to redact before the
export is released.

The subject access export and erasure both read this list and nothing else, so a record kind
missing here would be neither exported nor erased. ``coverage_problems`` walks every model
Django knows and names any that could hold a customer's data but is not accounted for: here,
in ``LINKED_WITHOUT_PERSONAL_DATA``, or in ``NOT_ABOUT_CUSTOMERS`` (each with the reason).
The test suite runs it, so a model added later cannot be forgotten silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet

from civicdesk.appointments.models import Visit
from civicdesk.assistant.models import Conversation, Message
from civicdesk.cases.models import Attachment, Case, CaseFollower, CaseNote, LegacyCustomer
from civicdesk.channels.models import HeldAttachment, InboundMessage
from civicdesk.complaints.models import Complaint
from civicdesk.contacts.models import Contact
from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import (
    AccountSignIn,
    ContactDetail,
    Customer,
    Representative,
    SupportNeed,
)
from civicdesk.feedback.models import ContactRating, RatingInvitation
from civicdesk.integrations.models import ExternalUpdate, Open311Token, WebhookDelivery
from civicdesk.notifications.choices import MessageStatus
from civicdesk.notifications.models import OutboxMessage
from civicdesk.quality.models import QualityAssessment
from civicdesk.referrals.models import Referral

from .models import AccessEntry, Disclosure

# What an erased text that must keep a value reads.
PLACEHOLDER = "[erased]"


class Erase(StrEnum):
    BLANK = "blank"  # "" for text, None where empty is allowed, the default for JSON
    PLACEHOLDER = "placeholder"  # PLACEHOLDER, for text that must not be empty
    SCRUB = "scrub"  # JSON: every value erased but those under SAFE_KEYS (ids, statuses)
    FILE = "file"  # the stored file deleted from storage (and the row with it)
    ROW = "row"  # the whole row deleted


ERASE_WORDS = {
    Erase.BLANK: "blanked",
    Erase.PLACEHOLDER: f"replaced with {PLACEHOLDER}",
    Erase.SCRUB: "cleared of everything but ids and statuses",
    Erase.FILE: "stored files deleted",
    Erase.ROW: "deleted",
}

# Keys in audit entries and webhook payloads whose values are ids, statuses and dates: kept by
# SCRUB, so the trail still shows what happened and when, without what was written.
SAFE_KEYS = frozenset(
    {
        "action",
        "assigned_to",
        "assisted",
        "attachment_id",
        "clock_state",
        "content_type",
        "customer",
        "customer_id",
        "documents",
        "due_at",
        "duplicate_of",
        "event",
        "id",
        "kind",
        "moved",
        "note_id",
        "occurred_at",
        "outcome",
        "percentage",
        "preferred_channel",
        "priority",
        "records",
        "reference",
        "relationship",
        "representative_id",
        "service",
        "stage",
        "status",
        "team",
        "type",
        "visibility",
    }
)


@dataclass(frozen=True)
class Scope:
    """One customer's records: found once, then used to find every kind's rows."""

    customer_id: int
    organisation_id: int
    customer_ids: frozenset[int]  # the record and every record merged into it
    user_ids: frozenset[int]  # their online accounts
    case_ids: frozenset[int]
    contact_ids: frozenset[int]
    conversation_ids: frozenset[int]
    inbound_ids: frozenset[int]
    visit_ids: frozenset[int]
    assessment_ids: frozenset[int]


def scope_for(customer: Customer) -> Scope:
    """The customer's records, with every record merged into theirs (at any depth)."""
    customer_ids = {customer.pk}
    frontier = {customer.pk}
    while frontier:
        frontier = set(
            Customer.objects.filter(merged_into__in=frontier)
            .exclude(pk__in=customer_ids)
            .values_list("pk", flat=True)
        )
        customer_ids |= frontier
    user_ids = set(
        Customer.objects.filter(pk__in=customer_ids, user__isnull=False)
        .exclude(user__is_staff=True)
        .exclude(user__is_superuser=True)
        .values_list("user_id", flat=True)
    )
    case_ids = set(Case.objects.filter(customer__in=customer_ids).values_list("pk", flat=True))
    contact_ids = set(
        Contact.objects.filter(Q(customer__in=customer_ids) | Q(case__in=case_ids)).values_list(
            "pk", flat=True
        )
    )
    conversation_ids = set(
        Conversation.objects.filter(customer__in=customer_ids).values_list("pk", flat=True)
    )
    inbound_ids = set(
        InboundMessage.objects.filter(
            Q(customer__in=customer_ids) | Q(case__in=case_ids) | Q(contact__in=contact_ids)
        ).values_list("pk", flat=True)
    )
    visit_ids = set(Visit.objects.filter(customer__in=customer_ids).values_list("pk", flat=True))
    assessment_ids = set(
        QualityAssessment.objects.filter(contact__in=contact_ids).values_list("pk", flat=True)
    )
    return Scope(
        customer_id=customer.pk,
        organisation_id=customer.organisation_id,
        customer_ids=frozenset(customer_ids),
        user_ids=frozenset(user_ids),
        case_ids=frozenset(case_ids),
        contact_ids=frozenset(contact_ids),
        conversation_ids=frozenset(conversation_ids),
        inbound_ids=frozenset(inbound_ids),
        visit_ids=frozenset(visit_ids),
        assessment_ids=frozenset(assessment_ids),
    )


# A value worked out for the export from a row: a name, a service, a case reference.
Extra = Callable[[Any, Scope], Any]


@dataclass(frozen=True)
class Kind:
    key: str
    title: str  # a heading the resident reads
    explanation: str  # one plain sentence under it
    model: type[models.Model]
    rows: Callable[[Scope], QuerySet[Any]]
    personal: Mapping[str, Erase]
    kept: Mapping[str, str] = field(default_factory=dict)  # looks personal, kept: why
    withheld: Mapping[str, str] = field(default_factory=dict)  # personal, not exported: why
    shown: tuple[str, ...] = ()  # other fields the export shows (dates, statuses)
    extras: Mapping[str, Extra] = field(default_factory=dict)
    third_party: tuple[str, ...] = ()  # extras or kept fields that name someone else
    on_erase: Callable[[QuerySet[Any]], Any] | None = None  # what else erasing rows does

    @property
    def deletes_rows(self) -> bool:
        return any(erase in (Erase.ROW, Erase.FILE) for erase in self.personal.values())

    @property
    def file_fields(self) -> tuple[str, ...]:
        return tuple(name for name, erase in self.personal.items() if erase == Erase.FILE)

    @property
    def exported_fields(self) -> tuple[str, ...]:
        personal = tuple(
            name
            for name, erase in self.personal.items()
            if name not in self.withheld and erase != Erase.FILE
        )
        return personal + tuple(name for name in self.shown if name not in personal)


def erase_description(kind: Kind) -> str:
    """What erasing one kind does, in words: 'description, answers blanked'."""
    if kind.deletes_rows:
        return "deleted" + (", with their stored files" if kind.file_fields else "")
    by_erase: dict[Erase, list[str]] = {}
    for name, erase in kind.personal.items():
        by_erase.setdefault(erase, []).append(name)
    return "; ".join(
        f"{', '.join(names)} {ERASE_WORDS[erase]}" for erase, names in by_erase.items()
    )


def user_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _customer_name(customer: Customer) -> str:
    return customer.display_name or f"customer {customer.pk}"


def _other_person(row: Representative, scope: Scope) -> str:
    other = row.representative if row.customer_id in scope.customer_ids else row.customer
    return _customer_name(other)


def _representative_role(row: Representative, scope: Scope) -> str:
    if row.customer_id in scope.customer_ids:
        return "acts for you"
    return "you act for them"


def _case_reference(row: Any, scope: Scope) -> str:
    return str(row.case.reference)


def _staff(attribute: str) -> Extra:
    def name(row: Any, scope: Scope) -> str | None:
        person = getattr(row, attribute)
        if person is not None and hasattr(person, "user"):  # a StaffMember
            person = person.user
        return user_name(person)

    return name


def _audit_rows(scope: Scope) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        Q(subject_type="customer", subject_id__in=scope.customer_ids)
        | Q(subject_type="case", subject_id__in=scope.case_ids)
        | Q(subject_type="visit", subject_id__in=scope.visit_ids)
        | Q(subject_type="quality_assessment", subject_id__in=scope.assessment_ids)
    )


def _admin_log_rows(scope: Scope) -> QuerySet[AdminLogEntry]:
    customer_type = ContentType.objects.get_for_model(Customer)
    case_type = ContentType.objects.get_for_model(Case)
    return AdminLogEntry.objects.filter(
        Q(content_type=customer_type, object_id__in=[str(pk) for pk in scope.customer_ids])
        | Q(content_type=case_type, object_id__in=[str(pk) for pk in scope.case_ids])
    )


def _outbox_not_sent(rows: QuerySet[OutboxMessage]) -> None:
    """A message not yet delivered now has no one to go to: it is never sent."""
    rows.filter(status__in=(MessageStatus.QUEUED, MessageStatus.SENDING)).update(
        status=MessageStatus.NOT_SENT, lease_token="", lease_expires_at=None
    )


STAFF_KEPT = (
    "the member of staff or system that acted: kept so the council can account for what it "
    "did; listed for redaction in the export"
)

KINDS: tuple[Kind, ...] = (
    Kind(
        key="customer",
        title="Your customer record",
        explanation="Your name, address and how you like to hear from us. A second row is an "
        "older record of yours that was found to be a duplicate and merged into this one.",
        model=Customer,
        rows=lambda s: Customer.objects.filter(pk__in=s.customer_ids),
        personal={
            "title": Erase.BLANK,
            "first_name": Erase.BLANK,
            "last_name": Erase.PLACEHOLDER,
            "business_name": Erase.BLANK,
            "date_of_birth": Erase.BLANK,
            "address_line_1": Erase.BLANK,
            "address_line_2": Erase.BLANK,
            "town": Erase.BLANK,
            "postcode": Erase.BLANK,
            "uprn": Erase.BLANK,
            "search_name": Erase.BLANK,
            "account_confirmation": Erase.BLANK,
        },
        withheld={"search_name": "a lower-case copy of the name, kept only for searching"},
        shown=("kind", "preferred_channel", "created_at", "merged_at", "account_confirmed_at"),
    ),
    Kind(
        key="contact_details",
        title="Your email addresses and phone numbers",
        explanation="How we can reach you.",
        model=ContactDetail,
        rows=lambda s: ContactDetail.objects.filter(customer__in=s.customer_ids),
        personal={"value": Erase.ROW, "normalised": Erase.ROW, "label": Erase.ROW},
        withheld={"normalised": "the same value written the way we search for it"},
        shown=("kind", "is_primary", "created_at"),
    ),
    Kind(
        key="support_needs",
        title="Support needs you told us about",
        explanation="Recorded only with your agreement, so that we can help you in the way "
        "you need.",
        model=SupportNeed,
        rows=lambda s: SupportNeed.objects.filter(customer__in=s.customer_ids),
        personal={"details": Erase.ROW, "kind": Erase.ROW},
        shown=("consent_given_at", "ended_at"),
        extras={"recorded by": _staff("consent_recorded_by")},
        third_party=("recorded by",),
    ),
    Kind(
        key="representatives",
        title="People who act for you, or for whom you act",
        explanation="Someone you have allowed to deal with us on your behalf, or someone who "
        "has allowed you to act for them.",
        model=Representative,
        rows=lambda s: Representative.objects.filter(
            Q(customer__in=s.customer_ids) | Q(representative__in=s.customer_ids)
        ).select_related("customer", "representative"),
        personal={"authority": Erase.ROW},
        shown=("relationship", "created_at", "ended_at"),
        extras={"other person": _other_person, "who acts": _representative_role},
        third_party=("other person",),
    ),
    Kind(
        key="account",
        title="Your online account",
        explanation="The account you sign in to on our website.",
        model=User,
        rows=lambda s: User.objects.filter(pk__in=s.user_ids),
        personal={
            "email": Erase.ROW,
            "first_name": Erase.ROW,
            "last_name": Erase.ROW,
            "username": Erase.ROW,
            "password": Erase.ROW,
        },
        withheld={
            "username": "an id made up by the system, not chosen by you",
            "password": "a one-way scramble of your password: it cannot be read back",
        },
        shown=("date_joined", "last_login"),
    ),
    Kind(
        key="sign_ins",
        title="When you signed in to your account",
        explanation="Kept so we can count how many accounts are in use.",
        model=AccountSignIn,
        rows=lambda s: AccountSignIn.objects.filter(customer__in=s.customer_ids),
        personal={},
        shown=("method", "at"),
    ),
    Kind(
        key="previous_system",
        title="Your record in our previous system",
        explanation="The number our previous computer system gave your record, from when we "
        "brought your details over from it.",
        model=LegacyCustomer,
        rows=lambda s: LegacyCustomer.objects.filter(customer__in=s.customer_ids),
        personal={},
        kept={
            "legacy_id": "a number that names no one by itself: kept after erasure so that "
            "bringing records over from the previous system again does not bring the erased "
            "details back"
        },
        shown=("legacy_id", "created_at"),
    ),
    Kind(
        key="cases",
        title="Your requests, reports and applications",
        explanation="Each case you raised with us, with your answers to our questions.",
        model=Case,
        rows=lambda s: Case.objects.filter(pk__in=s.case_ids).select_related(
            "request_type", "assigned_to"
        ),
        personal={
            "description": Erase.BLANK,
            "answers": Erase.BLANK,
            "location_text": Erase.BLANK,
            "latitude": Erase.BLANK,
            "longitude": Erase.BLANK,
            "public_description": Erase.BLANK,
        },
        withheld={
            "public_description": "the description again, with contact details taken out "
            "for outside systems"
        },
        kept={
            "reference": "the case reference: letters and digits that name no one",
            "target_summary": "copied from the council's service standard",
        },
        shown=(
            "reference",
            "legacy_reference",
            "kind",
            "channel",
            "status",
            "opened_at",
            "resolved_at",
            "closed_at",
        ),
        extras={
            "service": lambda row, s: row.request_type.name,
            "assigned to": _staff("assigned_to"),
        },
        third_party=("assigned to",),
    ),
    Kind(
        key="case_notes",
        title="Notes on your cases",
        explanation="Updates we sent you and notes our staff wrote for each other.",
        model=CaseNote,
        rows=lambda s: CaseNote.objects.filter(case__in=s.case_ids).select_related("case"),
        personal={"body": Erase.PLACEHOLDER, "public_body": Erase.PLACEHOLDER},
        withheld={
            "public_body": "the note again, with contact details taken out for outside systems"
        },
        kept={"author_label": STAFF_KEPT},
        shown=("visibility", "created_at", "author_label"),
        extras={"case": _case_reference},
        third_party=("author_label",),
    ),
    Kind(
        key="documents",
        title="Documents and photos on your cases",
        explanation="Copies of these are in the documents folder next to this file.",
        model=Attachment,
        rows=lambda s: Attachment.objects.filter(case__in=s.case_ids).select_related("case"),
        personal={"file": Erase.FILE, "original_name": Erase.ROW},
        shown=("content_type", "size", "created_at", "uploaded_label"),
        extras={"case": _case_reference},
        third_party=("uploaded_label",),
    ),
    Kind(
        key="case_follows",
        title="Other people's reports you follow",
        explanation="Reports you asked to hear about instead of reporting the same problem.",
        model=CaseFollower,
        rows=lambda s: CaseFollower.objects.filter(customer__in=s.customer_ids).select_related(
            "case"
        ),
        personal={},
        shown=("created_at",),
        extras={"case": _case_reference},
    ),
    Kind(
        key="contacts",
        title="Your contacts with us",
        explanation="Each call, visit, email, web form or message, with a short summary.",
        model=Contact,
        rows=lambda s: Contact.objects.filter(pk__in=s.contact_ids).select_related("handled_by"),
        personal={"summary": Erase.BLANK},
        kept={"signposted_to": "the organisation the customer was sent to, not the customer"},
        shown=(
            "channel",
            "direction",
            "started_at",
            "duration_seconds",
            "reason",
            "outcome",
            "signposted_to",
        ),
        extras={"handled by": _staff("handled_by")},
        third_party=("handled by",),
    ),
    Kind(
        key="notifications",
        title="Messages we sent you",
        explanation="Emails, texts and letters, with who they were sent to.",
        model=OutboxMessage,
        rows=lambda s: OutboxMessage.objects.filter(
            Q(customer__in=s.customer_ids) | Q(case__in=s.case_ids)
        ),
        personal={
            "recipient": Erase.PLACEHOLDER,
            "address": Erase.BLANK,
            "subject": Erase.BLANK,
            "body": Erase.PLACEHOLDER,
            "last_error": Erase.BLANK,
        },
        on_erase=_outbox_not_sent,
        kept={
            "template": "the name of the message's wording, the same for everyone",
            "provider_id": "the gateway's id for the message",
        },
        shown=("channel", "template", "status", "created_at", "sent_at", "delivered_at"),
    ),
    Kind(
        key="inbound_messages",
        title="Emails and texts you sent us",
        explanation="Messages that reached our inboxes, as they arrived.",
        model=InboundMessage,
        rows=lambda s: InboundMessage.objects.filter(pk__in=s.inbound_ids),
        personal={
            "sender": Erase.PLACEHOLDER,
            "subject": Erase.BLANK,
            "body": Erase.BLANK,
            "note": Erase.BLANK,
        },
        kept={"message_id": "the mail system's id, to ignore the same message arriving twice"},
        shown=("channel", "received_at", "outcome"),
    ),
    Kind(
        key="inbound_attachments",
        title="Files attached to your emails",
        explanation="Copies of these are in the documents folder next to this file.",
        model=HeldAttachment,
        rows=lambda s: HeldAttachment.objects.filter(message__in=s.inbound_ids),
        personal={"file": Erase.FILE, "original_name": Erase.ROW},
        shown=("content_type", "size"),
    ),
    Kind(
        key="conversations",
        title="Your chats and calls with Ask",
        explanation="Conversations with our online assistant and any call back you asked for.",
        model=Conversation,
        rows=lambda s: Conversation.objects.filter(pk__in=s.conversation_ids),
        personal={"callback_phone": Erase.BLANK, "callback_name": Erase.BLANK},
        shown=("channel", "state", "created_at"),
        extras={"adviser": _staff("adviser")},
        third_party=("adviser",),
    ),
    Kind(
        key="chat_messages",
        title="What was said in those chats",
        explanation="Your words and the answers you were given.",
        model=Message,
        rows=lambda s: Message.objects.filter(conversation__in=s.conversation_ids),
        personal={"text": Erase.ROW, "offers": Erase.ROW},
        withheld={"offers": "the ids of the answers and services the assistant offered"},
        shown=("speaker", "created_at"),
    ),
    Kind(
        key="ratings",
        title="Your ratings of our service",
        explanation="Good, average or poor, with any comment you left.",
        model=ContactRating,
        rows=lambda s: ContactRating.objects.filter(
            Q(case__in=s.case_ids) | Q(contact__in=s.contact_ids)
        ),
        personal={"comment": Erase.BLANK},
        shown=("rating", "channel", "created_at"),
        extras={"reasons": lambda row, s: row.reasons},
    ),
    Kind(
        key="rating_invitations",
        title="Invitations to rate our service",
        explanation="When we asked you to rate how we dealt with a case.",
        model=RatingInvitation,
        rows=lambda s: RatingInvitation.objects.filter(case__in=s.case_ids).select_related("case"),
        personal={},
        shown=("sent_at",),
        extras={"case": _case_reference},
    ),
    Kind(
        key="complaints",
        title="Your complaints",
        explanation="How each complaint went, stage by stage, and what we did to put it right.",
        model=Complaint,
        rows=lambda s: Complaint.objects.filter(case__in=s.case_ids).select_related(
            "case", "recorded_by"
        ),
        personal={
            "escalation_reason": Erase.BLANK,
            "remedy": Erase.BLANK,
            "stage2_remedy": Erase.BLANK,
            "ombudsman_reference": Erase.BLANK,
        },
        kept={
            "learning": "what the council will change about its service, written without "
            "personal details, and counted in complaint statistics",
            "stage2_learning": "as learning, at stage 2",
        },
        shown=(
            "stage",
            "stage_started_at",
            "stage1_outcome",
            "stage2_outcome",
            "responded_at",
            "ombudsman_referred_at",
            "learning",
            "stage2_learning",
        ),
        extras={"case": _case_reference, "recorded by": _staff("recorded_by")},
        third_party=("recorded by",),
    ),
    Kind(
        key="quality_checks",
        title="Quality checks of your contacts",
        explanation="A team leader's check of how well we handled a contact of yours.",
        model=QualityAssessment,
        rows=lambda s: QualityAssessment.objects.filter(pk__in=s.assessment_ids),
        personal={"comments": Erase.BLANK},
        shown=("kind", "channel", "percentage", "created_at"),
        extras={"adviser": _staff("adviser"), "checked by": _staff("assessed_by")},
        third_party=("adviser", "checked by"),
    ),
    Kind(
        key="visits",
        title="Your appointments and visits",
        explanation="Appointments you booked and times you came to one of our offices.",
        model=Visit,
        rows=lambda s: Visit.objects.filter(pk__in=s.visit_ids).select_related("venue"),
        personal={"name_given": Erase.BLANK, "reason": Erase.PLACEHOLDER},
        shown=("kind", "status", "starts_at", "arrived_at", "seen_at"),
        extras={
            "place": lambda row, s: row.venue.name,
            "seen by": _staff("seen_by"),
            "booked by": _staff("booked_by"),
        },
        third_party=("seen by", "booked by"),
    ),
    Kind(
        key="audit_entries",
        title="Our record of changes to your records",
        explanation="Who changed your record or your cases, when, and what changed.",
        model=AuditEvent,
        rows=_audit_rows,
        personal={"before": Erase.SCRUB, "after": Erase.SCRUB},
        kept={"actor_label": STAFF_KEPT, "subject_type": "what kind of record it is about"},
        shown=("subject_type", "action", "at", "actor_label"),
        third_party=("actor_label",),
    ),
    Kind(
        key="access_log",
        title="Who at the council looked at your records",
        explanation="Each time a member of our staff opened your record, your support needs, "
        "one of your documents or a case of yours in a sensitive service.",
        model=AccessEntry,
        rows=lambda s: AccessEntry.objects.filter(
            Q(customer__in=s.customer_ids) | Q(case__in=s.case_ids)
        ).select_related("staff__user", "case"),
        personal={},
        kept={"page": "the name of the page they used, which names no one"},
        shown=("what", "page", "at"),
        extras={
            "looked at by": _staff("staff"),
            "case": lambda row, s: row.case.reference if row.case else None,
        },
        third_party=("looked at by",),
    ),
    Kind(
        key="admin_log",
        title="Changes made on our administration pages",
        explanation="Changes our system administrators made to your record or cases.",
        model=AdminLogEntry,
        rows=_admin_log_rows,
        personal={"object_repr": Erase.PLACEHOLDER, "change_message": Erase.BLANK},
        kept={"object_id": "the record's number"},
        shown=("action_time",),
        extras={"changed by": _staff("user")},
        third_party=("changed by",),
    ),
    Kind(
        key="open311_requests",
        title="Reports sent to us by other websites",
        explanation="Reports that reached us through a website such as FixMyStreet, as sent.",
        model=Open311Token,
        rows=lambda s: Open311Token.objects.filter(case__in=s.case_ids),
        personal={"submission": Erase.BLANK},
        kept={"problem": "why a report could not be opened, in the system's words"},
        shown=("status", "created_at", "processed_at"),
    ),
    Kind(
        key="external_updates",
        title="Updates from the teams that did the work",
        explanation="What our back-office systems reported about your cases.",
        model=ExternalUpdate,
        rows=lambda s: ExternalUpdate.objects.filter(case__in=s.case_ids),
        personal={"description": Erase.BLANK},
        kept={
            "source": "the name of the system that sent the update",
            "external_id": "the sending system's own id for the update",
        },
        shown=("source", "reported_status", "reported_at"),
    ),
    Kind(
        key="webhook_deliveries",
        title="Case updates passed to other council systems",
        explanation="What we told other systems about your cases (never your contact details).",
        model=WebhookDelivery,
        rows=lambda s: WebhookDelivery.objects.filter(case__in=s.case_ids),
        personal={"payload": Erase.SCRUB},
        kept={"last_error": "the receiving system's answer when a delivery failed"},
        shown=("event", "status", "created_at"),
    ),
    Kind(
        key="referrals",
        title="Requests we passed to other organisations",
        explanation="When we referred a request of yours to another organisation: what we "
        "shared with them, on what basis, and what they decided.",
        model=Referral,
        # The sender's record of what it disclosed, found only from the sender's side. A
        # referral accepted here is our own case (``cases``), with the receiver's own rules:
        # one organisation's erasure or retention never reaches the other's record.
        rows=lambda s: (
            Referral.objects.filter(from_organisation_id=s.organisation_id)
            .filter(
                Q(customer__in=s.customer_ids)
                | Q(case__in=s.case_ids)
                | Q(contact__in=s.contact_ids)
            )
            .select_related("from_organisation", "to_organisation", "to_external")
        ),
        personal={
            "reason": Erase.PLACEHOLDER,
            "shared_description": Erase.BLANK,
            "shared_answers": Erase.BLANK,
            "sharing_basis": Erase.BLANK,
            "shared_contact": Erase.BLANK,
            "decline_note": Erase.BLANK,
        },
        kept={
            "service_name": "the name of the service it was about, counted in figures",
            "external_reference": "the receiving system's own id for the request",
            "external_status": "the status the receiving system last reported",
        },
        shown=("service_name", "status", "contact_sharing", "sent_at", "decided_at"),
        extras={
            "from": lambda row, s: row.from_organisation.name,
            "to": lambda row, s: row.receiver_name,
        },
    ),
    Kind(
        key="disclosures",
        title="Copies of your information we prepared",
        explanation="When we prepared a copy of your information for a subject access request, "
        "and when our officer collected it to send to you.",
        model=Disclosure,
        rows=lambda s: Disclosure.objects.filter(customer__in=s.customer_ids),
        personal={"bundle": Erase.FILE, "redactions": Erase.FILE},
        withheld={
            "bundle": "an earlier copy of this same information",
            "redactions": "our officer's list of other people named in it, to check before "
            "release: not about you",
        },
        shown=("produced_at", "downloaded_at", "records", "documents"),
    ),
)

KINDS_BY_KEY = {kind.key: kind for kind in KINDS}

# Models tied to a customer that hold nothing personal beyond the tie itself, with any field
# that looks as if it might ("label.field") and why it does not.
LINKED_WITHOUT_PERSONAL_DATA: dict[str, str] = {
    "insight.countedresolution": "a case id and the day it was counted as resolved",
    "quality.qualityscore": "scores against the council's criteria, about the adviser",
    "privacy.erasure": "that an erasure happened: ids, dates and counts",
    "privacy.erasure.counts": "how many records of each kind were erased",
    "privacy.anonymisedcase": "that a closed case's personal details were removed when its "
    "retention period ended: a case id and a date",
    "referrals.referraldispatch": "a referral's delivery to another system: attempts and dates",
    "referrals.referraldispatch.last_error": "the receiving system's answer when a delivery failed",
}

# Models that hold text (or names, addresses) that is not about a customer.
NOT_ABOUT_CUSTOMERS: dict[str, str] = {
    "auth.group": "staff permission groups",
    "contenttypes.contenttype": "the names of the tables",
    "auth.permission": "names of permissions",
    "sessions.session": "sign-in sessions and unfinished forms: they expire within two weeks "
    "and cannot be tied to a customer without decoding every one",
    "core.joblease": "which worker runs a periodic job",
    "organisations.organisation": "the council's own name, contact details and boundary",
    "organisations.team": "the council's teams and their shared inboxes",
    "referrals.externalorganisation": "organisations on other systems that take referrals: "
    "their names and the addresses we send to",
    "catalogue.servicearea": "the council's services",
    "catalogue.requesttype": "the council's services",
    "catalogue.question": "the council's questions",
    "catalogue.chartertarget": "the council's service standards",
    "geo.street": "streets",
    "geo.landmark": "places residents name instead of a street, such as a library",
    "geo.collectionround": "the council's bin collection rounds",
    "geo.neighbouringcouncil": "councils around ours on other systems: their names, areas "
    "and public report pages",
    "appointments.openingtime": "when the council's offices, hubs and libraries are open",
    "appointments.session": "drop-in sessions the council holds at its places",
    "feedback.pagefeedback": "cannot be tied to anyone; personal details are taken out on arrival",
    "feedback.microsurveyanswer": "cannot be tied to anyone; personal details are taken out on "
    "arrival",
    "feedback.surveyround": "survey rounds",
    "feedback.microsurvey": "the council's one-question surveys at places",
    "feedback.surveyresponse": "anonymous survey answers; personal details are taken out on "
    "arrival",
    "complaints.complaintreason": "the council's list of complaint reasons",
    "quality.qualitycriterion": "the council's quality criteria",
    "appointments.venue": "the council's offices and hubs",
    "integrations.apiclient": "systems allowed to call the API",
    "integrations.idempotencyrecord": "API responses replayed for a few hours, then deleted",
    "integrations.open311jurisdiction": "how the council appears to Open311 clients",
    "integrations.webhooksubscription": "systems that receive case updates",
    "channels.inboundaddress": "the council's own inboxes",
    "assistant.article": "the knowledge base",
    "assistant.logentry": "the assistant's improvement log: personal data is removed before "
    "it is saved, and it cannot be tied to anyone",
    "insight.refreshmark": "how far the summaries were refreshed",
    "planning.rotaentry": "the council's rota: staff names and their hours",
    "planning.forecastrun": "forecast figures and backtest errors",
    "privacy.retentionrun": "how many records of each kind the retention job removed or kept",
}

# Fields whose name suggests a person's name, contact details or words about them.
_PERSONAL_NAME = re.compile(
    r"(^|_)(name|email|phone|address|recipient|sender|postcode|town|uprn|label|note|summary|"
    r"description|subject|location|text|comment|comments|details|authority|reason|title|"
    r"value|username|repr|message|body)(_|$)"
)
# A text field this long without a list of choices can hold a sentence about someone.
FREE_TEXT_LENGTH = 100
# Where following foreign keys reaches a customer.
_CUSTOMER = "customers.customer"


def may_hold_personal_data(model_field: models.Field[Any, Any]) -> bool:
    """A field that could hold an email, a phone number, a name or words about a person."""
    if isinstance(model_field, models.GeneratedField) or model_field.is_relation:
        return False  # generated columns follow the fields they are made from
    if isinstance(
        model_field, models.TextField | models.JSONField | models.EmailField | models.FileField
    ):
        return True
    if isinstance(model_field, models.CharField) and not model_field.choices:
        # A name that says so, or room for a sentence.
        long_enough = (model_field.max_length or 0) >= FREE_TEXT_LENGTH
        return long_enough or bool(_PERSONAL_NAME.search(model_field.name))
    return False


def linked_to_customer(model: type[models.Model], _seen: frozenset[str] = frozenset()) -> bool:
    """Whether following the model's foreign keys reaches a customer (directly, or through
    a case, a contact, a conversation, a message...)."""
    label = model._meta.label_lower
    if label == _CUSTOMER:
        return True
    if label in _seen:
        return False
    for model_field in model._meta.concrete_fields:
        target = model_field.related_model
        if (
            model_field.is_relation
            and isinstance(target, type)
            and linked_to_customer(target, _seen | {label})
        ):
            return True
    return False


def coverage_problems(all_models: Iterable[type[models.Model]]) -> list[str]:
    """What is missing from the registry, in words; empty when every model is accounted for."""
    problems: list[str] = []
    registered = {kind.model._meta.label_lower: kind for kind in KINDS}
    for model in all_models:
        label = model._meta.label_lower
        suspect = [f.name for f in model._meta.concrete_fields if may_hold_personal_data(f)]
        kind = registered.get(label)
        if kind is not None:
            names = {f.name for f in model._meta.concrete_fields}
            for name in [*kind.personal, *kind.kept, *kind.withheld, *kind.shown]:
                if name not in names:
                    problems.append(f"{label}: the registry names {name}, which it has not")
            if not kind.deletes_rows:
                for name in suspect:
                    if name not in kind.personal and name not in kind.kept:
                        problems.append(f"{label}.{name} is neither personal nor kept")
            continue
        if label in LINKED_WITHOUT_PERSONAL_DATA:
            problems.extend(
                f"{label}.{name} may hold personal data"
                for name in suspect
                if f"{label}.{name}" not in LINKED_WITHOUT_PERSONAL_DATA
            )
            continue
        if linked_to_customer(model):
            problems.append(f"{label} is tied to a customer but not in the registry")
        elif suspect and label not in NOT_ABOUT_CUSTOMERS:
            problems.append(f"{label} may hold personal data ({', '.join(suspect)})")
    return problems
