"""Email in through a real SMTP conversation on loopback, and text messages from Notify's
received-text callback: threading by reference, new cases, triage, loops and duplicates."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import CaseRequest, case_open, case_transition
from civicdesk.cases.models import Case, CaseNote
from civicdesk.channels.choices import MessageOutcome
from civicdesk.channels.mail import email_parse
from civicdesk.channels.management.commands.receive_email import inbound_controller
from civicdesk.channels.models import InboundAddress, InboundMessage
from civicdesk.channels.selectors import access_inbound_message, triage_queue
from civicdesk.channels.services import (
    OPEN_CASE_CONFIDENCE,
    inbound_email_receive,
    reply_promise,
    triage_close,
    triage_open_case,
)
from civicdesk.contacts.choices import ContactReason
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound, TransitionNotAllowed
from civicdesk.core.readability import readability
from civicdesk.customers.models import Customer
from civicdesk.customers.services import customer_add_contact_detail
from civicdesk.notifications.choices import MessageChannel
from civicdesk.notifications.gateways import SmtpGateway
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.templates import render

from . import factories
from .sample_files import PNG

INBOX = "contact@wrekin.gov.uk"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server():
    """The receiver `manage.py receive_email` runs, listening on loopback for this test."""
    port = _free_port()
    controller = inbound_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def inbox(council) -> InboundAddress:
    return InboundAddress.objects.create(
        organisation=council, channel="email", address=INBOX, reply_within_days=5
    )


# A mail relay waits up to ten minutes for the answer to a message (RFC 5321, 4.5.3.2.6); the
# tests wait two, so that a busy machine does not fail them and a hung receiver still does.
RELAY_PATIENCE_SECONDS = 120


def send(port: int, message: EmailMessage, to: str = INBOX) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=RELAY_PATIENCE_SECONDS) as smtp:
        smtp.send_message(message, to_addrs=[to])


def email(
    subject: str,
    body: str,
    sender: str = "ann.smith@example.com",
    name: str = "Ann Smith",
    **headers: str,
):
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = INBOX
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", f"<{subject.replace(' ', '.')}@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@pytest.fixture
def case(council, missed_bin, resident, actor) -> Case:
    return case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            answers={"bin": "Recycling"},
            customer=resident,
        ),
        actor=actor,
    )


@pytest.mark.django_db(transaction=True)
def test_a_reply_quoting_the_reference_threads_onto_the_case(smtp_server, inbox, case):
    case_transition(
        case=case, to_status=CaseStatus.WAITING, actor=Actor(label="officer"), note="Which street?"
    )
    message = email(
        "Re: Update on your request",
        f"It is Holyhead Road.\n\n> Your reference is {case.reference.lower().replace('-', ' ')}",
    )
    message.add_attachment(PNG, maintype="image", subtype="png", filename="bin.png")
    send(smtp_server, message)
    stored = InboundMessage.objects.get()
    assert stored.outcome == MessageOutcome.THREADED
    assert stored.case_id == case.pk
    assert stored.contact.reason == ContactReason.PROGRESS_CHASING
    note = CaseNote.objects.filter(case=case, visibility="internal").get()
    assert "Holyhead Road" in note.body
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.attachments.get().content_type == "image/png"
    reply = OutboxMessage.objects.get(template="email_added_to_case")
    assert reply.recipient == "ann.smith@example.com"
    assert case.reference in reply.body
    assert "5 working days" in reply.body


@pytest.mark.django_db(transaction=True)
def test_a_new_email_about_a_known_service_opens_a_case_and_is_acknowledged(
    smtp_server, inbox, council
):
    fly_tipping = factories.RequestTypeFactory(
        organisation=council, key="fly-tipping", name="Report fly-tipping"
    )
    factories.CharterTargetFactory(
        request_type=fly_tipping,
        amount=5,
        unit="working_days",
        channel="email",
        summary="reply to your email",
    )
    send(smtp_server, email("Dumped rubbish", "Someone has dumped a sofa in the lane."))
    stored = InboundMessage.objects.get()
    assert stored.outcome == MessageOutcome.CASE_OPENED
    case = Case.objects.get()
    assert case.request_type == fly_tipping
    assert case.channel == "email"
    acknowledgement = OutboxMessage.objects.get(case=case)
    assert acknowledgement.recipient == "ann.smith@example.com"
    assert case.reference in acknowledgement.body
    assert "reply to your email" in acknowledgement.body
    # The email charter's day, as the inbox promises it to every email.
    promised = re.search(r"on \w+ \d+ \w+ \d{4}", reply_promise(inbox))
    assert promised is not None
    assert promised.group() in acknowledgement.body
    # It answers an email by itself, so it is marked as an automatic reply.
    SmtpGateway().send(acknowledgement)
    [sent] = mail.outbox
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


@pytest.mark.django_db(transaction=True)
def test_an_email_no_service_fits_waits_in_triage_with_its_attachment(
    smtp_server, inbox, council, officer
):
    message = email("Hello", "I would like to talk to someone about my neighbour.")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="photo.png")
    message.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="run.exe"
    )
    send(smtp_server, message)
    queued = list(triage_queue(staff=officer))
    assert [m.outcome for m in queued] == [MessageOutcome.TRIAGE]
    assert [held.original_name for held in queued[0].held.all()] == ["photo.png"]
    assert "run.exe is not a PDF, JPG or PNG" in queued[0].note
    assert not Case.objects.exists()
    reply = OutboxMessage.objects.get(template="message_received")
    assert reply.recipient == "ann.smith@example.com"
    assert "in 5 working days" in reply.body
    elsewhere = factories.StaffFactory()
    assert list(triage_queue(staff=elsewhere)) == []


@pytest.mark.django_db(transaction=True)
def test_an_email_the_assistant_is_unsure_of_waits_in_triage_showing_its_guess(
    smtp_server, inbox, council, officer, staff_client
):
    factories.RequestTypeFactory(organisation=council, key="fly-tipping", name="Report fly-tipping")
    send(smtp_server, email("Hello", "There is a mattress outside."))
    [waiting] = triage_queue(staff=officer)
    assert waiting.suggested_service.key == "fly-tipping"
    assert 0 < waiting.suggestion_confidence < OPEN_CASE_CONFIDENCE
    assert not Case.objects.exists()
    client = staff_client(officer)
    queue = client.get("/staff/messages/").content.decode()
    assert "Report fly-tipping" in queue
    page = client.get(f"/staff/messages/{waiting.pk}/").content.decode()
    assert re.search(r"Report fly-tipping \(\d+% sure\)", page)
    assert re.search(r'<option value="fly-tipping" selected', page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("ann.smith@example.com", {"Auto_Submitted": "auto-replied"}),
        ("ann.smith@example.com", {"Precedence": "bulk"}),
        ("MAILER-DAEMON@example.com", {}),
    ],
)
def test_automatic_mail_is_kept_but_never_answered(smtp_server, inbox, sender, headers):
    send(smtp_server, email("Out of office", "I am away", sender=sender, **headers))
    assert InboundMessage.objects.get().outcome == MessageOutcome.IGNORED
    assert not OutboxMessage.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_our_automatic_reply_is_marked_so_other_systems_do_not_answer_it(smtp_server, inbox):
    send(smtp_server, email("Hello", "Is anyone there?"))
    reply = OutboxMessage.objects.get(template="message_received")
    SmtpGateway().send(reply)
    [sent] = mail.outbox
    assert sent.to == ["ann.smith@example.com"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


@pytest.mark.django_db(transaction=True)
def test_an_email_without_a_display_name_is_accepted_and_answered(smtp_server, inbox):
    send(smtp_server, email("Hello", "Can someone call me?", name=""))
    stored = InboundMessage.objects.get()
    assert stored.customer.display_name == "Name not given"
    assert (
        OutboxMessage.objects.get(template="message_received").recipient == "ann.smith@example.com"
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_message_id_twice_is_stored_once(smtp_server, inbox):
    message = email("Hello", "Is anyone there?", message_id="<once@example.com>")
    send(smtp_server, message)
    send(smtp_server, message)
    assert InboundMessage.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def _database_url() -> str:
    """The test database, for a process started by the test (pytest-django renamed it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    login = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_receive_email_command_accepts_mail_and_stops_cleanly(inbox, tmp_path):
    port = _free_port()
    log = (tmp_path / "receiver.log").open("wb")
    receiver = subprocess.Popen(
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "receive_email",
            "--port",
            str(port),
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
        },
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                send(port, email("Hello", "Is anyone there?"))
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "receiver.log").read_text()
                time.sleep(0.05)
        assert InboundMessage.objects.get().outcome == MessageOutcome.TRIAGE
    finally:
        receiver.send_signal(signal.SIGTERM)
        assert receiver.wait(timeout=10) == 0
    assert "Stopped receiving email" in (tmp_path / "receiver.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_mail_for_an_address_we_do_not_receive_for_is_refused(smtp_server, inbox):
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_server, email("Hello", "Hi"), to="someone@elsewhere.example")
    assert not InboundMessage.objects.exists()


