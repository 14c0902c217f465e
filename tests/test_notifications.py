"""Telling customers: choosing the channel, delivering through Notify or SMTP, and receipts.

Notify is the stand-in from civicdesk/notifications/standin.py, reached through the real
notifications-python-client over loopback; email goes to a real SMTP server (aiosmtpd) through
Django's SMTP backend.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from notifications_python_client.notifications import NotificationsAPIClient

from civicdesk.customers.models import Customer
from civicdesk.customers.services import (
    CustomerDetails,
    customer_add_contact_detail,
    customer_create,
)
from civicdesk.notifications.gateways import NotifyGateway, SmtpGateway
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.services import notification_queue
from civicdesk.notifications.standin import NotifyStandin, StandinTemplate
from civicdesk.notifications.worker import outbox_claim, outbox_deliver, outbox_run_once

from . import factories

pytestmark = pytest.mark.django_db

API_KEY = (
    "civicdesk-tests-2b6c5f2e-8a53-4c1e-9c1d-3f7a1e0b9d42-0d8e7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
)
EMAIL_TEMPLATE = "0f4b7a52-7a0e-4d0a-9d6c-2f4f3a1b5c01"
SMS_TEMPLATE = "0f4b7a52-7a0e-4d0a-9d6c-2f4f3a1b5c02"
LETTER_TEMPLATE = "0f4b7a52-7a0e-4d0a-9d6c-2f4f3a1b5c03"
TEMPLATES = {
    EMAIL_TEMPLATE: StandinTemplate("email"),
    SMS_TEMPLATE: StandinTemplate("sms"),
    LETTER_TEMPLATE: StandinTemplate("letter"),
}
CALLBACK_TOKEN = "notify-callback-token-for-the-tests"
NOTE = "The crew will return for your recycling tomorrow morning."


class WorkerKilled(BaseException):
    """The worker process stopping dead: nothing after this line of it runs."""


def make_customer(council, actor, preferred="email", **details: Any) -> Customer:
    fields = {"first_name": "Ann", "last_name": "Smith", **details}
    return customer_create(
        organisation=council,
        details=CustomerDetails(preferred_channel=preferred, **fields),
        actor=actor,
    )


def tell(customer: Customer, note: str = NOTE) -> OutboxMessage:
    return notification_queue(
        organisation=customer.organisation,
        customer=customer,
        template="case_public_update",
        context={
            "council": "Wrekin Council",
            "service": "Report a missed bin collection",
            "reference": "WRK-4KX7-9QP2",
            "note": note,
        },
    )


def later(message: OutboxMessage, seconds: float = 0) -> datetime:
    """A moment after the message's lease or backoff has run out."""
    message.refresh_from_db()
    times = [message.next_attempt_at, message.lease_expires_at or message.next_attempt_at]
    return max(times) + timedelta(seconds=seconds + 1)


def assert_not_logged(caplog, *private: str) -> None:
    for record in caplog.records:
        if record.name == "mail.log":
            continue  # the test mail server's own log, not ours
        text = record.getMessage()
        for value in private:
            assert value not in text, f"{record.name} logged personal data"


# Choosing the channel -------------------------------------------------------------------------

EVERYTHING = {
    "emails": ["ann.smith@example.com"],
    "phones": ["07700 900123"],
    "address_line_1": "4 Holyhead Road",
    "town": "Wellington",
    "postcode": "tf1 1aa",
}
LANDLINE_AND_ADDRESS = {
    "phones": ["01952 380000"],
    "address_line_1": "4 Holyhead Road",
    "town": "Wellington",
    "postcode": "TF1 1AA",
}


