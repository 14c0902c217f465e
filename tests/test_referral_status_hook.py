"""Status back from an organisation that takes referrals by webhook (ADR 49): its system posts
each change, signed with the shared secret, to /hooks/referrals/<its public id>/status, and the
sender follows it as it follows an Open311 receiver. Through HTTP: the hook with the test
client, and once end to end with the receiver's system on loopback."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from civicdesk.core.models import AuditEvent
from civicdesk.notifications.models import OutboxMessage
from civicdesk.referrals.choices import DispatchStatus, ReferralStatus
from civicdesk.referrals.external import external_dispatches_run
from civicdesk.referrals.models import ExternalOrganisation, Referral

from . import factories
from .conftest import sign_in_with_both_factors
from .referral_support import referral_world

pytestmark = pytest.mark.django_db

SECRET = "valley-housing-shared-secret"
OTHER_SECRET = "moorland-trust-shared-secret"
NOW = datetime.now(UTC)


class ReceiverSystem:
    """A housing association's system on loopback: takes our signed referral and answers 202
    without a reference (it gives one when it decides)."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        system = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                system.received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/referrals/in"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver_system():
    found = ReceiverSystem()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def world():
    return referral_world()


def webhook_receiver(name: str, secret: str, url: str = "https://example.org/in"):
    return ExternalOrganisation.objects.create(
        name=name, endpoint_kind="webhook", endpoint_url=url, signing_secret=secret
    )


@pytest.fixture
def valley():
    return webhook_receiver("Valley Housing", SECRET)


def refer(client, world, destination) -> Referral:
    answer = client.post(
        f"/staff/cases/{world.case.reference}/refer/",
        {
            "team": f"external-{destination.pk}",
            "reason": "Please fit a stair rail in their flat.",
            "description": "Struggling with the stairs since a fall.",
            "answers": ["need"],
            "contact_sharing": "not_shared",
        },
    )
    assert answer.status_code == 302
    return Referral.objects.get(to_external=destination)


def sign(body: bytes, secret: str, at: float) -> str:
    timestamp = int(at)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post_update(
    client,
    receiver,
    body: object,
    *,
    secret: str = SECRET,
    signed_at: float | None = None,
    raw: bytes | None = None,
):
    data = raw if raw is not None else json.dumps(body).encode()
    return client.post(
        f"/hooks/referrals/{receiver.public_id}/status",
        data,
        content_type="application/json",
        headers={"CivicDesk-Signature": sign(data, secret, signed_at or time.time())},
    )


def update(referral: Referral, status: str, minutes_ago: int = 0, **more: str) -> dict:
    return {
        "referral": f"referral-{referral.pk}",
        "status": status,
        "updated_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        **more,
    }


def residents_messages():
    return list(OutboxMessage.objects.filter(template="referral_accepted"))