# Text messages from GOV.UK Notify


@pytest.fixture
def text_number(council) -> InboundAddress:
    return InboundAddress.objects.create(organisation=council, channel="sms", address="07700900999")


def received_text(client, token: str, **payload: str):
    body = {
        "id": "notify-1",
        "source_number": "447700900123",
        "destination_number": "07700900999",
        "message": "Any news?",
        "date_received": "2026-11-23T10:00:00.000000Z",
        **payload,
    }
    return client.post(
        "/channels/notify/received-text",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.django_db
def test_a_text_quoting_a_reference_threads_onto_the_case_once(client, settings, text_number, case):
    settings.NOTIFY_CALLBACK_TOKEN = "callback-secret"
    assert received_text(client, "wrong", message="x").status_code == 401
    text = f"Any news on {case.reference}?"
    response = received_text(client, "callback-secret", message=text)
    assert response.status_code == 200
    assert response.json()["outcome"] == MessageOutcome.THREADED
    assert received_text(client, "callback-secret", message=text).status_code == 200
    assert InboundMessage.objects.count() == 1
    stored = InboundMessage.objects.get()
    # The sender's number is the customer's own (in international form), so it is theirs.
    assert stored.customer_id == case.customer_id
    assert CaseNote.objects.filter(case=case, body__contains="Any news").count() == 1
    assert received_text(client, "callback-secret", id="").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_messages_with_nul_characters_are_stored_not_bounced(
    smtp_server, inbox, client, settings, text_number
):
    send(smtp_server, email("Bin\x00", "Hello\x00 there", message_id="<nul@example.com>"))
    stored = InboundMessage.objects.get(channel="email")
    assert (stored.subject, stored.body.strip()) == ("Bin", "Hello there")
    settings.NOTIFY_CALLBACK_TOKEN = "callback-secret"
    response = received_text(client, "callback-secret", message="Hi\x00 there")
    assert response.status_code == 200
    assert InboundMessage.objects.get(channel="sms").body == "Hi there"


@pytest.mark.django_db(transaction=True)
def test_an_email_in_a_charset_we_do_not_know_is_stored_not_bounced(smtp_server, inbox):
    def raw(number: int, charset: str, body: bytes) -> bytes:
        return (
            b"From: Ann Smith <ann.smith@example.com>\r\nTo: " + INBOX.encode() + b"\r\n"
            b"Subject: Hello\r\nMessage-ID: <charset-%d@example.com>\r\n"
            b"Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: 8bit\r\n"
            b"\r\n%s\r\n" % (number, charset.encode(), body)
        )

    with smtplib.SMTP("127.0.0.1", smtp_server, timeout=RELAY_PATIENCE_SECONDS) as smtp:
        smtp.sendmail("ann.smith@example.com", [INBOX], raw(1, "x-foo", b"Caf\xe9 \x93bin\x94"))
        smtp.sendmail("ann.smith@example.com", [INBOX], raw(2, "x-foo", "Café".encode()))
        # UTF-7 can spell a lone surrogate, which no database stores.
        smtp.sendmail("ann.smith@example.com", [INBOX], raw(3, "utf-7", b"Bin +2AA-missed"))
    bodies = [message.body for message in InboundMessage.objects.order_by("message_id")]
    assert bodies == ["Café \u201cbin\u201d", "Café", "Bin missed"]


@pytest.mark.django_db
def test_status_changes_reach_a_customer_who_prefers_texts_by_text(council, missed_bin, actor):
    customer = factories.CustomerFactory(organisation=council, preferred_channel="sms")
    customer_add_contact_detail(customer=customer, kind="phone", value="07700 900321", actor=actor)
    opened = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={"bin": "Recycling"},
            customer=customer,
        ),
        actor=actor,
    )
    case_transition(case=opened, to_status=CaseStatus.IN_PROGRESS, actor=actor)
    update = OutboxMessage.objects.get(template="case_status_changed")
    assert update.channel == MessageChannel.SMS
    assert update.recipient == "07700 900321"
    assert opened.reference in update.body


