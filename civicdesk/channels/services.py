"""Turning inbound email and text messages into contacts and cases.

Every message is stored (``InboundMessage``) in the same transaction as what it causes, before
the sender is told anything. A message quoting a case reference threads onto that case, as does
a text answering our last text about an open case (``SMS_REPLY_DAYS``); a new
one opens a case when the assistant is sure enough of the service (``OPEN_CASE_CONFIDENCE``) and
the service's questions need no answers; otherwise it waits in the triage queue, showing the
service the assistant thought most likely. Machine-sent mail is kept but never answered, and a
Message-ID already seen is ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.assistant.selectors import suggest_services
from civicdesk.cases.attachments import case_attach
from civicdesk.cases.choices import CaseStatus, NoteVisibility
from civicdesk.cases.documents import CheckedDocument, Upload, document_check
from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open, case_transition
from civicdesk.cases.models import Case
from civicdesk.catalogue.models import RequestType
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound, TransitionNotAllowed, ValidationFailed
from civicdesk.core.text import describe_deadline, storable
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import ContactDetail, Customer
from civicdesk.customers.normalise import normalise_email, normalise_phone
from civicdesk.customers.services import contact_detail_error
from civicdesk.feedback.choices import Rating, RatingSource
from civicdesk.feedback.services import MAX_COMMENT_LENGTH, contact_rating_record
from civicdesk.integrations.services import reporter_create
from civicdesk.notifications.choices import MessageChannel
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.services import notification_queue, notification_queue_email
from civicdesk.organisations.models import Organisation

from .choices import InboundChannel, MessageOutcome
from .mail import ParsedEmail, references_in
from .models import HeldAttachment, InboundAddress, InboundMessage

logger = logging.getLogger(__name__)

EMAIL_ACTOR = Actor(label="email")
MAX_ADDRESS = 254
SMS_ACTOR = Actor(label="text message")
# How long a text without a reference still counts as a reply to our last text about a case.
SMS_REPLY_DAYS = 14


# How sure the assistant must be of a message's service (0 to 1) for the message to open a case
# by itself. Below this a person reads it first: a wrong case costs more than a short wait.
OPEN_CASE_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Classification:
    """The service a message is most likely about, and how sure the assistant is of it."""

    request_type: RequestType
    confidence: float

    @property
    def sure(self) -> bool:
        return self.confidence >= OPEN_CASE_CONFIDENCE


def classify_message(*, organisation: Organisation, text: str) -> Classification | None:
    """The assistant's best guess at the council service a message is about, or None when the
    words give nothing to go on."""
    suggestions = suggest_services(organisation=organisation, text=text, limit=1)
    if not suggestions:
        return None
    best = suggestions[0]
    request_type = RequestType.objects.filter(organisation=organisation, key=best.key).first()
    if request_type is None:
        return None
    return Classification(request_type=request_type, confidence=best.confidence)


@dataclass
class Inbound:
    """One message as any channel delivers it."""

    channel: str
    message_id: str
    sender: str
    body: str
    subject: str = ""
    sender_name: str = ""
    attachments: list[Upload] = field(default_factory=list)
    automatic: str = ""
    received_at: datetime | None = None

    def __post_init__(self) -> None:
        # A message carrying characters no database can store must still be stored (not
        # refused, which a mail relay would retry for ever), so it loses them.
        for name in ("message_id", "sender", "body", "subject", "sender_name", "automatic"):
            setattr(self, name, storable(getattr(self, name)))
        self.attachments = [
            Upload(name=storable(upload.name), content=upload.content)
            for upload in self.attachments
        ]


def inbound_address_find(*, channel: str, addresses: list[str]) -> InboundAddress:
    """The first of the council addresses a message was sent to that we answer."""
    wanted = [
        normalise_email(address) if channel == InboundChannel.EMAIL else normalise_phone(address)
        for address in addresses
    ]
    found = {
        row.address: row
        for row in InboundAddress.objects.select_related("organisation").filter(
            channel=channel, address__in=wanted
        )
    }
    for address in wanted:
        if address in found:
            return found[address]
    raise NotFound("We do not receive messages at that address.")


def inbound_email_receive(
    *, parsed: ParsedEmail, recipients: list[str], received_at: datetime | None = None
) -> InboundMessage:
    inbox = inbound_address_find(channel=InboundChannel.EMAIL, addresses=recipients)
    return inbound_receive(
        inbox=inbox,
        message=Inbound(
            channel=InboundChannel.EMAIL,
            message_id=parsed.message_id,
            sender=parsed.sender,
            sender_name=parsed.sender_name,
            subject=parsed.subject,
            body=parsed.body,
            attachments=parsed.attachments,
            automatic=parsed.automatic,
            received_at=received_at,
        ),
    )


def inbound_receive(*, inbox: InboundAddress, message: Inbound) -> InboundMessage:
    """Store a message and act on it, once per message id; a repeat returns the first record."""
    organisation = inbox.organisation
    earlier = _earlier(organisation, message)
    if earlier is not None:
        return earlier
    documents, refused = _checked(message.attachments)
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            record = InboundMessage.objects.create(
                organisation=organisation,
                channel=message.channel,
                message_id=message.message_id,
                sender=message.sender,
                subject=message.subject,
                body=message.body,
                received_at=message.received_at or timezone.now(),
                outcome=MessageOutcome.TRIAGE,
                note="; ".join(refused)[:300],
            )
            try:
                with transaction.atomic():
                    _act(inbox, record, message, documents, stored_files)
            except DomainError as problem:
                # Kept for a person to read rather than refused: a refusal would only make the
                # mail relay send it again and again.
                _delete_files(stored_files)
                stored_files.clear()
                record.outcome = MessageOutcome.TRIAGE
                record.case = record.contact = record.customer = None
                record.note = f"Not handled automatically: {problem.message}"[:300]
            record.save()
    except IntegrityError:
        for name in stored_files:
            default_storage.delete(name)
        found = _earlier(organisation, message)
        if found is None:
            raise
        return found
    except BaseException:
        for name in stored_files:
            default_storage.delete(name)
        raise
    logger.info("Inbound %s %s: %s", record.channel, record.pk, record.outcome)
    return record


def _earlier(organisation: Organisation, message: Inbound) -> InboundMessage | None:
    return InboundMessage.objects.filter(
        organisation=organisation, channel=message.channel, message_id=message.message_id
    ).first()


def _checked(uploads: list[Upload]) -> tuple[list[CheckedDocument], list[str]]:
    """Attachments that pass the upload checks, and a line for each one that did not."""
    documents: list[CheckedDocument] = []
    refused: list[str] = []
    for upload in uploads:
        try:
            documents.append(document_check(upload))
        except ValidationFailed as problem:
            refused.append(f"Attachment not kept: {problem.message}")
    return documents, refused


def _act(
    inbox: InboundAddress,
    record: InboundMessage,
    message: Inbound,
    documents: list[CheckedDocument],
    stored_files: list[str],
) -> None:
    organisation = inbox.organisation
    if message.automatic:
        record.outcome = MessageOutcome.IGNORED
        record.note = message.automatic[:300]
        return
    actor = EMAIL_ACTOR if message.channel == InboundChannel.EMAIL else SMS_ACTOR
    case = _quoted_case(organisation, message)
    if case is not None:
        _thread(inbox, record, message, case, documents, actor, how="quoting the reference")
        return
    if _rating_reply(organisation, record, message):
        return
    case = _replied_case(organisation, message)
    if case is not None:
        _thread(inbox, record, message, case, documents, actor, how="replying to our text")
        return
    customer = _sender_customer(organisation, message, actor)
    record.customer = customer
    classification = classify_message(
        organisation=organisation, text=f"{message.subject}\n{message.body}"
    )
    if classification is not None:
        record.suggested_service = classification.request_type
        record.suggestion_confidence = classification.confidence
    opened = (
        _try_open(organisation, message, classification.request_type, customer, documents, actor)
        if classification is not None and classification.sure
        else None
    )
    if opened is not None:
        record.outcome = MessageOutcome.CASE_OPENED
        record.case = opened
        record.contact = opened.contacts.order_by("id").first()
        return
    record.outcome = MessageOutcome.TRIAGE
    record.contact = contact_log(
        organisation=organisation,
        customer=customer,
        details=ContactDetails(
            channel=message.channel,
            reason=ContactReason.NEW_REQUEST,
            outcome=ContactOutcome.TRANSFERRED,
            started_at=record.received_at,
            summary="Waiting in the triage queue for a member of staff to read.",
        ),
    )
    for document in documents:
        held = HeldAttachment(
            message=record,
            original_name=document.original_name,
            content_type=document.content_type,
            size=len(document.content),
        )
        held.file.save(document.stored_name, ContentFile(document.content), save=False)
        stored_files.append(str(held.file.name))
        held.save()
    if customer is not None:
        _acknowledge(inbox, customer, message)


def _quoted_case(organisation: Organisation, message: Inbound) -> Case | None:
    references = references_in(message.subject, message.body)
    if not references:
        return None
    cases = {
        case.reference: case
        for case in Case.objects.select_related("organisation", "customer", "request_type").filter(
            organisation=organisation, reference__in=references
        )
    }
    return next((cases[reference] for reference in references if reference in cases), None)


def _replied_case(organisation: Organisation, message: Inbound) -> Case | None:
    """For a text that quotes no reference: the open case we last texted that number about,
    if that was within ``SMS_REPLY_DAYS``. People answer an update without retyping it."""
    last_text = _last_text_to(organisation, message)
    if last_text is None or last_text.case is None or not last_text.case.is_open:
        return None
    return last_text.case


# "1", "2 it was fine", "Poor - took weeks": the answer to "how did we do?" by text.
_RATING_REPLY = re.compile(
    r"^\s*(?P<rating>[123]|good|average|ok|okay|poor|bad)\b[\s.,:;!-]*(?P<comment>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_RATINGS_BY_WORD = {
    "1": Rating.GOOD,
    "good": Rating.GOOD,
    "2": Rating.AVERAGE,
    "average": Rating.AVERAGE,
    "ok": Rating.AVERAGE,
    "okay": Rating.AVERAGE,
    "3": Rating.POOR,
    "poor": Rating.POOR,
    "bad": Rating.POOR,
}


def _rating_reply(organisation: Organisation, record: InboundMessage, message: Inbound) -> bool:
    """A text answering our "how did we do?" text with 1, 2 or 3 (or good, average, poor) is
    that case's rating, with anything after it as the comment. Only when the last text we
    sent the number was that question, so a "1" answering anything else is not misread."""
    found = _RATING_REPLY.match(message.body)
    last = _last_text_to(organisation, message) if found else None
    if found is None or last is None or last.template != "case_rating_invitation":
        return False
    case = last.case
    if case is None or case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return False
    rating = _RATINGS_BY_WORD[found.group("rating").lower()]
    try:
        contact_rating_record(
            organisation=organisation,
            case=case,
            rating=rating,
            reasons=[],
            comment=found.group("comment").strip()[:MAX_COMMENT_LENGTH],
            source=RatingSource.SMS_REPLY,
        )
    except ValidationFailed:
        return False  # already rated: an ordinary reply, threaded onto the case
    record.outcome = MessageOutcome.RATED
    record.case = case
    record.note = f"Rated {Rating(rating).label.lower()}"
    return True


def _last_text_to(organisation: Organisation, message: Inbound) -> OutboxMessage | None:
    number = normalise_phone(message.sender)
    if message.channel != InboundChannel.SMS or not number:
        return None
    customers = ContactDetail.objects.filter(
        customer__organisation=organisation, kind=DetailKind.PHONE, normalised=number
    ).values("customer_id")
    return (
        OutboxMessage.objects.filter(
            organisation=organisation,
            channel=MessageChannel.SMS,
            customer_id__in=customers,
            case__isnull=False,
            created_at__gte=timezone.now() - timedelta(days=SMS_REPLY_DAYS),
        )
        .select_related("case__organisation", "case__customer", "case__request_type")
        .order_by("-created_at", "-id")
        .first()
    )


def _is_customer_of(case: Case, message: Inbound) -> bool:
    if case.customer is None:
        return False
    if message.channel == InboundChannel.EMAIL:
        kind, normalised = DetailKind.EMAIL, normalise_email(message.sender)
    else:
        kind, normalised = DetailKind.PHONE, normalise_phone(message.sender)
    return case.customer.details.filter(kind=kind, normalised=normalised).exists()


def _thread(
    inbox: InboundAddress,
    record: InboundMessage,
    message: Inbound,
    case: Case,
    documents: list[CheckedDocument],
    actor: Actor,
    how: str,
) -> None:
    """Add the message to the case it quotes or answers, as a chasing contact. Someone other
    than the case's customer (a neighbour quoting the reference) is recorded, not given the
    case."""
    organisation = inbox.organisation
    from_customer = _is_customer_of(case, message)
    customer = case.customer if from_customer else _sender_customer(organisation, message, actor)
    heading = f"{'Email' if message.channel == InboundChannel.EMAIL else 'Text message'} from "
    heading += "the customer" if from_customer else "someone other than the customer"
    text = "\n\n".join(part for part in (message.subject, message.body) if part)
    case_add_note(
        case=case,
        body=f"{heading}:\n\n{text or '(no text)'}",
        visibility=NoteVisibility.INTERNAL,
        actor=actor,
    )
    for document in documents:
        case_attach(
            case=case,
            upload=Upload(name=document.original_name, content=document.content),
            actor=actor,
            public=from_customer,
        )
    if from_customer and case.status == CaseStatus.WAITING:
        case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor)
    record.case = case
    record.customer = customer
    record.outcome = MessageOutcome.THREADED
    record.contact = contact_log(
        organisation=organisation,
        customer=customer,
        case=case,
        details=ContactDetails(
            channel=message.channel,
            reason=ContactReason.PROGRESS_CHASING,
            outcome=ContactOutcome.LINKED_TO_CASE,
            started_at=record.received_at,
            summary=f"{heading} {how}.",
        ),
    )
    if customer is not None and message.channel == InboundChannel.EMAIL:
        case = Case.objects.get(pk=case.pk)
        notification_queue_email(
            organisation=organisation,
            customer=customer,
            email=message.sender,
            template="email_added_to_case",
            context={
                "council": organisation.name,
                "reference": case.reference,
                "expectation": reply_promise(inbox),
            },
        )


def _sender_customer(organisation: Organisation, message: Inbound, actor: Actor) -> Customer | None:
    """A new customer record for the sender (see ``reporter_create``), or None when the
    address or number is not one we could reply to."""
    is_email = message.channel == InboundChannel.EMAIL
    kind = DetailKind.EMAIL if is_email else DetailKind.PHONE
    if len(message.sender) > MAX_ADDRESS or contact_detail_error(kind, message.sender):
        return None
    return reporter_create(
        organisation=organisation,
        name=message.sender_name,
        emails=[message.sender] if is_email else [],
        phones=[] if is_email else [message.sender],
        preferred_channel="email" if is_email else "sms",
        actor=actor,
    )


def _try_open(
    organisation: Organisation,
    message: Inbound,
    request_type: RequestType,
    customer: Customer | None,
    documents: list[CheckedDocument],
    actor: Actor,
) -> Case | None:
    """A case for the service the message is about, if its questions can be left unanswered.
    Otherwise None: a person reads it in the triage queue."""
    if request_type.sensitive or not request_type.opens_cases:
        return None
    text = "\n\n".join(part for part in (message.subject, message.body) if part)
    try:
        with transaction.atomic():
            return case_open(
                organisation=organisation,
                request=CaseRequest(
                    request_type_key=request_type.key,
                    channel=message.channel,
                    description=text,
                    customer=customer,
                    documents=[
                        Upload(name=document.original_name, content=document.content)
                        for document in documents
                    ],
                ),
                actor=actor,
            )
    except DomainError:
        return None


def reply_promise(inbox: InboundAddress) -> str:
    calendar = inbox.organisation.calendar
    deadline = calendar.add_working_days(timezone.now(), inbox.reply_within_days)
    days = inbox.reply_within_days
    return f"We will reply in {days} working days, by {describe_deadline(deadline)}."


def _acknowledge(inbox: InboundAddress, customer: Customer, message: Inbound) -> None:
    context = {"council": inbox.organisation.name, "expectation": reply_promise(inbox)}
    if message.channel == InboundChannel.EMAIL:
        notification_queue_email(
            organisation=inbox.organisation,
            customer=customer,
            email=message.sender,
            template="message_received",
            context=context,
        )
    else:
        notification_queue(
            organisation=inbox.organisation,
            customer=customer,
            template="message_received",
            context=context,
        )


# The triage queue, worked by staff


def triage_open_case(
    *,
    message: InboundMessage,
    request_type_key: str,
    actor: Actor,
    answers: dict[str, Any] | None = None,
) -> Case:
    """Open the case a triaged message needs, with its held attachments, on its contact. The
    customer is acknowledged by the case as usual. A message already dealt with is refused."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.outcome != MessageOutcome.TRIAGE:
            raise TransitionNotAllowed("This message has already been dealt with.")
        held = list(locked.held.all())
        documents = [
            Upload(name=attachment.original_name, content=_read(attachment)) for attachment in held
        ]
        case = case_open(
            organisation=message.organisation,
            request=CaseRequest(
                request_type_key=request_type_key,
                channel=locked.channel,
                description="\n\n".join(part for part in (locked.subject, locked.body) if part),
                answers=answers or {},
                customer=locked.customer,
                documents=documents,
            ),
            actor=actor,
            contact=locked.contact,
        )
        locked.outcome = MessageOutcome.TRIAGED
        locked.case = case
        locked.save(update_fields=["outcome", "case"])
        names = [str(attachment.file.name) for attachment in held]
        for attachment in held:
            attachment.delete()
        transaction.on_commit(lambda: _delete_files(names))
    return case


def triage_close(*, message: InboundMessage, actor: Actor, note: str) -> InboundMessage:
    """Take a message off the queue without a case (answered, or not for the council)."""
    note = note.strip()
    if not note:
        raise ValidationFailed(
            "Say how the message was dealt with.", fields={"note": "Enter a note"}
        )
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.outcome != MessageOutcome.TRIAGE:
            raise TransitionNotAllowed("This message has already been dealt with.")
        locked.outcome = MessageOutcome.TRIAGED
        locked.note = f"{note} ({actor.label})"[:300]
        locked.save(update_fields=["outcome", "note"])
    return locked


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _read(attachment: HeldAttachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return bytes(handle.read())
