"""Sending, accepting, declining and withdrawing referrals between organisations (ADR 45).

Every function is atomic and audited. Nothing of the sender's passes to the receiver except
the copy ``referral_send`` makes of what the sender chose to share; accepting opens the
receiver's own case through ``case_open`` (its clock, its reference), and the resident hears
once, from the organisation they contacted, who has their request now and when to expect an
answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases.choices import NoteVisibility
from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload
from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open
from civicdesk.cases.models import Attachment, Case
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotPermitted, ValidationFailed
from civicdesk.core.text import describe_deadline
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.notifications.services import (
    StaffEmail,
    notification_queue,
    notification_queue_to_staff,
)
from civicdesk.organisations.models import Organisation, StaffMember, Team

from .choices import ContactSharing, DeclineReason, ReferralStatus
from .models import Referral

MAX_REASON_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 10_000


@dataclass(frozen=True)
class ReferralChoice:
    """What the sender chose: where it goes, why, and what goes with it."""

    to_team: Team
    reason: str
    answer_keys: Collection[str] = ()
    document_ids: Collection[int] = ()
    # What the receiver reads of the request itself: the case's description or the message
    # that came in, as the sender left it (they may take out what the receiver need not know).
    description: str = ""
    contact_sharing: str = ContactSharing.NOT_SHARED
    sharing_basis: str = ""


@dataclass(frozen=True)
class Acceptance:
    """The receiver's service for its new case, and its answers to that service's questions."""

    service_key: str
    answers: Mapping[str, Any] = field(default_factory=dict)


def referral_send(
    *,
    sender: StaffMember,
    choice: ReferralChoice,
    actor: Actor,
    case: Case | None = None,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Referral:
    """Refer a case, or a contact that reached the wrong organisation, to another organisation's
    team. The caller has already fetched ``case`` or ``contact`` through the sender's access
    check; this checks they belong to the sender's organisation."""
    subject_organisation_id, customer = _subject_checked(sender=sender, case=case, contact=contact)
    errors = _choice_problems(sender=sender, choice=choice, customer=customer)
    if errors:
        raise ValidationFailed("There is a problem with the referral.", fields=errors)
    documents = _documents_chosen(case=case, document_ids=choice.document_ids)
    now = now or timezone.now()
    with transaction.atomic():
        if case is not None and _open_referral_exists(case=case, to=choice.to_team.organisation):
            raise DomainError(
                f"This case is already waiting for {choice.to_team.organisation.name} to decide."
            )
        referral = Referral.objects.create(
            from_organisation_id=subject_organisation_id,
            to_organisation=choice.to_team.organisation,
            to_team=choice.to_team,
            case=case,
            contact=contact,
            customer=customer,
            service_name=_service_name(case=case, contact=contact),
            reason=choice.reason.strip()[:MAX_REASON_LENGTH],
            shared_description=choice.description.strip()[:MAX_DESCRIPTION_LENGTH],
            shared_answers=_answers_shared(case=case, keys=choice.answer_keys),
            contact_sharing=choice.contact_sharing,
            sharing_basis=(
                choice.sharing_basis.strip()
                if choice.contact_sharing == ContactSharing.LAWFUL_BASIS
                else ""
            ),
            shared_contact=(
                _contact_snapshot(customer)
                if customer is not None and choice.contact_sharing != ContactSharing.NOT_SHARED
                else {}
            ),
            sent_by=actor.saved_user,
            sent_at=now,
        )
        referral.documents.set(documents)
        _audit(
            referral,
            organisation=sender.organisation,
            action="sent",
            actor=actor,
            after={
                "status": referral.status,
                "case_id": referral.case_id,
                "contact_id": referral.contact_id,
                "to_organisation": referral.to_organisation_id,
                "team": referral.to_team_id,
                "answers": sorted(choice.answer_keys),
                "documents": sorted(document.pk for document in documents),
                "description": bool(referral.shared_description),
                "contact_sharing": referral.contact_sharing,
            },
        )
        _tell_receiving_team(referral)
    return referral