def referral_audit():
    return list(
        AuditEvent.objects.filter(subject_type="referral")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_a_webhook_referral_goes_out_and_its_outcome_comes_back_through_the_hook(
    client, staff_client, world, receiver_system
):
    valley = webhook_receiver("Valley Housing", SECRET, url=receiver_system.url)
    council = staff_client(world.adviser)
    referral = refer(council, world, valley)
    assert external_dispatches_run() == 1
    [sent] = receiver_system.received
    # The receiver names the referral back with the id it was sent with.
    assert json.loads(sent)["id"] == f"referral-{referral.pk}"
    referral.refresh_from_db()
    assert referral.dispatch.status == DispatchStatus.DELIVERED
    assert referral.external_reference == ""

    accepted = post_update(
        client, valley, update(referral, "accepted", minutes_ago=30, reference="VH-2041")
    )
    assert accepted.status_code == 200
    assert accepted.json() == {
        "referral": f"referral-{referral.pk}",
        "status": "accepted",
        "changed": True,
    }
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.external_reference == "VH-2041"
    # The resident hears once, from the council, with the receiver's reference.
    [told] = residents_messages()
    assert told.organisation == world.council
    assert "Valley Housing" in told.body and "VH-2041" in told.body
    page = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "VH-2041" in page and "Accepted" in page and "Not yet" in page

    resolved = post_update(
        client, valley, update(referral, "resolved", note="Rail fitted on 8 December.")
    )
    assert resolved.status_code == 200 and resolved.json()["changed"] is True
    referral.refresh_from_db()
    assert referral.external_resolved_at == NOW
    page = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "Resolved" in page and "Not yet" not in page
    # The sender never reads the receiver's notes, as for Open311.
    assert "Rail fitted" not in page
    case_page = council.get(f"/staff/cases/{world.case.reference}/").content.decode()
    assert "Valley Housing" in case_page and "VH-2041" in case_page
    assert len(residents_messages()) == 1
    assert referral_audit() == ["sent", "accepted", "external_status"]

    manager = staff_client(factories.StaffFactory(organisation=world.council, role="manager"))
    figures = manager.get("/staff/insight/referrals/").content.decode()
    assert "Valley Housing" in figures and "100%" in figures


def test_the_same_update_twice_changes_nothing_the_second_time(client, staff_client, world, valley):
    referral = refer(staff_client(world.adviser), world, valley)
    first = post_update(client, valley, update(referral, "accepted", reference="VH-1"))
    again = post_update(client, valley, update(referral, "accepted", reference="VH-1"))
    assert first.json()["changed"] is True
    assert again.status_code == 200 and again.json() == {
        "referral": f"referral-{referral.pk}",
        "status": "accepted",
        "changed": False,
    }
    assert len(residents_messages()) == 1
    assert referral_audit() == ["sent", "accepted"]


def test_an_older_update_after_a_newer_one_does_not_step_back(client, staff_client, world, valley):
    referral = refer(staff_client(world.adviser), world, valley)
    post_update(client, valley, update(referral, "accepted", minutes_ago=60, reference="VH-1"))
    post_update(client, valley, update(referral, "closed", minutes_ago=10))
    late = post_update(client, valley, update(referral, "accepted", minutes_ago=30))
    assert late.status_code == 200 and late.json()["changed"] is False
    referral.refresh_from_db()
    assert referral.external_status == "closed"
    assert referral.external_resolved_at is not None
    # A decline older than their acceptance is as stale: nothing changes, no refusal.
    stale_decline = post_update(
        client, valley, update(referral, "declined", minutes_ago=90, reason="not_ours")
    )
    assert stale_decline.status_code == 200 and stale_decline.json()["changed"] is False
    assert Referral.objects.get().status == ReferralStatus.ACCEPTED


def test_an_update_stamped_with_the_same_time_cannot_undo_a_finish(
    client, staff_client, world, valley
):
    referral = refer(staff_client(world.adviser), world, valley)
    post_update(client, valley, update(referral, "accepted", minutes_ago=10, reference="VH-1"))
    post_update(client, valley, update(referral, "resolved", minutes_ago=5))
    # Their batch job stamped both with the same time, and the acceptance came in last.
    replayed = post_update(client, valley, update(referral, "accepted", minutes_ago=5))
    assert replayed.status_code == 200 and replayed.json()["changed"] is False
    referral.refresh_from_db()
    assert referral.external_status == "resolved"
    assert referral.external_resolved_at is not None


def test_only_json_is_read_and_every_refusal_is_json(client, staff_client, world, valley):
    referral = refer(staff_client(world.adviser), world, valley)
    address = f"/hooks/referrals/{valley.public_id}/status"
    as_form = client.post(address, {"referral": f"referral-{referral.pk}", "status": "accepted"})
    assert as_form.status_code == 415 and as_form.json()["code"] == "not_json"
    with_file = client.post(address, {"file": io.BytesIO(b"{}")})  # multipart
    assert with_file.status_code == 415 and with_file.json()["code"] == "not_json"
    odd_length = client.post(
        address, b"{}", content_type="application/json", headers={"Content-Length": "lots"}
    )
    assert odd_length.status_code == 400 and odd_length.json()["code"] == "bad_length"
    got = client.get(address)
    assert got.status_code == 405 and got["Allow"] == "POST"
    assert got.json()["code"] == "method_not_allowed"
    assert Referral.objects.get().status == ReferralStatus.SENT


def test_a_decline_names_its_reason_and_the_request_stays_with_the_sender(
    client, staff_client, world, valley
):
    council = staff_client(world.adviser)
    referral = refer(council, world, valley)
    answer = post_update(
        client,
        valley,
        update(referral, "declined", reason="out_of_area", note="Telford is not in our patch."),
    )
    assert answer.status_code == 200 and answer.json()["status"] == "declined"
    referral.refresh_from_db()
    assert referral.decline_reason == "out_of_area"
    assert residents_messages() == []
    page = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "It is outside the area we cover" in page and "Telford is not in our patch." in page
    case_page = council.get(f"/staff/cases/{world.case.reference}/").content.decode()
    assert "Valley Housing declined the referral" in case_page


def test_a_decision_cannot_be_undone_from_outside(client, staff_client, world, valley):
    council = staff_client(world.adviser)
    referral = refer(council, world, valley)
    post_update(client, valley, update(referral, "accepted", minutes_ago=20))
    undo = post_update(client, valley, update(referral, "declined", reason="not_ours"))
    assert undo.status_code == 409 and undo.json()["code"] == "referral_closed"
    assert Referral.objects.get().status == ReferralStatus.ACCEPTED

    moorland = webhook_receiver("Moorland Trust", OTHER_SECRET)
    declined = refer(council, world, moorland)
    post_update(
        client,
        moorland,
        update(declined, "declined", minutes_ago=20, reason="not_eligible"),
        secret=OTHER_SECRET,
    )
    change_of_mind = post_update(
        client, moorland, update(declined, "accepted"), secret=OTHER_SECRET
    )
    assert change_of_mind.status_code == 409
    assert "refer it again" in change_of_mind.json()["message"]
    # The same decline again is nothing new, not a refusal.
    same = post_update(
        client,
        moorland,
        update(declined, "declined", minutes_ago=20, reason="not_eligible"),
        secret=OTHER_SECRET,
    )
    assert same.status_code == 200 and same.json()["changed"] is False


def test_a_withdrawn_referral_is_not_reopened(client, staff_client, world, valley):
    council = staff_client(world.adviser)
    referral = refer(council, world, valley)
    council.post(f"/staff/referrals/{referral.pk}/withdraw/")
    assert Referral.objects.get().status == ReferralStatus.WITHDRAWN
    answer = post_update(client, valley, update(referral, "accepted"))
    assert answer.status_code == 409 and "withdrew" in answer.json()["message"]
    assert Referral.objects.get().status == ReferralStatus.WITHDRAWN
    assert residents_messages() == []


def test_a_bad_or_missing_or_old_signature_is_refused(client, staff_client, world, valley):
    referral = refer(staff_client(world.adviser), world, valley)
    body = update(referral, "accepted")
    wrong_secret = post_update(client, valley, body, secret="guessed")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["code"] == "bad_signature"
    unsigned = client.post(
        f"/hooks/referrals/{valley.public_id}/status",
        json.dumps(body),
        content_type="application/json",
    )
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "bad_signature"
    # A post copied off the wire and played back six minutes later.
    replayed = post_update(client, valley, body, signed_at=time.time() - 6 * 60)
    assert replayed.status_code == 401 and replayed.json()["code"] == "signature_too_old"
    # A signature for one body does not carry another.
    data = json.dumps(body).encode()
    tampered = client.post(
        f"/hooks/referrals/{valley.public_id}/status",
        json.dumps(update(referral, "declined", reason="not_ours")),
        content_type="application/json",
        headers={"CivicDesk-Signature": sign(data, SECRET, time.time())},
    )
    assert tampered.status_code == 401
    garbled = client.post(
        f"/hooks/referrals/{valley.public_id}/status",
        data,
        content_type="application/json",
        headers={"CivicDesk-Signature": "t=²³,v1=ü"},
    )
    assert garbled.status_code == 401
    assert Referral.objects.get().status == ReferralStatus.SENT


def test_one_organisations_secret_cannot_touch_a_referral_sent_to_another(
    client, staff_client, world, valley
):
    council = staff_client(world.adviser)
    moorland = webhook_receiver("Moorland Trust", OTHER_SECRET)
    to_valley = refer(council, world, valley)
    to_moorland = refer(council, world, moorland)
    # Valley, at its own address with its own secret, naming Moorland's referral.
    not_theirs = post_update(client, valley, update(to_moorland, "accepted"))
    assert not_theirs.status_code == 404 and not_theirs.json()["code"] == "not_found"
    # Valley's secret at Moorland's address.
    borrowed = post_update(client, moorland, update(to_moorland, "accepted"))
    assert borrowed.status_code == 401
    assert Referral.objects.get(pk=to_moorland.pk).status == ReferralStatus.SENT
    assert post_update(client, valley, update(to_valley, "accepted")).status_code == 200


def test_unknown_receivers_and_referrals_are_not_found(client, staff_client, world, valley):
    referral = refer(staff_client(world.adviser), world, valley)
    unknown = post_update(client, valley, update(referral, "accepted") | {"referral": "referral-9"})
    assert unknown.status_code == 404
    huge_id = post_update(
        client, valley, update(referral, "accepted") | {"referral": "referral-999999999999999999"}
    )
    assert huge_id.status_code == 404
    for address in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        nowhere = client.post(
            f"/hooks/referrals/{address}/status", "{}", content_type="application/json"
        )
        assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"
    open311 = ExternalOrganisation.objects.create(
        name="Shire County Council",
        endpoint_kind="open311",
        endpoint_url="https://example.org/open311/v2/",
        service_code="RAILS",
        signing_secret=SECRET,
    )
    assert post_update(client, open311, update(referral, "accepted")).status_code == 404
    assert client.get(f"/hooks/referrals/{valley.public_id}/status").status_code == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"referral": None}, "referral"),
        ({"referral": "123"}, "referral"),
        ({"status": "on_hold"}, "status"),
        ({"status": "declined"}, "reason"),
        ({"status": "declined", "reason": "too busy"}, "reason"),
        ({"reference": "R" * 101}, "reference"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"updated_at": None}, "updated_at"),
        ({"updated_at": "0001-01-01T00:00:00+05:00"}, "updated_at"),
        ({"updated_at": "2999-01-01T00:00:00+00:00"}, "updated_at"),
        ({"status": 3}, "status"),
        ({"note": ["a", "list"]}, "note"),
    ],
)
def test_a_body_with_a_wrong_field_is_refused_naming_the_field(
    client, staff_client, world, valley, body, field
):
    referral = refer(staff_client(world.adviser), world, valley)
    answer = post_update(client, valley, update(referral, "accepted") | body)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "validation_failed" and list(problem["fields"]) == [field]
    assert Referral.objects.get().status == ReferralStatus.SENT


