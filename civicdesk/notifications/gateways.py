"""Delivery gateways: how a message in the outbox reaches the customer.

- ``notify``: GOV.UK Notify, for email, text messages and letters.
- ``smtp``: Django's email backend (EMAIL_URL); email only.
- ``outbox``: nothing leaves the machine; the message stays in the outbox for staff to read.

Every gateway passes the outbox message's reference to the provider. When a message is tried
again (the worker died or timed out), the Notify gateway first asks Notify whether a message
with that reference already exists, so that a retry does not send the message twice.
"""

from __future__ import annotations

from typing import Protocol

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from .models import MessageChannel, OutboxMessage


class TemporaryFailure(Exception):
    """Worth trying again later."""


class PermanentFailure(Exception):
    """Trying again will not help."""


class Gateway(Protocol):
    def name_for(self, message: OutboxMessage) -> str:
        """Which delivery route the message takes, recorded on the message."""
        ...

    def send(self, message: OutboxMessage) -> str:
        """Hand the message to the provider and return the provider's id for it."""
        ...


class OutboxOnlyGateway:
    def name_for(self, message: OutboxMessage) -> str:
        return "outbox"

    def send(self, message: OutboxMessage) -> str:
        return f"local-{message.pk}"


class SmtpGateway:
    """Email through the mail server; text messages and letters stay in the outbox for staff."""

    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self.connection = connection

    def name_for(self, message: OutboxMessage) -> str:
        return "smtp" if message.channel == MessageChannel.EMAIL else "outbox"

    def send(self, message: OutboxMessage) -> str:
        if message.channel != MessageChannel.EMAIL:
            return OutboxOnlyGateway().send(message)
        # A stable Message-ID: a retry after a crash is recognisable as the same message.
        message_id = make_msgid(idstring=message.provider_reference, domain="civicdesk.invalid")
        from_email = message.organisation.email_from or settings.DEFAULT_FROM_EMAIL
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=from_email,
            to=[message.recipient],
            headers={"Message-ID": message_id, "X-CivicDesk-Reference": message.provider_reference},
            connection=self.connection,
        )
        try:
            email.send(fail_silently=False)
        except (OSError, TimeoutError) as problem:
            raise TemporaryFailure(
                f"The mail server did not accept the message: {problem}"
            ) from None
        return message_id


class NotifyGateway:
    def __init__(self, client: NotificationsAPIClient | None = None) -> None:
        self.client = client or NotificationsAPIClient(
            settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=20
        )

    def name_for(self, message: OutboxMessage) -> str:
        return "notify"

    def send(self, message: OutboxMessage) -> str:
        reference = message.provider_reference
        try:
            if message.attempts > 1:
                earlier = self._already_sent(reference)
                if earlier:
                    return earlier
            response = self._send(message, reference)
        except APIError as problem:
            if problem.status_code in (400, 403):
                raise PermanentFailure(
                    f"Notify refused the message ({problem.status_code})."
                ) from None
            raise TemporaryFailure(f"Notify is unavailable ({problem.status_code}).") from None
        except requests.RequestException:
            raise TemporaryFailure("Could not reach Notify.") from None
        return str(response["id"])

    def _already_sent(self, reference: str) -> str | None:
        found = self.client.get_all_notifications(reference=reference)
        notifications = found.get("notifications", []) if found else []
        return str(notifications[0]["id"]) if notifications else None

    def _send(self, message: OutboxMessage, reference: str) -> dict[str, object]:
        personalisation = {"subject": message.subject, "body": message.body}
        if message.channel == MessageChannel.EMAIL:
            return self.client.send_email_notification(
                email_address=message.recipient,
                template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
                personalisation=personalisation,
                reference=reference,
            )
        if message.channel == MessageChannel.SMS:
            return self.client.send_sms_notification(
                phone_number=message.recipient,
                template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                personalisation={"body": message.body},
                reference=reference,
            )
        lines = {f"address_line_{n}": line for n, line in enumerate(message.address[:7], start=1)}
        return self.client.send_letter_notification(
            template_id=settings.NOTIFY_LETTER_TEMPLATE_ID,
            personalisation={**lines, **personalisation},
            reference=reference,
        )


def gateway_for_settings() -> Gateway:
    name = settings.NOTIFICATION_GATEWAY
    if name == "notify":
        return NotifyGateway()
    if name == "smtp":
        return SmtpGateway()
    return OutboxOnlyGateway()
