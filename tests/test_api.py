"""The REST API as a client system uses it: keys, scopes, idempotency, limits and errors."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import jsonschema_rs
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.test import Client

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Case
from civicdesk.core.audit import Actor
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import ExternalUpdate, IdempotencyRecord
from civicdesk.integrations.services import (
    api_client_create,
    api_client_revoke,
    idempotency_records_forget,
)
from civicdesk.notifications.models import OutboxMessage

from . import factories
from .sample_files import PNG

pytestmark = pytest.mark.django_db

ALL_SCOPES = [Scope.CASES_READ, Scope.CASES_CREATE, Scope.CASES_UPDATE]


@pytest.fixture
def key(council, missed_bin) -> str:
    _, key = api_client_create(organisation=council, name="Waste rounds", scopes=ALL_SCOPES)
    return key


def post(client: Client, path: str, body: dict, key: str, **headers: str):
    return client.post(
        f"/api/v1{path}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", **headers},
    )


def get(client: Client, path: str, key: str, **params: str):
    return client.get(f"/api/v1{path}", params, headers={"Authorization": f"Bearer {key}"})


NEW_CASE = {
    "service": "missed-bin",
    "description": "Bin not emptied on Tuesday",
    "answers": {"bin": "Recycling"},
    "customer": {"name": "Ann Smith", "email": "ann@example.com"},
}


def test_a_client_opens_a_case_and_the_customer_is_told_the_reference(client, key):
    response = post(client, "/cases", NEW_CASE, key)
    assert response.status_code == 201
    reference = response.json()["reference"]
    case = Case.objects.get(reference=reference)
    assert case.answers == {"bin": "Recycling"}
    assert case.contacts.count() == 1
    acknowledgement = OutboxMessage.objects.get(case=case)
    assert reference in acknowledgement.body
    assert acknowledgement.recipient == "ann@example.com"
    assert get(client, f"/cases/{reference}", key).json()["timeline"][0]["summary"] == (
        "Case opened"
    )


def test_no_key_a_wrong_key_and_a_revoked_key_are_refused_alike(client, council, key):
    other, revoked_key = api_client_create(
        organisation=council, name="Old", scopes=[Scope.CASES_READ]
    )
    api_client_revoke(client=other, actor=Actor(label="test administrator"))
    for headers in (
        {},
        {"Authorization": "Bearer cd_nothere_x"},
        {"Authorization": f"Bearer {revoked_key}"},
    ):
        response = client.get("/api/v1/cases", headers=headers)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_authorised"


def test_a_key_without_the_scope_is_refused_with_a_clear_code(client, council, missed_bin):
    _, read_only = api_client_create(organisation=council, name="Map", scopes=[Scope.CASES_READ])
    response = post(client, "/cases", NEW_CASE, read_only)
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert "cases:create" in response.json()["detail"]
    assert not Case.objects.exists()


def test_bad_answers_are_refused_per_field_and_nothing_is_stored(client, key):
    response = post(client, "/cases", {**NEW_CASE, "answers": {"bin": "Sofa"}}, key)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert "bin" in response.json()["errors"]
    assert not Case.objects.exists()
    malformed = post(client, "/cases", {"service": "missed-bin", "latitude": "north"}, key)
    assert malformed.status_code == 422
    assert malformed.json()["errors"]


def test_the_same_idempotency_key_replays_and_a_different_body_is_refused(client, key):
    first = post(client, "/cases", NEW_CASE, key, **{"Idempotency-Key": "job-1"})
    again = post(client, "/cases", NEW_CASE, key, **{"Idempotency-Key": "job-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    changed = post(
        client,
        "/cases",
        {**NEW_CASE, "description": "Different"},
        key,
        **{"Idempotency-Key": "job-1"},
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_with_one_idempotency_key_make_one_case(council, missed_bin):
    _, key = api_client_create(organisation=council, name="Rounds", scopes=ALL_SCOPES)
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    references: list[str] = []

    def send() -> None:
        try:
            barrier.wait()
            response = post(Client(), "/cases", NEW_CASE, key, **{"Idempotency-Key": "same"})
            statuses.append(response.status_code)
            references.append(response.json().get("reference", ""))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201, 201]
    assert references[0] == references[1]
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_a_key_over_its_limit_gets_429_with_retry_after(client, council, missed_bin, monkeypatch):
    # The allowance is per clock minute: hold the clock 15 seconds into one, so that a slow
    # machine's requests never straddle two minutes.
    monkeypatch.setattr(
        "civicdesk.api.problems.time", SimpleNamespace(time=lambda: 1_800_000_015.0)
    )
    api_client, key = api_client_create(organisation=council, name="Busy", scopes=ALL_SCOPES)
    type(api_client).objects.filter(pk=api_client.pk).update(requests_per_minute=2)
    assert get(client, "/cases", key).status_code == 200
    assert get(client, "/cases", key).status_code == 200
    refused = get(client, "/cases", key)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused["Retry-After"] == "45"


def test_back_office_completion_resolves_the_case_tells_the_customer_and_records_its_source(
    client, key
):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    update = {"update_id": "JOB-77/3", "status": "completed", "description": "Bin emptied."}
    response = post(client, f"/cases/{reference}/updates", update, key)
    assert response.status_code == 201
    assert response.json()["case_status"] == CaseStatus.RESOLVED
    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.RESOLVED
    record = ExternalUpdate.objects.get()
    assert record.source == "Waste rounds"
    told = OutboxMessage.objects.filter(case=case, template="case_status_changed").get()
    assert "Bin emptied." in told.body
    # The same update sent again (a retry) changes nothing.
    assert post(client, f"/cases/{reference}/updates", update, key).status_code == 201
    assert ExternalUpdate.objects.count() == 1
    assert OutboxMessage.objects.filter(case=case, template="case_status_changed").count() == 1


def test_status_notes_and_files_through_the_api(client, key):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    moved = post(client, f"/cases/{reference}/status", {"status": "in_progress"}, key)
    assert moved.json()["status"] == "in_progress"
    stale = post(
        client, f"/cases/{reference}/status", {"status": "resolved", "expected_version": 1}, key
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "edit_conflict"
    note = post(
        client, f"/cases/{reference}/notes", {"body": "Crew told", "visibility": "internal"}, key
    )
    assert note.status_code == 201
    shared = post(
        client, f"/cases/{reference}/notes", {"body": "Booked", "visibility": "public"}, key
    )
    assert shared.status_code == 201
    timeline = [
        entry["summary"] for entry in get(client, f"/cases/{reference}", key).json()["timeline"]
    ]
    assert "Booked" in timeline
    assert "Crew told" not in timeline
    photo = client.post(
        f"/api/v1/cases/{reference}/files",
        {"file": _upload("bin.png", PNG)},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert photo.status_code == 201
    assert photo.json()["content_type"] == "image/png"
    script = client.post(
        f"/api/v1/cases/{reference}/files",
        {"file": _upload("bin.png", b"#!/bin/sh\n")},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert script.status_code == 422
    assert "PDF, JPG or PNG" in script.json()["errors"]["file"]


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_lists_filter_and_never_show_sensitive_services(client, council, key):
    hidden = factories.RequestTypeFactory(organisation=council, key="homeless", sensitive=True)
    post(client, "/cases", NEW_CASE, key)
    assert post(client, "/cases", {"service": hidden.key}, key).status_code == 404
    listed = get(client, "/cases", key, status="new").json()
    assert listed["count"] == 1
    assert get(client, "/cases", key, status="closed").json()["count"] == 0
    services = [service["key"] for service in get(client, "/services", key).json()]
    assert services == ["missed-bin"]
    detail = get(client, "/services/missed-bin", key).json()
    assert detail["questions"][0]["choices"] == ["General waste", "Recycling", "Garden waste"]


def test_another_councils_key_cannot_see_the_case(client, key):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    elsewhere = factories.OrganisationFactory()
    _, other_key = api_client_create(organisation=elsewhere, name="X", scopes=ALL_SCOPES)
    response = get(client, f"/cases/{reference}", other_key)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_contacts_are_logged_against_a_case(client, key):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    response = post(
        client,
        "/contacts",
        {
            "channel": "phone",
            "reason": "progress_chasing",
            "outcome": "linked_to_case",
            "case_reference": reference,
        },
        key,
    )
    assert response.status_code == 201
    assert response.json()["is_repeat"] is True


def test_a_true_or_false_is_not_taken_for_a_number(client, key):
    contact = {"channel": "letter", "reason": "feedback", "outcome": "resolved_first_contact"}
    response = post(client, "/contacts", {**contact, "duration_seconds": False}, key)
    assert response.status_code == 422
    assert "duration_seconds" in response.content.decode()
    assert post(client, "/contacts", {**contact, "duration_seconds": 0}, key).status_code == 201
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    changed = post(
        client,
        f"/cases/{reference}/status",
        {"status": "in_progress", "expected_version": True},
        key,
    )
    assert changed.status_code == 422


def test_the_schema_and_its_docs_page_are_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    problem = schema["paths"]["/api/v1/cases"]["post"]["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]
    headers = [
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/cases"]["post"]["parameters"]
        if parameter["in"] == "header"
    ]
    assert headers == ["Idempotency-Key"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content
    # The page works on a council network with no way out: Swagger UI is served from here.
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
    assert b"cdn." not in docs.content


def test_stored_responses_are_forgotten_after_a_day(client, key):
    post(client, "/cases", NEW_CASE, key, **{"Idempotency-Key": "old"})
    record = IdempotencyRecord.objects.get()
    assert idempotency_records_forget(now=record.created_at + timedelta(hours=23)) == 0
    assert idempotency_records_forget(now=record.created_at + timedelta(hours=25)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_retried_upload_replays_even_with_a_new_multipart_boundary(client, key):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    photo = PNG
    answers = []
    for boundary in ("first-boundary", "second-boundary"):
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="bin.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + photo
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answers.append(
            client.post(
                f"/api/v1/cases/{reference}/files",
                data=body,
                content_type=f"multipart/form-data; boundary={boundary}",
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "photo-1"},
            )
        )
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert Case.objects.get(reference=reference).attachments.count() == 1


def test_text_with_a_nul_character_is_refused_with_a_clear_problem(client, key):
    for body in (
        {**NEW_CASE, "description": "Bin\u0000"},
        {**NEW_CASE, "answers": {"bin": "Recycling\u0000"}},
        {**NEW_CASE, "customer": {"name": "Ann\u0000"}},
    ):
        refused = post(client, "/cases", body, key)
        assert refused.status_code == 422
        assert refused.json()["code"] == "validation_failed"
    assert not Case.objects.exists()
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    for path, body in (
        ("notes", {"body": "Crew\u0000", "visibility": "public"}),
        ("status", {"status": "in_progress", "note": "On\u0000 it"}),
        ("updates", {"update_id": "job-1\u0000", "status": "fixed"}),
    ):
        assert post(client, f"/cases/{reference}/{path}", body, key).status_code == 422, path
    assert Case.objects.get().status == CaseStatus.NEW


def _document_allows(client: Client, component: str, body: dict) -> bool:
    """Whether the published schema calls ``body`` a valid ``component``."""
    document = client.get("/api/v1/openapi.json").json()
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{component}", "components": document["components"]},
        validate_formats=True,
    ).is_valid(body)


@pytest.mark.parametrize("moment", ["0.5", "3", "1700000000", "2025-05-01", "2025-05-01T09:30:00"])
def test_times_that_are_not_rfc_3339_date_times_are_refused(client, key, moment):
    post(client, "/cases", NEW_CASE, key)
    for name in ("updated_since", "opened_after", "opened_before"):
        refused = get(client, "/cases", key, **{name: moment})
        assert refused.status_code == 422, name
        assert refused.json()["code"] == "validation_failed"
        assert f"query.{name}" in refused.json()["errors"]


def test_rfc_3339_date_times_are_read_with_their_offset_even_at_the_ends_of_time(client, key):
    post(client, "/cases", NEW_CASE, key)
    for moment, count in (
        ("2000-01-01T00:00:00Z", 1),
        ("2000-01-01t00:00:00.5+01:00", 1),
        ("0001-01-01T00:00:00+01:00", 1),
        ("9999-12-31T23:59:59-05:00", 0),
    ):
        response = get(client, "/cases", key, updated_since=moment)
        assert response.status_code == 200, moment
        assert response.json()["count"] == count, moment
    update = {"update_id": "u-1", "status": "investigating", "reported_at": 1700000000}
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    assert post(client, f"/cases/{reference}/updates", update, key).status_code == 422
    assert not ExternalUpdate.objects.exists()


@pytest.mark.parametrize(
    "idempotency_key", ["two words", " padded", "tab\t", "caf\u00e9", "k" * 201]
)
def test_an_idempotency_key_outside_the_documented_pattern_is_refused(client, key, idempotency_key):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    contact = {"channel": "phone", "reason": "other", "outcome": "resolved_first_contact"}
    for path, body in (
        (f"/cases/{reference}/status", {"status": "in_progress"}),
        ("/contacts", contact),
        (f"/cases/{reference}/notes", {"body": "Crew told"}),
    ):
        refused = post(client, path, body, key, **{"Idempotency-Key": idempotency_key})
        assert refused.status_code == 422, path
        assert refused["Content-Type"] == "application/problem+json"
        assert "Idempotency-Key" in refused.json()["errors"]
    assert Case.objects.get(reference=reference).status == CaseStatus.NEW
    assert not IdempotencyRecord.objects.exists()


def test_what_the_document_calls_invalid_is_refused_and_what_it_calls_valid_is_accepted(
    client, key
):
    reference = post(client, "/cases", NEW_CASE, key).json()["reference"]
    signposted = {"channel": "phone", "reason": "other", "outcome": "signposted"}
    for component, path, body, status in (
        ("UpdateIn", f"/cases/{reference}/updates", {"update_id": "u-1"}, 422),
        ("UpdateIn", f"/cases/{reference}/updates", {"update_id": " ", "status": "fixed"}, 422),
        ("UpdateIn", f"/cases/{reference}/updates", {"update_id": "u-1", "status": "Sorted"}, 422),
        ("UpdateIn", f"/cases/{reference}/updates", {"update_id": "u-1", "description": " "}, 422),
        ("UpdateIn", f"/cases/{reference}/updates", {"update_id": "u-1", "status": "waiting"}, 422),
        ("NoteIn", f"/cases/{reference}/notes", {"body": " \u3000"}, 422),
        ("StatusIn", f"/cases/{reference}/status", {"status": "waiting", "note": " "}, 422),
        ("ContactIn", "/contacts", signposted, 422),
        ("ContactIn", "/contacts", {**signposted, "signposted_to": "\t"}, 422),
        ("ContactIn", "/contacts", {**signposted, "signposted_to": "Citizens Advice"}, 201),
        (
            "UpdateIn",
            f"/cases/{reference}/updates",
            {"update_id": "u-2", "description": "On it"},
            201,
        ),
        ("StatusIn", f"/cases/{reference}/status", {"status": "waiting", "note": "Photo?"}, 200),
    ):
        assert _document_allows(client, component, body) is (status < 400), body
        response = post(client, path, body, key)
        assert response.status_code == status, body
        if status == 422:
            assert response.json()["code"] == "validation_failed"
    assert ExternalUpdate.objects.count() == 1


def test_a_nul_character_in_a_query_is_refused_as_the_document_says(client, key):
    response = get(client, "/cases", key, service="missed-bin\x00")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