def referral_accept(
    *,
    referral: Referral,
    staff: StaffMember,
    acceptance: Acceptance,
    actor: Actor,
    now: datetime | None = None,
) -> Referral:
    """The receiver takes it on: their own case opens, linked to the referral, and the resident
    is told once who has it now and when to expect an answer."""
    now = now or timezone.now()
    with transaction.atomic():
        referral = _locked_for_decision(referral=referral, staff=staff)
        customer = _receiver_customer(referral, actor=actor)
        accepted = case_open(
            organisation=referral.to_organisation,
            request=CaseRequest(
                request_type_key=acceptance.service_key,
                channel=_channel_of(referral),
                description=_receiver_description(referral),
                answers=dict(acceptance.answers),
                customer=customer,
                documents=_uploads_of(referral),
                acknowledge=False,
            ),
            actor=actor,
            now=now,
        )
        referral.status = ReferralStatus.ACCEPTED
        referral.decided_by = actor.saved_user
        referral.decided_at = now
        referral.accepted_case = accepted
        referral.resident_message = _tell_resident(referral, accepted=accepted)
        referral.save()
        _audit(
            referral,
            organisation=referral.to_organisation,
            action="accepted",
            actor=actor,
            before={"status": ReferralStatus.SENT},
            after={
                "status": referral.status,
                "accepted_case_id": accepted.pk,
                "outbox_id": referral.resident_message_id,
            },
        )
        if referral.case is not None:
            case_add_note(
                case=referral.case,
                body=(
                    f"{referral.to_organisation.name} accepted the referral: it is their case "
                    f"{accepted.reference} now."
                ),
                visibility=NoteVisibility.INTERNAL,
                actor=Actor(label=f"{referral.to_organisation.name} (referral)"),
            )
        _tell_sender(referral)
    return referral


def referral_decline(
    *,
    referral: Referral,
    staff: StaffMember,
    reason: str,
    note: str,
    actor: Actor,
    now: datetime | None = None,
) -> Referral:
    """The receiver turns it down with a reason the sender reads; the resident's request stays
    with the sender, who decides what to do next."""
    note = note.strip()[:MAX_REASON_LENGTH]
    if reason not in DeclineReason.values:
        raise ValidationFailed(
            "Select why you cannot take it.", fields={"reason": "Select why you cannot take it"}
        )
    if reason == DeclineReason.OTHER and not note:
        raise ValidationFailed(
            "Say why you cannot take it.", fields={"note": "Say why you cannot take it"}
        )
    now = now or timezone.now()
    with transaction.atomic():
        referral = _locked_for_decision(referral=referral, staff=staff)
        referral.status = ReferralStatus.DECLINED
        referral.decided_by = actor.saved_user
        referral.decided_at = now
        referral.decline_reason = reason
        referral.decline_note = note
        referral.save()
        _audit(
            referral,
            organisation=referral.to_organisation,
            action="declined",
            actor=actor,
            before={"status": ReferralStatus.SENT},
            after={"status": referral.status, "reason": reason},
        )
        if referral.case is not None:
            case_add_note(
                case=referral.case,
                body=(
                    f"{referral.to_organisation.name} declined the referral: "
                    f"{DeclineReason(reason).label}. {note}"
                ).strip(),
                visibility=NoteVisibility.INTERNAL,
                actor=Actor(label=f"{referral.to_organisation.name} (referral)"),
            )
        _tell_sender(referral)
    return referral


