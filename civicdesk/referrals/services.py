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

from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.cases.choices import NoteVisibility
from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload
from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open
from civicdesk.cases.models import Attachment, Case
from civicdesk.catalogue.wording import request_subject
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotPermitted, ValidationFailed
from civicdesk.core.text import describe_deadline
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.notifications.links import public_page_link
from civicdesk.notifications.services import (
    StaffEmail,
    notification_queue,
    notification_queue_to_staff,
)
from civicdesk.organisations.models import Organisation, StaffMember, Team

from .choices import ContactSharing, DeclineReason, ReferralStatus
from .external import ExternalReport, external_dispatch_queue
from .models import WAITING_CONSTRAINT_NAMES, ExternalOrganisation, Referral

MAX_REASON_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 10_000


@dataclass(frozen=True)
class ReferralChoice:
    """What the sender chose: where it goes, why, and what goes with it."""

    to_team: Team | None
    reason: str
    answer_keys: Collection[str] = ()
    document_ids: Collection[int] = ()
    # What the receiver reads of the request itself: the case's description or the message
    # that came in, as the sender left it (they may take out what the receiver need not know).
    description: str = ""
    contact_sharing: str = ContactSharing.NOT_SHARED
    sharing_basis: str = ""
    # An organisation on another system, instead of a team here (``to_team`` is then None).
    to_external: ExternalOrganisation | None = None


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
    already_waiting = DomainError(
        f"This {'case' if case is not None else 'contact'} is already waiting for "
        f"{_receiver_of(choice)} to decide."
    )
    if _open_referral_exists(case=case, contact=contact, choice=choice):
        raise already_waiting
    try:
        return _send(
            sender=sender,
            choice=choice,
            actor=actor,
            case=case,
            contact=contact,
            customer=customer,
            organisation_id=subject_organisation_id,
            documents=documents,
            now=now,
        )
    except IntegrityError as clash:
        # A second send of the same referral that passed the check above at the same moment:
        # the database's one-waiting-referral constraint turned it away.
        if not _is_waiting_clash(clash):
            raise
        raise already_waiting from None


def _send(
    *,
    sender: StaffMember,
    choice: ReferralChoice,
    actor: Actor,
    case: Case | None,
    contact: Contact | None,
    customer: Customer | None,
    organisation_id: int,
    documents: list[Attachment],
    now: datetime,
) -> Referral:
    with transaction.atomic():
        referral = Referral.objects.create(
            from_organisation_id=organisation_id,
            to_organisation=choice.to_team.organisation if choice.to_team is not None else None,
            to_team=choice.to_team,
            to_external=choice.to_external,
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
                "to_external": referral.to_external_id,
                "answers": sorted(choice.answer_keys),
                "documents": sorted(document.pk for document in documents),
                "description": bool(referral.shared_description),
                "contact_sharing": referral.contact_sharing,
            },
        )
        if referral.to_external is not None:
            external_dispatch_queue(referral=referral, now=now)
        else:
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
            organisation=_receiver(referral),
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
            organisation=_receiver(referral),
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
                    f"{referral.receiver_name} accepted the referral: it is their case "
                    f"{accepted.reference} now."
                ),
                visibility=NoteVisibility.INTERNAL,
                actor=Actor(label=f"{referral.receiver_name} (referral)"),
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
            organisation=_receiver(referral),
            action="declined",
            actor=actor,
            before={"status": ReferralStatus.SENT},
            after={"status": referral.status, "reason": reason},
        )
        if referral.case is not None:
            case_add_note(
                case=referral.case,
                body=(
                    f"{referral.receiver_name} declined the referral: "
                    f"{DeclineReason(reason).label}. {note}"
                ).strip(),
                visibility=NoteVisibility.INTERNAL,
                actor=Actor(label=f"{referral.receiver_name} (referral)"),
            )
        _tell_sender(referral)
    return referral