def test_a_body_that_is_not_a_json_object_is_refused(client, staff_client, world, valley):
    refer(staff_client(world.adviser), world, valley)
    not_json = post_update(client, valley, None, raw=b"status=accepted")
    assert not_json.status_code == 400 and not_json.json()["code"] == "bad_json"
    deep = post_update(client, valley, None, raw=b"[" * 20_000 + b"]" * 20_000)
    assert deep.status_code == 400
    a_list = post_update(client, valley, ["accepted"])
    assert a_list.status_code == 422
    too_big = post_update(client, valley, {"note": "x" * 70_000})
    assert too_big.status_code == 413 and too_big.json()["code"] == "too_large"


def test_nul_characters_are_dropped_and_a_long_note_is_cut(client, staff_client, world, valley):
    council = staff_client(world.adviser)
    referral = refer(council, world, valley)
    answer = post_update(
        client,
        valley,
        update(
            referral,
            "declined",
            reason="needs_more",
            reference="VH-\x0077",
            note="We need\x00 the tenancy." + " More." * 1000,
        ),
    )
    assert answer.status_code == 200
    referral.refresh_from_db()
    assert referral.external_reference == "VH-77"
    assert referral.decline_note.startswith("We need the tenancy.")
    assert len(referral.decline_note) == 2000
    assert council.get(f"/staff/referrals/{referral.pk}/").status_code == 200