def referral_withdraw(*, referral: Referral, staff: StaffMember, actor: Actor) -> Referral:
    """The sender takes back a referral the receiver has not yet decided on."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.from_organisation_id != staff.organisation_id:
            raise NotPermitted("Only the organisation that sent a referral can withdraw it.")
        if referral.status != ReferralStatus.SENT:
            raise DomainError("They have already decided on this referral.")
        referral.status = ReferralStatus.WITHDRAWN
        referral.save()
        _audit(
            referral,
            organisation=staff.organisation,
            action="withdrawn",
            actor=actor,
            before={"status": ReferralStatus.SENT},
            after={"status": referral.status},
        )
    return referral


# Sending


def _subject_checked(
    *, sender: StaffMember, case: Case | None, contact: Contact | None
) -> tuple[int, Customer | None]:
    if (case is None) == (contact is None):
        raise DomainError("Refer either a case or a contact.")
    organisation_id = case.organisation_id if case is not None else contact.organisation_id  # type: ignore[union-attr]
    if organisation_id != sender.organisation_id:
        raise NotPermitted("You can only refer your own organisation's work.")
    customer = case.customer if case is not None else contact.customer  # type: ignore[union-attr]
    return organisation_id, customer


def _choice_problems(
    *, sender: StaffMember, choice: ReferralChoice, customer: Customer | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    team = choice.to_team
    if team.organisation_id == sender.organisation_id or not team.accepts_referrals:
        errors["team"] = "Select a team of another organisation that takes referrals"
    if not choice.reason.strip():
        errors["reason"] = "Say why you are referring it and what you are asking them to do"
    if choice.contact_sharing not in ContactSharing.values:
        errors["contact_sharing"] = "Select whether to share the resident's contact details"
    elif choice.contact_sharing != ContactSharing.NOT_SHARED and customer is None:
        errors["contact_sharing"] = "There is no resident recorded to share the details of"
    elif choice.contact_sharing == ContactSharing.LAWFUL_BASIS and not choice.sharing_basis.strip():
        errors["sharing_basis"] = "Record the lawful basis for sharing without consent"
    return errors


def _documents_chosen(*, case: Case | None, document_ids: Collection[int]) -> list[Attachment]:
    if not document_ids:
        return []
    if case is None:
        raise ValidationFailed("A contact has no documents.", fields={"documents": "Remove them"})
    found = [document for document in case.attachments.all() if document.pk in set(document_ids)]
    if len(found) != len(set(document_ids)) or not all(document.released for document in found):
        raise ValidationFailed(
            "Choose documents of this case that have passed the virus check.",
            fields={"documents": "Choose documents of this case that have passed the virus check"},
        )
    return found


def _open_referral_exists(*, case: Case, to: Organisation) -> bool:
    return Referral.objects.filter(
        case=case, to_organisation=to, status=ReferralStatus.SENT
    ).exists()


def _service_name(*, case: Case | None, contact: Contact | None) -> str:
    if case is not None:
        return str(case.request_type.name)
    if contact is not None and contact.request_type is not None:
        return str(contact.request_type.name)
    return "General enquiry"


def answer_rows(case: Case) -> list[tuple[str, str, str]]:
    """Each answer on a case as (question key, question, answer in words)."""
    labels = {question.key: question.label for question in case.request_type.questions.all()}
    rows = []
    for key, value in case.answers.items():
        if isinstance(value, dict):
            words = ", ".join(str(part) for part in value.values() if part not in ("", None))
        elif isinstance(value, list):
            words = ", ".join(str(part) for part in value)
        else:
            words = str(value)
        rows.append((key, labels.get(key, key), words))
    return rows


def _answers_shared(*, case: Case | None, keys: Collection[str]) -> list[list[str]]:
    if case is None or not keys:
        return []
    return [[label, words] for key, label, words in answer_rows(case) if key in set(keys)]


def _contact_snapshot(customer: Customer) -> dict[str, Any]:
    details = list(customer.details.all())
    return {
        "title": customer.title,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "business_name": customer.business_name,
        "kind": customer.kind,
        "emails": [d.value for d in details if d.kind == DetailKind.EMAIL],
        "phones": [d.value for d in details if d.kind != DetailKind.EMAIL],
        "address_line_1": customer.address_line_1,
        "address_line_2": customer.address_line_2,
        "town": customer.town,
        "postcode": customer.postcode,
        "preferred_channel": customer.preferred_channel,
    }


def _tell_receiving_team(referral: Referral) -> None:
    """An email to the receiving team's shared inbox: that something waits, never what."""
    if not referral.to_team.email:
        return
    notification_queue_to_staff(
        messages=[
            StaffEmail(
                organisation=referral.to_organisation,
                emails=[referral.to_team.email],
                template="referral_received",
                context={
                    "team": referral.to_team.name,
                    "sender": referral.from_organisation.name,
                    "service": referral.service_name.lower(),
                    "link": _link(referral),
                },
            )
        ]
    )


# Deciding