@pytest.mark.parametrize(
    ("preferred", "details", "channel", "recipient"),
    [
        ("email", EVERYTHING, "email", "ann.smith@example.com"),
        ("sms", EVERYTHING, "sms", "07700 900123"),
        ("phone", EVERYTHING, "sms", "07700 900123"),
        ("letter", EVERYTHING, "letter", ""),
        ("email", {**EVERYTHING, "emails": []}, "sms", "07700 900123"),
        ("sms", {**EVERYTHING, "phones": ["01952 380000"]}, "email", "ann.smith@example.com"),
        ("sms", LANDLINE_AND_ADDRESS, "letter", ""),
        ("letter", {"emails": ["ann.smith@example.com"]}, "email", "ann.smith@example.com"),
    ],
    ids=[
        "email",
        "text",
        "phone-means-text",
        "letter",
        "no-email-so-text",
        "landline-so-email",
        "landline-so-letter",
        "no-address-so-email",
    ],
)
def test_the_message_goes_the_way_the_customer_prefers_or_the_next_way_that_reaches_them(
    council, actor, preferred, details, channel, recipient
):
    customer = make_customer(council, actor, preferred, **details)
    message = tell(customer)

    assert (message.status, message.channel, message.recipient) == ("queued", channel, recipient)
    if channel == "sms":
        assert message.body.startswith("Wrekin Council: update on ref WRK-4KX7-9QP2")
        assert "\n" not in message.body
    else:
        assert message.body.startswith("There is an update on your request")
    assert NOTE in message.body
    if channel == "letter":
        assert message.address == ["Ann Smith", "4 Holyhead Road", "Wellington", "TF1 1AA"]


def test_a_customer_with_no_way_to_be_reached_gets_a_stored_not_sent_message(
    council, actor, notify
):
    customer = make_customer(council, actor, "sms", phones=["01952 380000"])

    message = tell(customer)

    stored = OutboxMessage.objects.get(pk=message.pk)
    assert stored.status == "not_sent"
    assert stored.customer == customer
    assert NOTE in stored.body
    assert stored.last_error == (
        "The customer has no email address, mobile number or postal address."
    )
    assert outbox_run_once(NotifyGateway()) == 0
    assert notify.accepted() == []
    stored.refresh_from_db()
    assert stored.status == "not_sent"


# GOV.UK Notify --------------------------------------------------------------------------------


@pytest.fixture
def notify(settings):
    with NotifyStandin(API_KEY, templates=TEMPLATES) as standin:
        settings.NOTIFY_API_KEY = API_KEY
        settings.NOTIFY_BASE_URL = standin.base_url
        settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE
        settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE
        settings.NOTIFY_LETTER_TEMPLATE_ID = LETTER_TEMPLATE
        yield standin


def deliver(gateway=None, now: datetime | None = None) -> int:
    return outbox_run_once(gateway or NotifyGateway(), now=now)


def test_an_email_reaches_notify_with_recipient_words_and_reference(resident, notify):
    message = tell(resident)

    assert deliver() == 1

    [sent] = notify.accepted()
    assert sent.type == "email"
    assert sent.recipient == "ann.smith@example.com"
    assert sent.template_id == EMAIL_TEMPLATE
    assert sent.personalisation == {"subject": message.subject, "body": message.body}
    assert sent.subject == "Update on your request WRK-4KX7-9QP2"
    assert NOTE in sent.body
    assert sent.reference == message.provider_reference == f"civicdesk-outbox-{message.pk}"
    message.refresh_from_db()
    assert (message.status, message.gateway, message.provider_id) == ("sent", "notify", sent.id)
    assert message.attempts == 1
    assert message.sent_at is not None


def test_a_text_message_reaches_notify_with_the_short_wording(council, actor, notify):
    message = tell(make_customer(council, actor, "sms", **EVERYTHING))

    assert deliver() == 1

    [sent] = notify.accepted()
    assert (sent.type, sent.recipient, sent.template_id) == ("sms", "07700 900123", SMS_TEMPLATE)
    assert sent.personalisation == {"body": message.body}
    assert sent.reference == message.provider_reference
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", sent.id)


def test_a_letter_reaches_notify_addressed_to_the_customer(council, actor, notify):
    message = tell(make_customer(council, actor, "letter", **EVERYTHING))

    assert deliver() == 1

    [sent] = notify.accepted()
    assert (sent.type, sent.template_id, sent.reference) == (
        "letter",
        LETTER_TEMPLATE,
        message.provider_reference,
    )
    assert sent.address_lines == ["Ann Smith", "4 Holyhead Road", "Wellington", "TF1 1AA"]
    assert sent.personalisation["subject"] == message.subject
    assert NOTE in sent.personalisation["body"]