@pytest.mark.django_db
def test_a_text_answering_our_update_threads_onto_that_case_while_it_is_open(
    client, settings, text_number, council, missed_bin, actor
):
    settings.NOTIFY_CALLBACK_TOKEN = "callback-secret"
    customer = factories.CustomerFactory(organisation=council, preferred_channel="sms")
    customer_add_contact_detail(customer=customer, kind="phone", value="07700 900123", actor=actor)
    opened = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={"bin": "Recycling"},
            customer=customer,
        ),
        actor=actor,
    )
    opened = case_transition(case=opened, to_status=CaseStatus.IN_PROGRESS, actor=actor)
    reply = received_text(client, "callback-secret", id="n-1", message="Thanks, still not taken")
    assert reply.json()["outcome"] == MessageOutcome.THREADED
    assert InboundMessage.objects.get(message_id="n-1").case_id == opened.pk
    assert CaseNote.objects.filter(case=opened, body__contains="still not taken").exists()
    stranger = received_text(
        client, "callback-secret", id="n-2", source_number="447700900777", message="Hello?"
    )
    assert stranger.json()["outcome"] != MessageOutcome.THREADED
    case_transition(case=opened, to_status=CaseStatus.CLOSED, actor=actor)
    late = received_text(client, "callback-secret", id="n-3", message="Is it done?")
    assert late.json()["outcome"] != MessageOutcome.THREADED
    assert not CaseNote.objects.filter(case=opened, body__contains="Is it done").exists()


@pytest.mark.django_db
def test_a_text_answering_how_did_we_do_is_the_cases_rating(
    client, settings, text_number, council, missed_bin, actor
):
    from civicdesk.feedback.models import ContactRating
    from civicdesk.feedback.services import rating_invitations_send

    settings.NOTIFY_CALLBACK_TOKEN = "callback-secret"
    customer = factories.CustomerFactory(organisation=council, preferred_channel="sms")
    customer_add_contact_detail(customer=customer, kind="phone", value="07700 900123", actor=actor)
    opened = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={"bin": "Recycling"},
            customer=customer,
        ),
        actor=actor,
    )
    # "1" answering something other than the question is not a rating.
    not_asked = received_text(client, "callback-secret", id="r-0", message="1")
    assert not_asked.json()["outcome"] != MessageOutcome.RATED
    case_transition(case=opened, to_status=CaseStatus.RESOLVED, actor=actor, note="Collected")
    assert rating_invitations_send() == 1
    invitation = OutboxMessage.objects.get(template="case_rating_invitation")
    assert "Reply 1 for good, 2 for average or 3 for poor" in invitation.body
    reply = received_text(
        client, "callback-secret", id="r-1", message="3 - took a week, ring 07700 900123"
    )
    assert reply.json()["outcome"] == MessageOutcome.RATED
    rating = ContactRating.objects.get(case=opened)
    assert (rating.rating, rating.source) == ("poor", "sms_reply")
    assert rating.comment == "took a week, ring [removed]"
    # A second answer is not a second rating.
    again = received_text(client, "callback-secret", id="r-2", message="1")
    assert again.json()["outcome"] != MessageOutcome.RATED
    assert ContactRating.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_staff_open_a_case_from_the_triage_queue_with_the_held_attachment(
    smtp_server, inbox, council, missed_bin, officer
):
    message = email(
        "Hello", "Nobody came for the green bin on Friday.", message_id="<t@example.com>"
    )
    message.add_attachment(PNG, maintype="image", subtype="png", filename="bin.png")
    # Clearly a missed bin, but which bin is a question only a person can ask.
    send(smtp_server, message)
    [waiting] = triage_queue(staff=officer)
    assert waiting.suggested_service == missed_bin
    found = access_inbound_message(staff=officer, message_id=waiting.pk)
    staff = Actor.for_user(officer.user)
    case = triage_open_case(
        message=found, request_type_key="missed-bin", answers={"bin": "Garden waste"}, actor=staff
    )
    assert case.channel == "email"
    assert case.attachments.get().original_name == "bin.png"
    assert case.contacts.get().pk == found.contact_id
    assert OutboxMessage.objects.filter(case=case, template="case_acknowledgement").exists()
    assert list(triage_queue(staff=officer)) == []
    with pytest.raises(TransitionNotAllowed):
        triage_close(message=found, actor=staff, note="Done")
    with pytest.raises(NotFound):
        access_inbound_message(staff=factories.StaffFactory(), message_id=found.pk)


