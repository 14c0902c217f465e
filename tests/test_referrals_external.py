"""Referrals to an organisation on another system: the council refers a case to a county that
runs another product; it goes out as an Open311 request (or a signed webhook) through the
worker, and the county's status comes back by polling its Open311 requests feed. Tested against
a real Open311 server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicdesk.core.models import AuditEvent
from civicdesk.notifications.models import OutboxMessage
from civicdesk.referrals.choices import DispatchStatus, ReferralStatus
from civicdesk.referrals.external import external_dispatches_run
from civicdesk.referrals.models import ExternalOrganisation, Referral, ReferralDispatch
from civicdesk.referrals.polling import external_referrals_poll

from .referral_support import PRIVATE_ANSWER, referral_world

pytestmark = pytest.mark.django_db


class Open311Server:
    """A county's Open311 endpoint: takes POST requests.json, answers GET requests.json with
    the status set in ``statuses``; ``refuse`` makes it answer 503 to everything."""

    def __init__(self) -> None:
        self.posted: list[tuple[Message, bytes]] = []
        self.asked: list[dict[str, list[str]]] = []
        self.statuses: dict[str, tuple[str, str]] = {}
        self.refuse = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if server.refuse:
                    self._answer(503, [{"code": 503, "description": "Down for maintenance"}])
                    return
                server.posted.append((self.headers, body))
                if self.path.endswith("/requests.json"):
                    number = f"SCC-{len(server.posted)}"
                    server.statuses[number] = ("open", "")
                    self._answer(200, [{"service_request_id": number}])
                else:
                    self._answer(200, {"reference": "HOOK-1"})

            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                server.asked.append(query)
                wanted = query.get("service_request_id", [""])[0].split(",")
                self._answer(
                    200,
                    [
                        {
                            "service_request_id": number,
                            "status": server.statuses[number][0],
                            "status_notes": server.statuses[number][1],
                            "updated_datetime": server.updated_datetime,
                        }
                        for number in wanted
                        if number in server.statuses
                    ],
                )

            def log_message(self, *args: object) -> None:
                pass

        self.updated_datetime = "2026-12-08T09:30:00+00:00"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/open311/v2/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def county():
    found = Open311Server()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def world():
    return referral_world()


@pytest.fixture
def elsewhere(county):
    return ExternalOrganisation.objects.create(
        name="Shire County Council",
        endpoint_kind="open311",
        endpoint_url=county.base,
        service_code="ADULT_CARE",
        jurisdiction_id="shire.gov.uk",
        api_key="county-key",
    )


def refer(client, world, destination, **overrides):
    data = {
        "team": f"external-{destination.pk}",
        "reason": "Please assess for a stair rail.",
        "description": "Struggling with the stairs since a fall.",
        "answers": ["need"],
        "contact_sharing": "not_shared",
        **overrides,
    }
    return client.post(f"/staff/cases/{world.case.reference}/refer/", data)


def residents_messages():
    return list(OutboxMessage.objects.filter(template="referral_accepted"))


def test_an_open311_referral_goes_out_and_its_status_comes_back(
    staff_client, world, county, elsewhere
):
    council = staff_client(world.adviser)
    form = council.get(f"/staff/cases/{world.case.reference}/refer/").content.decode()
    assert "Shire County Council (on another system)" in form

    sent = refer(council, world, elsewhere)
    referral = Referral.objects.get()
    assert sent["Location"] == f"/staff/referrals/{referral.pk}/"
    assert referral.to_external == elsewhere and referral.to_organisation is None
    assert referral.dispatch.status == DispatchStatus.QUEUED
    page = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "Waiting to be delivered to their system" in page

    assert external_dispatches_run() == 1
    [(_headers, body)] = county.posted
    form_sent = urllib.parse.parse_qs(body.decode())
    assert form_sent["service_code"] == ["ADULT_CARE"]
    assert form_sent["api_key"] == ["county-key"]
    assert form_sent["jurisdiction_id"] == ["shire.gov.uk"]
    assert "Please assess for a stair rail." in form_sent["description"][0]
    assert PRIVATE_ANSWER not in form_sent["description"][0]
    # No consent, so no name or contact details leave the council.
    assert not {"first_name", "last_name", "email", "phone"} & set(form_sent)
    referral.refresh_from_db()
    assert referral.external_reference == "SCC-1"
    assert referral.status == ReferralStatus.SENT
    page = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "Delivered to their system" in page and "SCC-1" in page
    # Nothing more to send.
    assert external_dispatches_run() == 0

    # Their system has it open: the referral is accepted and the resident told, once.
    assert external_referrals_poll() == 1
    assert county.asked[0]["service_request_id"] == ["SCC-1"]
    assert county.asked[0]["jurisdiction_id"] == ["shire.gov.uk"]
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    [told] = residents_messages()
    assert told.organisation == world.council and "Shire County Council" in told.body
    assert "SCC-1" in told.body
    assert external_referrals_poll() == 0

    county.statuses["SCC-1"] = ("action_scheduled", "Visit booked")
    assert external_referrals_poll() == 1
    county.statuses["SCC-1"] = ("closed", "Rail fitted")
    assert external_referrals_poll() == 1
    referral.refresh_from_db()
    assert referral.external_resolved_at is not None
    assert len(residents_messages()) == 1
    # Finished: it is not asked about again.
    asked = len(county.asked)
    external_referrals_poll()
    assert len(county.asked) == asked

    outcome = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "SCC-1" in outcome and "Closed" in outcome and "Not yet" not in outcome
    case_page = council.get(f"/staff/cases/{world.case.reference}/").content.decode()
    assert "Shire County Council" in case_page and "SCC-1" in case_page
    assert list(
        AuditEvent.objects.filter(subject_type="referral")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["sent", "accepted", "external_status", "external_status"]


def test_a_time_without_its_offset_is_read_as_utc_and_polling_carries_on(
    staff_client, world, county, elsewhere
):
    # GeoReport servers often leave the offset off; the poll must still compare it with the
    # time it stored last time, and go on to the next referral.
    county.updated_datetime = "2026-12-08T09:30:00"
    refer(staff_client(world.adviser), world, elsewhere)
    external_dispatches_run()
    assert external_referrals_poll() == 1
    county.statuses["SCC-1"] = ("action_scheduled", "Visit booked")
    assert external_referrals_poll() == 1
    referral = Referral.objects.get()
    assert referral.external_status == "action_scheduled"
    assert referral.external_updated_at == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def test_details_go_with_consent_and_not_their_reply_is_a_decline(
    staff_client, world, county, elsewhere
):
    council = staff_client(world.adviser)
    refer(council, world, elsewhere, contact_sharing="consent")
    external_dispatches_run()
    form_sent = urllib.parse.parse_qs(county.posted[0][1].decode())
    assert form_sent["first_name"] == ["Ada"]
    assert form_sent["email"] == ["ada.lovelock@example.com"]

    county.statuses["SCC-1"] = ("not_councils_responsibility", "Districts do rails")
    assert external_referrals_poll() == 1
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == "not_ours"
    assert residents_messages() == []
    page = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "Districts do rails" in page


def test_an_unreachable_receiver_is_tried_again_and_the_sender_sees_why(
    staff_client, world, county, elsewhere
):
    council = staff_client(world.adviser)
    county.refuse = True
    refer(council, world, elsewhere)
    assert external_dispatches_run() == 0
    dispatch = ReferralDispatch.objects.get()
    assert dispatch.status == DispatchStatus.QUEUED and dispatch.attempts == 1
    assert "503" in dispatch.last_error
    page = council.get(f"/staff/referrals/{dispatch.referral_id}/").content.decode()
    assert "tried 1 time" in page

    county.refuse = False
    ReferralDispatch.objects.update(next_attempt_at=dispatch.created_at)
    assert external_dispatches_run() == 1
    assert Referral.objects.get().external_reference == "SCC-1"


def test_a_webhook_referral_is_signed_with_the_receivers_secret(staff_client, world, county):
    destination = ExternalOrganisation.objects.create(
        name="Valley Housing",
        endpoint_kind="webhook",
        endpoint_url=county.base.replace("/open311/v2/", "/referrals"),
        signing_secret="shared-secret",
    )
    refer(staff_client(world.adviser), world, destination)
    assert external_dispatches_run() == 1
    [(headers, body)] = county.posted
    timestamp, signature = (
        part.split("=", 1)[1] for part in headers["CivicDesk-Signature"].split(",")
    )
    expected = hmac.new(b"shared-secret", f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(signature, expected.hexdigest())
    payload = json.loads(body)
    assert payload["type"] == "referral.sent" and payload["referral"]["contact"] is None
    assert Referral.objects.get().external_reference == "HOOK-1"


def test_only_the_senders_organisation_sees_it(staff_client, world, county, elsewhere):
    refer(staff_client(world.adviser), world, elsewhere)
    referral = Referral.objects.get()
    for outsider in (world.trust_officer, world.trust_manager):
        client = staff_client(outsider)
        assert client.get(f"/staff/referrals/{referral.pk}/").status_code == 404
        assert "Shire County Council" not in client.get("/staff/referrals/").content.decode()


def test_documents_are_not_sent_to_another_system(staff_client, world, elsewhere):
    answer = refer(
        staff_client(world.adviser), world, elsewhere, documents=[str(world.document.pk)]
    )
    assert answer.status_code == 400
    assert "Documents cannot be sent to Shire County Council" in answer.content.decode()
    assert not Referral.objects.exists()
