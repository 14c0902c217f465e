"""Webhooks to a receiver on loopback: signed, at least once, retried, failures visible."""

from __future__ import annotations

import hashlib
import hmac
import json
import socketserver
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import CaseRequest, case_assign, case_open, case_transition
from civicdesk.cases.models import Case
from civicdesk.core.audit import audit_record
from civicdesk.core.models import AuditEvent
from civicdesk.integrations.choices import DeliveryStatus
from civicdesk.integrations.models import WebhookDelivery
from civicdesk.integrations.selectors import webhook_failures
from civicdesk.integrations.webhooks import (
    webhook_send,
    webhook_subscribe,
    webhooks_claim,
    webhooks_run,
)

from . import factories

pytestmark = pytest.mark.django_db


class Receiver:
    """A back-office system's endpoint: records what it is sent and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


class NotHttpReceiver:
    """An endpoint that reads the request and answers with ``answer``, which is not HTTP."""

    def __init__(self, answer: bytes) -> None:
        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                length = 0
                while (line := self.rfile.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                self.rfile.read(length)
                self.wfile.write(answer)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def two_attempts(settings) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2


def open_case(council, actor):
    return case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin", channel="phone", answers={"bin": "Recycling"}
        ),
        actor=actor,
    )


def test_case_events_are_delivered_signed_to_subscribers(council, missed_bin, actor, receiver):
    subscription = webhook_subscribe(
        organisation=council,
        name="Waste rounds",
        url=receiver.url,
        events=["case.created", "case.assigned", "case.closed"],
    )
    case = open_case(council, actor)
    case = case_assign(case=case, team=missed_bin.service_area.team, actor=actor)
    case_transition(case=case, to_status=CaseStatus.CLOSED, actor=actor)
    assert webhooks_run() == 3
    events = [json.loads(body)["type"] for _, body in receiver.received]
    assert events == ["case.created", "case.assigned", "case.closed"]
    headers, body = receiver.received[0]
    timestamp, signature = (
        part.split("=", 1)[1] for part in headers["Civicdesk-Signature"].split(",")
    )
    expected = hmac.new(
        subscription.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)
    payload = json.loads(body)
    assert payload["case"]["reference"] == case.reference
    assert "customer" not in payload["case"]
    # Nothing new: the cursor has moved past every event, so nothing is sent twice.
    assert webhooks_run() == 0
    assert len(receiver.received) == 3


def test_cases_of_sensitive_services_are_never_sent(council, missed_bin, actor, receiver):
    factories.RequestTypeFactory(organisation=council, key="homeless", sensitive=True)
    webhook_subscribe(
        organisation=council, name="Everything", url=receiver.url, events=["case.created"]
    )
    case_open(
        organisation=council,
        request=CaseRequest(request_type_key="homeless", channel="phone"),
        actor=actor,
    )
    seen = open_case(council, actor)
    assert webhooks_run() == 1
    assert [json.loads(body)["case"]["reference"] for _, body in receiver.received] == [
        seen.reference
    ]


def test_other_councils_events_and_unsubscribed_kinds_are_not_sent(
    council, missed_bin, actor, receiver
):
    elsewhere = factories.OrganisationFactory()
    webhook_subscribe(
        organisation=elsewhere, name="Other", url=receiver.url, events=["case.created"]
    )
    webhook_subscribe(
        organisation=council, name="Closures", url=receiver.url, events=["case.closed"]
    )
    open_case(council, actor)
    assert not WebhookDelivery.objects.exists()
    assert webhooks_run() == 0
    assert receiver.received == []


def test_a_failing_receiver_is_retried_with_backoff_then_shown_as_failed(
    council, missed_bin, actor, receiver, officer
):
    receiver.status = 500
    webhook_subscribe(
        organisation=council, name="Rounds", url=receiver.url, events=["case.created"]
    )
    open_case(council, actor)
    assert webhooks_run() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert webhooks_claim() == []
    later = timezone.now() + timedelta(hours=1)
    claimed = webhooks_claim(now=later)
    assert [d.pk for d in claimed] == [delivery.pk]
    assert webhook_send(claimed[0]) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "Gave up after 2 attempts" in delivery.last_error
    assert delivery.response_status == 500
    assert list(webhook_failures(organisation_id=officer.organisation_id)) == [delivery]


def test_a_delivery_whose_worker_died_is_sent_again(council, missed_bin, actor, receiver):
    webhook_subscribe(
        organisation=council, name="Rounds", url=receiver.url, events=["case.created"]
    )
    open_case(council, actor)
    assert len(webhooks_claim()) == 1
    # The worker died holding the lease: nothing was sent. Once the lease runs out, another
    # pass claims it and delivers it.
    assert webhooks_claim() == []
    later = timezone.now() + timedelta(minutes=5)
    [delivery] = webhooks_claim(now=later)
    assert webhook_send(delivery) is True
    assert len(receiver.received) == 1


def test_a_first_subscriber_hears_about_events_from_when_it_subscribed(
    council, missed_bin, actor, receiver
):
    open_case(council, actor)
    assert webhooks_run() == 0
    assert not WebhookDelivery.objects.exists()
    webhook_subscribe(
        organisation=council, name="Rounds", url=receiver.url, events=["case.created"]
    )
    later = open_case(council, actor)
    assert webhooks_run() == 1
    assert json.loads(receiver.received[0][1])["case"]["reference"] == later.reference


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (b"NOT HTTP\r\n\r\n", "BadStatusLine"),
        (b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 70_000 + b"\r\n\r\n", "LineTooLong"),
    ],
)
def test_an_answer_that_is_not_http_is_a_failed_attempt_retried_then_shown_as_failed(
    council, missed_bin, actor, officer, answer, problem
):
    garbage = NotHttpReceiver(answer)
    try:
        webhook_subscribe(
            organisation=council, name="Rounds", url=garbage.url, events=["case.created"]
        )
        open_case(council, actor)
        assert webhooks_run() == 0
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.QUEUED
        assert delivery.attempts == 1
        assert delivery.lease_token == ""
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)
        assert delivery.last_error == f"The receiver's answer was not valid HTTP ({problem})."
        # Not claimed again at the lease's expiry: it waits for its backoff.
        assert webhooks_claim(now=timezone.now() + timedelta(seconds=20)) == []
        [claimed] = webhooks_claim(now=timezone.now() + timedelta(hours=1))
        assert webhook_send(claimed) is False
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.last_error.startswith("Gave up after 2 attempts. The receiver's answer")
        assert delivery.response_status is None
        assert list(webhook_failures(organisation_id=officer.organisation_id)) == [delivery]
    finally:
        garbage.close()


def test_an_unexpected_error_sending_is_a_failed_attempt_not_one_left_sending(
    council, missed_bin, actor
):
    # A host name with a label longer than 63 characters cannot be encoded (UnicodeError, not
    # an OSError), so nothing is looked up or sent.
    webhook_subscribe(
        organisation=council,
        name="Rounds",
        url=f"http://{'a' * 64}.invalid/hooks",
        events=["case.created"],
    )
    open_case(council, actor)
    assert webhooks_run() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert delivery.last_error == "Could not send to the receiver (UnicodeError)."


class Abandoned(Exception):
    pass


def test_deliveries_are_stored_with_the_change_or_not_at_all(council, missed_bin, actor, receiver):
    webhook_subscribe(
        organisation=council, name="Rounds", url=receiver.url, events=["case.created"]
    )
    with pytest.raises(Abandoned), transaction.atomic():
        case = open_case(council, actor)
        # Written by the change's own transaction, before it commits...
        assert WebhookDelivery.objects.filter(case=case, event="case.created").count() == 1
        raise Abandoned
    # ...so a change that rolls back leaves nothing to send.
    assert not WebhookDelivery.objects.exists()
    assert webhooks_run() == 0
    assert receiver.received == []


def test_an_entry_committed_below_entries_already_delivered_is_still_delivered(
    council, missed_bin, actor, receiver
):
    webhook_subscribe(
        organisation=council,
        name="Rounds",
        url=receiver.url,
        events=["case.created", "case.closed"],
    )
    slow = open_case(council, actor)
    # A long transaction inserts its audit entry, taking an id, and stays open...
    taken = audit_record(
        organisation=council,
        subject_type="reserved",
        subject_id=slow.pk,
        action="taken",
        actor=actor,
    )
    # ...while a later change commits and is delivered.
    quick = open_case(council, actor)
    assert webhooks_run() == 2
    # Then the long transaction commits: its entry appears below ones already delivered.
    taken_id = taken.pk
    taken.delete()
    with transaction.atomic():
        AuditEvent.objects.create(
            id=taken_id,
            organisation=council,
            subject_type="case",
            subject_id=slow.pk,
            action="status_changed",
            actor_label=actor.label,
            before={"status": CaseStatus.NEW},
            after={"status": CaseStatus.CLOSED},
            at=timezone.now(),
        )
    assert taken_id < AuditEvent.objects.get(subject_id=quick.pk, action="opened").pk
    assert webhooks_run() == 1
    late = json.loads(receiver.received[-1][1])
    assert (late["id"], late["type"]) == (f"audit-{taken_id}", "case.closed")
    assert late["case"]["reference"] == slow.reference


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_later_one_was_delivered_is_still_delivered(
    council, missed_bin, actor, receiver
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time, so changes commit in the order of their ids")
    webhook_subscribe(
        organisation=council, name="Rounds", url=receiver.url, events=["case.created"]
    )
    inserted, release = threading.Event(), threading.Event()
    slow: list[Case] = []

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                slow.append(open_case(council, actor))
                inserted.set()
                assert release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    try:
        assert inserted.wait(10)
        # The slow change's audit entry took the lower id, but is not committed yet.
        quick = open_case(council, actor)
        assert webhooks_run() == 1
    finally:
        release.set()
        thread.join(10)
    [late] = slow
    opened = dict(AuditEvent.objects.filter(action="opened").values_list("subject_id", "pk"))
    assert opened[late.pk] < opened[quick.pk]
    assert webhooks_run() == 1
    assert [json.loads(body)["case"]["reference"] for _, body in receiver.received] == [
        quick.reference,
        late.reference,
    ]