def _locked_for_decision(*, referral: Referral, staff: StaffMember) -> Referral:
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related(
            "from_organisation", "to_organisation", "to_team", "case__request_type", "customer"
        )
        .get(pk=referral.pk)
    )
    if locked.to_organisation_id != staff.organisation_id:
        raise NotPermitted("Only the organisation it was sent to can decide on a referral.")
    if locked.status != ReferralStatus.SENT:
        raise DomainError(
            f"This referral has already been {ReferralStatus(locked.status).label.lower()}."
        )
    return locked


def _receiver_customer(referral: Referral, *, actor: Actor) -> Customer | None:
    """A record of the resident in the receiving organisation, from the details shared; none
    when they were not shared."""
    shared = referral.shared_contact
    if not referral.shares_contact_details or not shared:
        return None
    return customer_create(
        organisation=referral.to_organisation,
        details=CustomerDetails(
            kind=shared.get("kind", "person"),
            title=shared.get("title", ""),
            first_name=shared.get("first_name", ""),
            last_name=shared.get("last_name", ""),
            business_name=shared.get("business_name", ""),
            address_line_1=shared.get("address_line_1", ""),
            address_line_2=shared.get("address_line_2", ""),
            town=shared.get("town", ""),
            postcode=shared.get("postcode", ""),
            emails=list(shared.get("emails", [])),
            phones=list(shared.get("phones", [])),
            preferred_channel=shared.get("preferred_channel", "email"),
        ),
        actor=actor,
    )


def _channel_of(referral: Referral) -> str:
    if referral.case is not None:
        return str(referral.case.channel)
    if referral.contact is not None:
        return str(referral.contact.channel)
    return str(Channel.PHONE)


def _receiver_description(referral: Referral) -> str:
    """What the receiving case says: who referred it and why, and what was shared."""
    parts = [f"Referred by {referral.from_organisation.name}: {referral.reason}"]
    if referral.shared_description:
        parts.append(referral.shared_description)
    parts += [f"{question}: {answer}" for question, answer in referral.shared_answers]
    return "\n\n".join(parts)


def _uploads_of(referral: Referral) -> list[Upload]:
    uploads = []
    for document in referral.documents.all():
        with document.file.open("rb") as stored:
            uploads.append(
                Upload(name=document.original_name, content=stored.read(MAX_DOCUMENT_BYTES + 1))
            )
    return uploads


def _tell_resident(referral: Referral, *, accepted: Case) -> Any:
    """The one message: from the organisation the resident contacted, in their preferred way."""
    if referral.customer is None:
        return None
    receiver = referral.to_organisation
    if accepted.due_at is not None:
        when = (
            f"They aim to {accepted.target_summary or 'respond'} by "
            f"{describe_deadline(accepted.due_at)}."
        )
    else:
        when = "They will be in touch about what happens next."
    how = (
        "We have given them your contact details so that they can reach you."
        if referral.shares_contact_details
        else "We have not given them your contact details. Please contact them"
        + (f" on {receiver.phone}" if receiver.phone else "")
        + f" and quote {accepted.reference}."
    )
    about = (
        f"your request about {referral.service_name.lower()} (reference {referral.case.reference})"
        if referral.case is not None
        else f"your enquiry about {referral.service_name.lower()}"
    )
    return notification_queue(
        organisation=referral.from_organisation,
        customer=referral.customer,
        case=referral.case,
        template="referral_accepted",
        context={
            "council": referral.from_organisation.name,
            "receiver": receiver.name,
            "about": about,
            "new_reference": accepted.reference,
            "expectation": when,
            "how": how,
        },
    )


def _tell_sender(referral: Referral) -> None:
    """An email to whoever sent it: the decision, with no detail of the receiver's work."""
    sender = referral.sent_by
    if sender is None or not sender.email:
        return
    notification_queue_to_staff(
        messages=[
            StaffEmail(
                organisation=referral.from_organisation,
                emails=[sender.email],
                template="referral_decided",
                context={
                    "receiver": referral.to_organisation.name,
                    "service": referral.service_name.lower(),
                    "decision": ReferralStatus(referral.status).label.lower(),
                    "link": _link(referral),
                },
            )
        ]
    )


def _link(referral: Referral) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("workspace:referral", args=[referral.pk])


def _audit(
    referral: Referral,
    *,
    organisation: Organisation,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit_record(
        organisation=organisation,
        subject_type="referral",
        subject_id=referral.pk,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )
