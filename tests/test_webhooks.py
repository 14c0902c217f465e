"""Webhooks to a receiver on loopback: signed, at least once, retried, failures visible."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from civicdesk.cases.models import CaseStatus
from civicdesk.cases.services import CaseRequest, case_assign, case_open, case_transition
from civicdesk.integrations.models import DeliveryStatus, WebhookDelivery
from civicdesk.integrations.selectors import webhook_failures
from civicdesk.integrations.webhooks import (
    webhook_send,
    webhook_subscribe,
    webhooks_claim,
    webhooks_dispatch,
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


@pytest.fixture(autouse=True)
def no_settle_time(settings) -> None:
    settings.WEBHOOK_SETTLE_SECONDS = 0
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
    assert webhooks_dispatch() == 0
    assert not WebhookDelivery.objects.exists()


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
    webhooks_dispatch()
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
    assert webhooks_dispatch() == 0
    webhook_subscribe(
        organisation=council, name="Rounds", url=receiver.url, events=["case.created"]
    )
    later = open_case(council, actor)
    assert webhooks_run() == 1
    assert json.loads(receiver.received[0][1])["case"]["reference"] == later.reference