def test_a_message_notify_refuses_fails_at_once_with_a_reason_and_no_personal_data(
    council, actor, notify, settings, caplog
):
    # A misconfigured template: Notify refuses with 400 and trying again will not help.
    settings.NOTIFY_SMS_TEMPLATE_ID = EMAIL_TEMPLATE
    message = tell(make_customer(council, actor, "sms", **EVERYTHING))

    with caplog.at_level(logging.DEBUG):
        assert deliver() == 1

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.failed_at is not None
    assert message.attempts == 1
    assert message.last_error == "Notify refused the message (400: BadRequestError)."
    assert notify.accepted() == []
    assert deliver(now=later(message, 3600)) == 0
    assert_not_logged(caplog, "07700 900123", "07700900123", NOTE)


def test_a_number_labelled_mobile_that_notify_cannot_text_is_not_texted(council, actor):
    customer = make_customer(council, actor, "sms", emails=["ann.smith@example.com"])
    customer_add_contact_detail(
        customer=customer, kind="phone", value="+1 202 555 0142", label="Mobile", actor=actor
    )
    message = tell(customer)
    assert (message.channel, message.recipient) == ("email", "ann.smith@example.com")


def test_a_number_notify_cannot_text_fails_without_the_number_in_the_error_or_logs(
    council, actor, notify, caplog
):
    # A text queued before numbers were checked as Notify checks them.
    message = tell(make_customer(council, actor, "sms", phones=["07700 900123"]))
    OutboxMessage.objects.filter(pk=message.pk).update(recipient="+1 202 555 0142")

    with caplog.at_level(logging.DEBUG):
        deliver()

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error == "Notify refused the message (400: ValidationError)."
    assert_not_logged(caplog, "202 555 0142", "2025550142")


def test_a_key_notify_does_not_accept_fails_the_message_with_a_visible_reason(
    resident, notify, settings
):
    settings.NOTIFY_API_KEY = (
        "revoked-key-7d1e5c3a-9b8f-4e2d-a1c0-b9e8d7c6f5a4-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    )
    message = tell(resident)

    deliver()

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error == "Notify refused the message (403: AuthError)."
    assert notify.accepted() == []


def test_when_notify_has_a_server_error_the_message_waits_then_is_sent(resident, notify):
    message = tell(resident)
    notify.fail_next(1)
    tried_at = timezone.now()

    assert deliver() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error == "Notify did not confirm the message (500)."
    assert message.next_attempt_at >= tried_at + timedelta(seconds=15)
    assert deliver() == 0, "tried again before the backoff was over"
    assert notify.accepted() == []

    assert deliver(now=message.next_attempt_at) == 1

    message.refresh_from_db()
    [sent] = notify.accepted()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert message.provider_id == sent.id


def test_after_the_last_attempt_the_message_is_failed_for_staff_to_see(resident, notify, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    message = tell(resident)
    notify.fail_next(100)
    waits = []

    for _ in range(3):
        tried_at = timezone.now()
        assert deliver(now=later(message)) == 1
        message.refresh_from_db()
        waits.append(message.next_attempt_at - tried_at)

    assert message.status == "failed"
    assert message.attempts == 3
    assert message.failed_at is not None
    assert message.last_error == (
        "Gave up after 3 attempts. Notify did not confirm the message (500)."
    )
    assert timedelta(seconds=15) <= waits[0] < timedelta(seconds=30) <= waits[1], (
        "the wait between tries grows"
    )
    assert deliver(now=later(message, 24 * 3600)) == 0
    assert notify.accepted() == []


def test_a_message_notify_accepted_before_the_worker_died_is_not_sent_again(resident, notify):
    message = tell(resident)

    class SendsThenDies:
        def name_for(self, message: OutboxMessage) -> str:
            return "notify"

        def send(self, message: OutboxMessage) -> str:
            NotifyGateway().send(message)
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        deliver(SendsThenDies())
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)
    assert deliver() == 0, "the lease is still held"

    assert deliver(now=later(message)) == 1

    [sent] = notify.accepted()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == ("sent", 2, sent.id)


def test_a_reply_that_times_out_after_notify_accepted_is_not_sent_again(resident, notify):
    impatient = NotifyGateway(
        NotificationsAPIClient(API_KEY, base_url=notify.base_url, timeout=0.2)
    )
    notify.reply_delay = 1.0
    message = tell(resident)

    deliver(impatient)

    message.refresh_from_db()
    assert message.status == "queued"
    assert message.last_error == "Notify did not confirm the message (503)."
    notify.reply_delay = 0
    # The retry waits as long as it likes: only the first reply is meant to be too slow, and a
    # busy machine must not make the second one look slow too.
    assert deliver(now=later(message)) == 1
    [sent] = notify.accepted()
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", sent.id)


# Delivery receipts ----------------------------------------------------------------------------


@pytest.fixture
def sent_email(resident, notify, settings) -> OutboxMessage:
    settings.NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN
    message = tell(resident)
    deliver()
    message.refresh_from_db()
    assert message.status == "sent"
    return message


def receipt(message: OutboxMessage, status: str, **changes: Any) -> dict[str, Any]:
    """A delivery receipt as Notify posts it to our callback."""
    return {
        "id": message.provider_id or str(uuid.uuid4()),
        "reference": message.provider_reference,
        "to": message.recipient,
        "status": status,
        "created_at": "2026-11-23T10:00:01.000000Z",
        "completed_at": "2026-11-23T10:00:09.000000Z",
        "sent_at": "2026-11-23T10:00:02.000000Z",
        "notification_type": message.channel,
        "template_id": EMAIL_TEMPLATE,
        "template_version": 1,
        **changes,
    }


def post_receipt(client: Client, body: object, token: str | None = CALLBACK_TOKEN):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        "/notifications/notify/receipts",
        data=data,
        content_type="application/json",
        headers=headers,
    )


