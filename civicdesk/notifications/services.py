"""Queueing notifications in the outbox and recording what providers tell us about them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.core.rows import row_insert
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import ContactDetail

from .choices import MessageChannel, MessageStatus
from .models import OutboxMessage
from .templates import render

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import Organisation

# Which channels to try, in order, for each preference. Nobody is phoned by a machine: a
# customer who prefers the phone gets a text, then an email, then a letter.
CHANNEL_ORDER = {
    "email": ("email", "sms", "letter"),
    "sms": ("sms", "email", "letter"),
    "letter": ("letter", "email", "sms"),
    "phone": ("sms", "email", "letter"),
}


def notification_queue(
    *,
    organisation: Organisation,
    customer: Customer,
    template: str,
    context: dict[str, str],
    case: Case | None = None,
) -> OutboxMessage:
    """Write a message to the customer into the outbox, in their preferred channel.

    Call inside the transaction that makes the change the message is about: both are stored
    or neither is. When there is no way to reach the customer the message is still stored, as
    "not sent", so that staff can see it and get in touch another way.
    """
    subject, body, sms = render(template, context)
    message = OutboxMessage(
        organisation=organisation,
        customer=customer,
        case=case,
        template=template,
        subject=subject,
        next_attempt_at=timezone.now(),
        max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
    )
    details = list(customer.details.all())
    for channel in CHANNEL_ORDER.get(customer.preferred_channel, CHANNEL_ORDER["email"]):
        if _address(message, customer, details, channel):
            message.channel = channel
            message.body = sms if channel == MessageChannel.SMS else body
            break
    else:
        message.channel = MessageChannel.EMAIL
        message.body = body
        message.status = MessageStatus.NOT_SENT
        message.last_error = "The customer has no email address, mobile number or postal address."
    row_insert(message)
    return message


@dataclass(frozen=True)
class StaffEmail:
    """One email from a template to one or more members of staff."""

    organisation: Organisation
    emails: list[str]
    template: str
    context: dict[str, str]


def notification_queue_to_staff(*, messages: Iterable[StaffEmail]) -> list[OutboxMessage]:
    """Write emails to staff into the outbox, in one statement however many there are."""
    now = timezone.now()
    rows: list[OutboxMessage] = []
    for message in messages:
        subject, body, _ = render(message.template, message.context)
        rows.extend(
            OutboxMessage(
                organisation=message.organisation,
                template=message.template,
                channel=MessageChannel.EMAIL,
                recipient=email,
                subject=subject,
                body=body,
                next_attempt_at=now,
                max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
            )
            for email in message.emails
        )
    return OutboxMessage.objects.bulk_create(rows)


def _address(
    message: OutboxMessage, customer: Customer, details: list[ContactDetail], channel: str
) -> bool:
    if channel == MessageChannel.LETTER:
        if customer.address_line_1 and customer.postcode:
            message.address = [customer.display_name, *customer.address_lines]
            return True
        return False
    if channel == MessageChannel.EMAIL:
        found = next((d for d in details if d.kind == DetailKind.EMAIL), None)
    else:
        found = next((d for d in details if d.is_mobile), None)
    if found is None:
        return False
    message.recipient = found.value
    return True


# GOV.UK Notify's delivery statuses, as they arrive on a callback.
RECEIPT_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    # A letter's journey ends when the printer has it ready for the post.
    "received": MessageStatus.DELIVERED,
    "cancelled": MessageStatus.FAILED,
    "virus-scan-failed": MessageStatus.FAILED,
    "permanent-failure": MessageStatus.FAILED,
    "temporary-failure": MessageStatus.FAILED,
    "technical-failure": MessageStatus.FAILED,
    "validation-failed": MessageStatus.FAILED,
}


def notification_record_receipt(
    *, reference: str, provider_status: str, at: datetime | None = None
) -> OutboxMessage:
    """Record a provider's delivery receipt against the message it names by our reference."""
    status = RECEIPT_STATUSES.get(provider_status)
    if status is None:
        raise ValidationFailed(
            f"'{provider_status}' is not a final delivery status.",
            fields={"status": "Expected delivered or a failure status"},
        )
    prefix = "civicdesk-outbox-"
    message_id = whole_number(reference.removeprefix(prefix))
    if not reference.startswith(prefix) or message_id is None:
        raise NotFound("No message has that reference.")
    at = at or timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise NotFound("No message has that reference.")
        message.status = status
        if status == MessageStatus.DELIVERED:
            message.delivered_at = at
        else:
            message.failed_at = at
            message.last_error = f"Provider reported {provider_status}."
        message.save(update_fields=["status", "delivered_at", "failed_at", "last_error"])
    return message


def notification_queue_email(
    *,
    organisation: Organisation,
    customer: Customer,
    email: str,
    template: str,
    context: dict[str, str],
) -> OutboxMessage:
    """Write an email to one address of the customer's into the outbox, whatever channel they
    prefer: for messages that must go where they were asked for, such as a sign-in link."""
    subject, body, _ = render(template, context)
    return OutboxMessage.objects.create(
        organisation=organisation,
        customer=customer,
        template=template,
        channel=MessageChannel.EMAIL,
        recipient=email,
        subject=subject,
        body=body,
        next_attempt_at=timezone.now(),
        max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
    )