@pytest.mark.django_db
def test_the_automatic_replies_read_at_age_nine(inbox):
    for key in ("message_received", "email_added_to_case"):
        _, body, sms = render(
            key,
            {
                "council": inbox.organisation.name,
                "reference": "K7RM-4XQD",
                "expectation": reply_promise(inbox),
            },
        )
        assert readability(body).reading_age <= 9, key
        assert len(sms) <= 160, key


def test_an_html_only_email_is_read_as_text():
    message = EmailMessage()
    message["From"] = "Ann <ann@example.com>"
    message["Subject"] = "Fly-tipping"
    message.set_content("<p>Bags &amp; a sofa <b>by the gate</b></p>", subtype="html")
    parsed = email_parse(message.as_bytes())
    assert " ".join(parsed.body.split()) == "Bags & a sofa by the gate"
    assert parsed.automatic == ""
    assert parsed.message_id.startswith("sha256:")


@pytest.mark.django_db
def test_a_message_that_cannot_be_handled_automatically_waits_for_a_person(inbox, monkeypatch):
    def refuse(**kwargs: object) -> None:
        raise DomainError("The catalogue is being changed.")

    monkeypatch.setattr("civicdesk.channels.services.classify_message", refuse)
    parsed = email_parse(email("Hello", "Is anyone there?").as_bytes())
    stored = inbound_email_receive(parsed=parsed, recipients=[INBOX])
    assert stored.outcome == MessageOutcome.TRIAGE
    assert stored.note == "Not handled automatically: The catalogue is being changed."
    assert stored.customer is None
    assert not Customer.objects.exists()


def test_a_very_long_sender_address_is_cut_to_what_is_stored():
    message = email("Hello", "Hi", sender=("a" * 60 + ".") * 5 + "@example.com", name="")
    assert len(email_parse(message.as_bytes()).sender) == 254


@pytest.mark.django_db(transaction=True)
def test_notify_reaches_the_received_text_callback_over_real_http(
    live_server, settings, text_number, case
):
    """The callback as Notify calls it: a JSON POST over HTTP with its bearer token, to the
    running server, twice (Notify retries), stored once."""
    import requests

    settings.NOTIFY_CALLBACK_TOKEN = "callback-secret"
    payload = {
        "id": "notify-live-1",
        "source_number": "447700900123",
        "destination_number": "07700900999",
        "message": f"Any news on {case.reference}?",
        "date_received": "2026-11-23T10:00:00.000000Z",
    }

    def post(token: str) -> tuple[int, dict]:
        response = requests.post(
            f"{live_server.url}/channels/notify/received-text",
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        return response.status_code, response.json()

    assert post("wrong") == (401, {"code": "not_authorised", "message": "Bad callback token."})
    for _ in range(2):
        status, answer = post("callback-secret")
        assert (status, answer["outcome"]) == (200, MessageOutcome.THREADED)
    assert InboundMessage.objects.filter(message_id="notify-live-1").count() == 1