def referral_external_report(
    *, referral_id: int, report: ExternalReport, now: datetime | None = None
) -> bool:
    """Record what an organisation on another system reported about a referral: its first
    report that it has the request accepts the referral (the resident is told, once); a report
    that it is not theirs declines it; later reports keep the sender's view of its status up to
    date. Returns whether anything changed. Safe to call with the same report twice, and a
    report older than the one recorded (delivered late, out of order) changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("from_organisation", "to_external", "case", "customer", "sent_by")
            .filter(pk=referral_id, to_external__isnull=False)
            .first()
        )
        if referral is None or referral.status not in (
            ReferralStatus.SENT,
            ReferralStatus.ACCEPTED,
        ):
            return False
        before = {"status": referral.status, "external_status": referral.external_status}
        resolved_at = report.updated_at or now if report.resolved else None
        # Their reference is kept as first given: the resident may already have been told it.
        reference = referral.external_reference or report.reference[:100]
        if report.older_than_recorded(referral) or (
            report.status == referral.external_status
            and (resolved_at is None) == (referral.external_resolved_at is None)
            and reference == referral.external_reference
            and referral.external_checked_at is not None
        ):
            Referral.objects.filter(pk=referral.pk).update(external_checked_at=now)
            return False
        referral.external_reference = reference
        referral.external_status = report.status[:40]
        referral.external_updated_at = report.updated_at
        referral.external_checked_at = now
        referral.external_resolved_at = resolved_at
        decided = referral.status == ReferralStatus.SENT
        if decided and report.decline_reason:
            referral.status = ReferralStatus.DECLINED
            referral.decline_reason = report.decline_reason
            referral.decline_note = report.note[:MAX_REASON_LENGTH]
            referral.decided_at = now
        elif decided:
            referral.status = ReferralStatus.ACCEPTED
            referral.decided_at = now
            referral.resident_message = _tell_resident(referral, accepted=None)
        referral.save()
        _audit(
            referral,
            organisation=referral.from_organisation,
            action=referral.status if decided else "external_status",
            actor=Actor(label=f"{referral.receiver_name} (referral)"),
            before=before,
            after={
                "status": referral.status,
                "external_status": referral.external_status,
                "outbox_id": referral.resident_message_id,
            },
        )
        if decided:
            if referral.case is not None:
                case_add_note(
                    case=referral.case,
                    body=_decision_note(referral),
                    visibility=NoteVisibility.INTERNAL,
                    actor=Actor(label=f"{referral.receiver_name} (referral)"),
                )
            _tell_sender(referral)
    return True


def _decision_note(referral: Referral) -> str:
    if referral.status == ReferralStatus.DECLINED:
        return (
            f"{referral.receiver_name} declined the referral: "
            f"{DeclineReason(referral.decline_reason).label}. {referral.decline_note}"
        ).strip()
    reference = (
        f": their reference is {referral.external_reference}" if referral.external_reference else ""
    )
    return f"{referral.receiver_name} accepted the referral{reference}."


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
    team, external = choice.to_team, choice.to_external
    if (team is None) == (external is None):
        errors["team"] = "Select the organisation and team to refer it to"
    elif external is not None:
        if not external.active:
            errors["team"] = "Select an organisation that takes referrals"
        elif choice.document_ids:
            errors["documents"] = (
                f"Documents cannot be sent to {external.name}: untick them and send them "
                "another way if they need them"
            )
    elif team is not None and (
        team.organisation_id == sender.organisation_id or not team.accepts_referrals
    ):
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


def _open_referral_exists(
    *, case: Case | None, contact: Contact | None, choice: ReferralChoice
) -> bool:
    waiting = Referral.objects.filter(status=ReferralStatus.SENT)
    waiting = waiting.filter(case=case) if case is not None else waiting.filter(contact=contact)
    if choice.to_external is not None:
        return waiting.filter(to_external=choice.to_external).exists()
    assert choice.to_team is not None
    return waiting.filter(to_organisation_id=choice.to_team.organisation_id).exists()


def _is_waiting_clash(clash: IntegrityError) -> bool:
    text = str(clash)
    # PostgreSQL names the constraint; SQLite names the table's columns instead.
    return any(name in text for name in WAITING_CONSTRAINT_NAMES) or (
        "UNIQUE constraint failed: referrals_referral." in text
    )


def _receiver_of(choice: ReferralChoice) -> str:
    if choice.to_external is not None:
        return choice.to_external.name
    return choice.to_team.organisation.name if choice.to_team is not None else ""


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
    if referral.to_team is None or not referral.to_team.email:
        return
    notification_queue_to_staff(
        messages=[
            StaffEmail(
                organisation=_receiver(referral),
                emails=[referral.to_team.email],
                template="referral_received",
                context={
                    "team": referral.to_team.name,
                    "sender": referral.from_organisation.name,
                    "service": request_subject(referral.service_name),
                    "link": public_page_link("workspace:referral", referral.pk),
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
        organisation=_receiver(referral),
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
        try:
            with document.file.open("rb") as stored:
                content = stored.read(MAX_DOCUMENT_BYTES + 1)
        except FileNotFoundError:
            raise ValidationFailed(
                f"A shared document is no longer available: {document.original_name}. "
                f"Ask {referral.from_organisation.name} to send the referral again "
                "with the document, or decline it saying you need more information."
            ) from None
        uploads.append(Upload(name=document.original_name, content=content))
    return uploads


def _tell_resident(referral: Referral, *, accepted: Case | None) -> Any:
    """The one message: from the organisation the resident contacted, in their preferred way.
    ``accepted`` is the receiver's case here; None when the receiver is on another system,
    whose own reference is ``external_reference``."""
    if referral.customer is None:
        return None
    if accepted is not None and accepted.due_at is not None:
        when = (
            f"They aim to {accepted.target_summary or 'respond'} by "
            f"{describe_deadline(accepted.due_at)}."
        )
    else:
        when = "They will be in touch about what happens next."
    new_reference = accepted.reference if accepted is not None else referral.external_reference
    phone = referral.to_organisation.phone if referral.to_organisation is not None else ""
    quote = f" and quote {new_reference}" if new_reference else ""
    how = (
        "We have given them your contact details so that they can reach you."
        if referral.shares_contact_details
        else "We have not given them your contact details. Please contact them"
        + (f" on {phone}" if phone else "")
        + f"{quote}."
    )
    about = (
        f"your request about {request_subject(referral.service_name)} "
        f"(reference {referral.case.reference})"
        if referral.case is not None
        else f"your enquiry about {request_subject(referral.service_name)}"
    )
    return notification_queue(
        organisation=referral.from_organisation,
        customer=referral.customer,
        case=referral.case,
        template="referral_accepted",
        context={
            "council": referral.from_organisation.name,
            "receiver": referral.receiver_name,
            "about": about,
            "new_reference": new_reference or "none given",
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
                    "receiver": referral.receiver_name,
                    "service": request_subject(referral.service_name),
                    "decision": ReferralStatus(referral.status).label.lower(),
                    "link": public_page_link("workspace:referral", referral.pk),
                },
            )
        ]
    )


def _receiver(referral: Referral) -> Organisation:
    """The receiving organisation of a referral on this installation (one decided here)."""
    if referral.to_organisation is None:
        raise DomainError("This referral went to an organisation on another system.")
    return referral.to_organisation


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