def test_the_log_names_no_resident_or_note(client, staff_client, world, valley, caplog):
    referral = refer(staff_client(world.adviser), world, valley)
    with caplog.at_level(logging.DEBUG):
        post_update(
            client,
            valley,
            update(referral, "declined", reason="other", note="Ada Lovelock moved to Leeds"),
        )
        post_update(client, valley, update(referral, "accepted"), secret="guessed")
    logged = caplog.text
    assert f"Referral {referral.pk}" in logged
    assert "Lovelock" not in logged and "Leeds" not in logged and SECRET not in logged


def test_the_admin_shows_the_address_to_give_the_receiver(client, valley, django_user_model):
    sign_in_with_both_factors(client, django_user_model.objects.create_superuser("root", "", "pw"))
    page = client.get(f"/admin/referrals/externalorganisation/{valley.pk}/change/")
    assert page.status_code == 200
    assert f"/hooks/referrals/{valley.public_id}/status" in page.content.decode()
    assert SECRET not in page.content.decode()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.dictionaries(
        st.sampled_from(["referral", "status", "reason", "reference", "note", "updated_at"]),
        JSON_VALUES,
    )
)
@example(fields={"referral": "referral-1\x00", "status": "accepted\x00"})
@example(fields={"updated_at": "9999-12-31T23:59:59-23:59"})
def test_any_signed_body_gets_an_answer_never_a_server_error(client, valley, fields):
    answer = post_update(client, valley, fields)
    assert answer.status_code in (200, 404, 409, 422)
    assert "code" in answer.json() or answer.status_code == 200
