"""Delivery gateways: how a message in the outbox reaches the customer.

- ``notify``: GOV.UK Notify, for email, text messages and letters.
- ``smtp``: Django's email backend (EMAIL_URL); email only.
- ``outbox``: nothing leaves the machine; the message stays in the outbox for staff to read.

Every gateway passes the outbox message's reference to the provider. When a message is tried
again (the worker died or timed out), the Notify gateway first asks Notify whether a message
with that reference already exists, so that a retry does not send the message twice.
"""

from __future__ import annotations

import smtplib
from email.utils import parseaddr
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from .choices import MessageChannel
from .models import OutboxMessage
from .templates import AUTOMATIC_REPLY_TEMPLATES


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
        from_email = message.organisation.email_from or settings.DEFAULT_FROM_EMAIL
        message_id = stable_message_id(message, from_email)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=from_email,
            to=[message.recipient],
            headers={
                "Message-ID": message_id,
                "X-CivicDesk-Reference": message.provider_reference,
                **(
                    {"Auto-Submitted": "auto-replied"}
                    if message.template in AUTOMATIC_REPLY_TEMPLATES
                    else {}
                ),
            },
            connection=self.connection,
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as problem:
            # The exception names the refused addresses: only the codes go any further.
            codes = sorted({code for code, _ in problem.recipients.values()})
            raise _smtp_failure("The mail server refused the recipient", codes) from None
        except smtplib.SMTPResponseException as problem:
            raise _smtp_failure(
                "The mail server refused the message", [problem.smtp_code]
            ) from None
        except (OSError, TimeoutError) as problem:
            raise TemporaryFailure(
                f"Could not reach the mail server ({type(problem).__name__})."
            ) from None
        return message_id


def stable_message_id(message: OutboxMessage, from_email: str) -> str:
    """The same Message-ID on every attempt, so a copy sent again is recognisably the same.

    It is made from the outbox reference and the sender's domain, which is the council's own,
    so that it is unique beyond this installation too.
    """
    _, address = parseaddr(from_email)
    domain = address.rpartition("@")[2] or "civicdesk.invalid"
    return f"<{message.provider_reference}@{domain}>"


def _smtp_failure(what: str, codes: list[int]) -> Exception:
    """SMTP 5xx replies are final; anything else may work later."""
    listed = ", ".join(str(code) for code in codes)
    if codes and all(500 <= code < 600 for code in codes):
        return PermanentFailure(f"{what} ({listed}).")
    return TemporaryFailure(f"{what} for now ({listed}).")


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
            # The client turns timeouts and refused connections into errors with status 503.
            if problem.status_code in (400, 403):
                raise PermanentFailure(
                    f"Notify refused the message ({problem.status_code}{_error_names(problem)})."
                ) from None
            raise TemporaryFailure(
                f"Notify did not confirm the message ({problem.status_code})."
            ) from None
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


def _error_names(problem: APIError) -> str:
    """Notify's error names (ValidationError, AuthError...).

    Never its messages: they can quote what was sent.
    """
    errors = problem.message
    if not isinstance(errors, list):
        return ""
    names = [str(error.get("error")) for error in errors if isinstance(error, dict)]
    names = [name for name in dict.fromkeys(names) if name.isidentifier()]
    return f": {', '.join(names)}" if names else ""


GATEWAYS = ("notify", "smtp", "outbox")


def gateway_for_settings(name: str | None = None) -> Gateway:
    """The gateway named, or the one NOTIFICATION_GATEWAY names."""
    name = name or settings.NOTIFICATION_GATEWAY
    if name == "notify":
        return NotifyGateway()
    if name == "smtp":
        return SmtpGateway()
    return OutboxOnlyGateway()