def test_a_delivered_receipt_marks_the_message_delivered(client, sent_email):
    response = post_receipt(client, receipt(sent_email, "delivered"))

    assert response.status_code == 200
    assert response.json() == {"id": sent_email.pk, "status": "delivered"}
    sent_email.refresh_from_db()
    assert sent_email.status == "delivered"
    assert sent_email.delivered_at == datetime(2026, 11, 23, 10, 0, 9, tzinfo=UTC)


def test_a_letter_received_by_the_printer_counts_as_delivered(client, sent_email):
    sent_email.channel = "letter"
    sent_email.save(update_fields=["channel"])
    response = post_receipt(client, receipt(sent_email, "received"))
    assert response.status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == "delivered"


def test_a_permanent_failure_receipt_marks_the_message_failed_with_the_reason(client, sent_email):
    response = post_receipt(client, receipt(sent_email, "permanent-failure"))

    assert response.status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == "failed"
    assert sent_email.failed_at == datetime(2026, 11, 23, 10, 0, 9, tzinfo=UTC)
    assert sent_email.last_error == "Provider reported permanent-failure."


@pytest.mark.parametrize("token", ["not-the-token", "", None], ids=["wrong", "empty", "missing"])
def test_a_receipt_without_our_token_is_refused_and_changes_nothing(client, sent_email, token):
    response = post_receipt(client, receipt(sent_email, "delivered"), token=token)

    assert response.status_code == 401
    sent_email.refresh_from_db()
    assert sent_email.status == "sent"


def test_receipts_are_refused_when_no_token_is_configured(client, sent_email, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""

    assert post_receipt(client, receipt(sent_email, "delivered"), token="").status_code == 401


@pytest.mark.parametrize(
    "reference", ["civicdesk-outbox-987654", "another-service-42", None, "civicdesk-outbox-"]
)
def test_a_receipt_for_a_message_we_do_not_have_is_not_found(client, sent_email, reference):
    response = post_receipt(client, receipt(sent_email, "delivered", reference=reference))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00",
        "null",
        "[]",
        '"delivered"',
        {"status": "delivered"},
        {"reference": "REF"},
        {"reference": "REF", "status": "sending"},
        {"reference": "REF", "status": "delivered", "completed_at": "2026-02-30T10:00:00Z"},
        {"reference": "REF", "status": "delivered", "completed_at": "yesterday"},
        {"reference": "REF", "status": "delivered", "completed_at": 1700000000},
    ],
    ids=[
        "not-json",
        "not-utf8",
        "null",
        "list",
        "string",
        "no-reference",
        "no-status",
        "not-final",
        "impossible-date",
        "words-for-date",
        "number-for-date",
    ],
)
def test_a_malformed_receipt_is_a_bad_request_and_changes_nothing(client, sent_email, body):
    if isinstance(body, dict) and body.get("reference") == "REF":
        body = {**body, "reference": sent_email.provider_reference}

    response = post_receipt(client, body)

    assert response.status_code == 400
    sent_email.refresh_from_db()
    assert sent_email.status == "sent"


def test_receipts_only_accept_post(client, sent_email):
    response = client.get(
        "/notifications/notify/receipts", headers={"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    )
    assert response.status_code == 405


def test_a_receipt_that_arrives_before_the_worker_records_the_send_is_kept(
    client, resident, notify, settings
):
    settings.NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN
    message = tell(resident)

    class NotifyWithAFastCallback:
        def name_for(self, message: OutboxMessage) -> str:
            return "notify"

        def send(self, message: OutboxMessage) -> str:
            provider_id = NotifyGateway().send(message)
            message.provider_id = provider_id
            assert post_receipt(client, receipt(message, "delivered")).status_code == 200
            return provider_id

    deliver(NotifyWithAFastCallback())

    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.sent_at is not None
    assert message.provider_id == notify.accepted()[0].id


# Email through SMTP ---------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and refuses the addresses it is told to."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class LoopbackSmtp(Controller):
    """aiosmtpd's controller on a free port chosen by the operating system."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    server = LoopbackSmtp(box, hostname="127.0.0.1", port=0)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield box
    server.stop()


def test_an_email_arrives_at_the_mail_server_with_a_stable_message_id(council, resident, mailbox):
    council.email_from = "customer.services@wrekin.gov.uk"
    council.save()
    message = tell(resident)

    assert deliver(SmtpGateway()) == 1

    [email] = mailbox.received
    message.refresh_from_db()
    assert email["Subject"] == "Update on your request WRK-4KX7-9QP2"
    assert email["To"] == "ann.smith@example.com"
    assert email["From"] == "customer.services@wrekin.gov.uk"
    assert email["Message-ID"] == f"<civicdesk-outbox-{message.pk}@wrekin.gov.uk>"
    assert email["X-CivicDesk-Reference"] == message.provider_reference
    assert NOTE in email.get_content()
    assert (message.status, message.gateway) == ("sent", "smtp")
    assert message.provider_id == email["Message-ID"]


def test_an_email_sent_again_after_a_crash_carries_the_same_message_id(resident, mailbox):
    message = tell(resident)

    class SendsThenDies(SmtpGateway):
        def send(self, message: OutboxMessage) -> str:
            super().send(message)
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        deliver(SendsThenDies())
    assert deliver(SmtpGateway(), now=later(message)) == 1

    first, second = mailbox.received
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"] == f"<{message.provider_reference}@civicdesk.invalid>"


def test_texts_and_letters_stay_in_the_outbox_when_only_email_can_be_sent(council, actor, mailbox):
    text = tell(make_customer(council, actor, "sms", **EVERYTHING))
    letter = tell(make_customer(council, actor, "letter", **EVERYTHING))

    assert deliver(SmtpGateway()) == 2

    assert mailbox.received == []
    for message in (text, letter):
        message.refresh_from_db()
        assert (message.status, message.gateway) == ("kept", "outbox")
        assert message.provider_id == f"local-{message.pk}"


def test_an_address_the_mail_server_refuses_fails_without_the_address_in_the_error(
    resident, mailbox, caplog
):
    mailbox.refuse["ann.smith@example.com"] = "550 5.1.1 No such user here"
    message = tell(resident)

    with caplog.at_level(logging.DEBUG):
        deliver(SmtpGateway())

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error == "The mail server refused the recipient (550)."
    assert_not_logged(caplog, "ann.smith@example.com", NOTE)


def test_an_address_the_mail_server_defers_is_tried_again_later(resident, mailbox):
    mailbox.refuse["ann.smith@example.com"] = "451 4.3.0 Try again later"
    message = tell(resident)

    deliver(SmtpGateway())

    message.refresh_from_db()
    assert message.status == "queued"
    assert message.last_error == "The mail server refused the recipient for now (451)."
    del mailbox.refuse["ann.smith@example.com"]
    assert deliver(SmtpGateway(), now=later(message)) == 1
    assert len(mailbox.received) == 1


def test_when_the_mail_server_is_down_the_email_waits_in_the_outbox(resident, settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    message = tell(resident)

    deliver(SmtpGateway())

    message.refresh_from_db()
    assert message.status == "queued"
    assert message.last_error == "Could not reach the mail server (ConnectionRefusedError)."


# Claiming and attempts ------------------------------------------------------------------------


class RecordingGateway:
    def __init__(self, fail_on: set[int] | None = None, die_on: set[int] | None = None) -> None:
        self.sent: list[int] = []
        self.fail_on = fail_on or set()
        self.die_on = die_on or set()

    def name_for(self, message: OutboxMessage) -> str:
        return "recording"

    def send(self, message: OutboxMessage) -> str:
        if message.pk in self.die_on:
            raise WorkerKilled
        if message.pk in self.fail_on:
            raise RuntimeError(f"cannot format {message.recipient}")
        self.sent.append(message.pk)
        return f"local-{message.pk}"


def queued_messages(council, count: int) -> list[OutboxMessage]:
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(
            organisation=council,
            template="case_public_update",
            channel="email",
            recipient=f"resident{n}@example.com",
            subject="Update on your request",
            body="There is an update on your request.",
            next_attempt_at=timezone.now() - timedelta(seconds=1),
            max_attempts=django_settings.NOTIFICATION_MAX_ATTEMPTS,
        )
        for n in range(count)
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_lease_the_same_message():
    council = factories.OrganisationFactory()
    queued_messages(council, 40)
    start = threading.Barrier(4)
    claimed: list[list[int]] = []
    problems: list[BaseException] = []

    def claim() -> None:
        try:
            start.wait()
            claimed.append([message.pk for message in outbox_claim(limit=15)])
        except BaseException as problem:
            problems.append(problem)
        finally:
            connection.close()

    workers = [threading.Thread(target=claim) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert problems == []
    every_claim = [pk for batch in claimed for pk in batch]
    assert len(every_claim) == len(set(every_claim)), "a message was leased twice"
    assert len(every_claim) == 40
    assert OutboxMessage.objects.filter(status="sending").count() == 40
    tokens = {m.lease_token for m in OutboxMessage.objects.all()}
    assert len(tokens) == sum(1 for batch in claimed if batch)


def test_an_expired_lease_is_reclaimed_and_the_old_holder_stands_aside(council):
    [message] = queued_messages(council, 1)
    start = timezone.now()
    lease = timedelta(seconds=django_settings.NOTIFICATION_LEASE_SECONDS)
    [first] = outbox_claim(now=start)

    assert outbox_claim(now=start + lease - timedelta(seconds=1)) == []
    [second] = outbox_claim(now=start + lease + timedelta(seconds=1))
    assert second.lease_token != first.lease_token

    gateway = RecordingGateway()
    assert outbox_deliver(first, gateway) is False
    assert outbox_deliver(second, gateway) is True
    assert gateway.sent == [message.pk]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_each_try_is_counted_but_messages_a_dying_worker_never_reached_are_not(council, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    crashes, *innocent = queued_messages(council, 3)
    gateway = RecordingGateway(die_on={crashes.pk})
    now = timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)

    for _ in range(3):
        with pytest.raises(WorkerKilled):
            outbox_run_once(gateway, now=now)
        now += lease
    crashes.refresh_from_db()
    assert (crashes.status, crashes.attempts) == ("sending", 3)

    assert outbox_run_once(gateway, now=now) == 2

    crashes.refresh_from_db()
    assert crashes.status == "failed"
    assert crashes.last_error == "Gave up after the maximum number of attempts."
    assert gateway.sent == [message.pk for message in innocent]
    for message in innocent:
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 1)


def test_a_message_that_breaks_the_gateway_does_not_stop_the_rest(council, caplog):
    broken, fine = queued_messages(council, 2)
    gateway = RecordingGateway(fail_on={broken.pk})

    with caplog.at_level(logging.DEBUG):
        assert outbox_run_once(gateway) == 2

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.status, broken.last_error) == ("queued", "Unexpected error (RuntimeError).")
    assert fine.status == "sent"
    assert_not_logged(caplog, broken.recipient)
