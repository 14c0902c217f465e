"""Open311 GeoReport v2 as FixMyStreet and council apps call it: form posts, XML, tokens, and
mySociety's update extensions. JSON answers are checked against schemas written from the
published GeoReport v2 field tables; XML answers by their element structure."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

import jsonschema_rs
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import (
    CaseRequest,
    case_add_note,
    case_assign,
    case_open,
    case_transition,
)
from civicdesk.cases.models import Case
from civicdesk.core.audit import Actor
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import ExternalUpdate, Open311Jurisdiction
from civicdesk.integrations.open311 import open311_tokens_process
from civicdesk.integrations.services import api_client_create

from . import factories

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
JURISDICTION = "wrekin.gov.uk"
# What FixMyStreet sends when it reads requests or polls a token: no api_key.
FETCH = {"jurisdiction_id": JURISDICTION}

_STRING_OR_NULL = {"type": ["string", "null"]}
SERVICES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string"},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
    },
}
DEFINITION_SCHEMA = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string"},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "order", "description"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string"},
                    "datatype": {
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ]
                    },
                    "required": {"type": "boolean"},
                    "order": {"type": "integer", "minimum": 1},
                    "values": {
                        "type": "array",
                        "items": {"type": "object", "required": ["key", "name"]},
                    },
                },
            },
        },
    },
}
REQUESTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string"},
            "status": {"enum": ["open", "closed"]},
            "status_notes": _STRING_OR_NULL,
            "service_name": {"type": "string"},
            "service_code": {"type": "string"},
            "description": _STRING_OR_NULL,
            "agency_responsible": _STRING_OR_NULL,
            "service_notice": _STRING_OR_NULL,
            "requested_datetime": {"type": "string", "format": "date-time"},
            "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
            "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
            "address": _STRING_OR_NULL,
            "address_id": _STRING_OR_NULL,
            "zipcode": _STRING_OR_NULL,
            "lat": {"type": ["number", "null"]},
            "long": {"type": ["number", "null"]},
            "media_url": _STRING_OR_NULL,
        },
    },
}
CREATED_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "properties": {
            "service_request_id": {"type": "string"},
            "token": {"type": "string"},
            "service_notice": _STRING_OR_NULL,
            "account_id": _STRING_OR_NULL,
        },
    },
}
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def conforms(schema: dict, data: object) -> None:
    validator = jsonschema_rs.validator_for(schema)
    errors = [error.message for error in validator.iter_errors(data)]
    assert errors == []


@pytest.fixture
def jurisdiction(council, missed_bin) -> Open311Jurisdiction:
    return Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id=JURISDICTION)


@pytest.fixture
def api_key(council, jurisdiction) -> str:
    _, key = api_client_create(organisation=council, name="FixMyStreet", scopes=[Scope.OPEN311])
    return key


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own answer, in a test)


def fixmystreet_report(api_key: str, **extra: str) -> dict:
    """What FixMyStreet's Open311 client posts: a form, the key as a field, CRLF newlines,
    coordinates cut to six decimal places."""
    return {
        "jurisdiction_id": JURISDICTION,
        "api_key": api_key,
        "service_code": "missed-bin",
        "lat": "52.700512",
        "long": "-2.516378",
        "address_string": "Holyhead Road, Wellington",
        "description": "Missed bin\r\n\r\nThe recycling was not taken on Tuesday.",
        "email": "reporter@example.com",
        "phone": "07700 900456",
        "first_name": "Pat",
        "last_name": "Reporter",
        "attribute[bin]": "Recycling",
        # FixMyStreet's own attributes, sent with every report whatever the service asks.
        "attribute[title]": "Missed bin",
        "attribute[description]": "The recycling was not taken on Tuesday.",
        "attribute[report_url]": "https://fixmystreet.example/report/4321",
        "attribute[fixmystreet_id]": "4321",
        "attribute[easting]": "365123",
        "attribute[northing]": "311456",
        **extra,
    }


def test_discovery_names_the_endpoint_in_xml_and_json(client, jurisdiction):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert client.get(f"{BASE}/discovery.json").json()["endpoints"][0]["type"] == "production"


def test_services_and_a_definition_come_from_the_catalogue(client, jurisdiction, council):
    factories.RequestTypeFactory(organisation=council, key="hidden", sensitive=True)
    listed = client.get(f"{BASE}/services.json", {"jurisdiction_id": JURISDICTION}).json()
    conforms(SERVICES_SCHEMA, listed)
    assert [row["service_code"] for row in listed] == ["missed-bin"]
    assert listed[0]["metadata"] is True
    root = xml(client.get(f"{BASE}/services/missed-bin.xml", {"jurisdiction_id": JURISDICTION}))
    attribute = root.find("attributes/attribute")
    assert attribute is not None
    assert attribute.findtext("datatype") == "singlevaluelist"
    assert attribute.findtext("variable") == "true"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == [
        "General waste",
        "Recycling",
        "Garden waste",
    ]
    definition = client.get(
        f"{BASE}/services/missed-bin.json", {"jurisdiction_id": JURISDICTION}
    ).json()
    conforms(DEFINITION_SCHEMA, definition)


def test_errors_use_the_specs_format_and_codes(client, jurisdiction, api_key):
    missing = client.get(f"{BASE}/services.xml")
    assert missing.status_code == 400
    assert xml(missing).findtext("error/code") == "400"
    assert "jurisdiction_id" in xml(missing).findtext("error/description")
    unknown = client.get(f"{BASE}/services.json", {"jurisdiction_id": "nowhere.gov.uk"})
    assert unknown.status_code == 404
    conforms(ERRORS_SCHEMA, unknown.json())
    no_service = client.get(f"{BASE}/services/nothing.xml", {"jurisdiction_id": JURISDICTION})
    assert no_service.status_code == 404
    bad_key = client.post(f"{BASE}/requests.xml", fixmystreet_report("cd_00000000_wrong"))
    assert bad_key.status_code == 403
    assert not Case.objects.exists()
    no_location = fixmystreet_report(api_key, lat="", long="", address_string="")
    refused = client.post(f"{BASE}/requests.xml", no_location)
    assert refused.status_code == 400
    assert not Case.objects.exists()


def test_a_fixmystreet_report_becomes_a_case_and_reads_back_without_personal_details(
    client, api_key
):
    response = client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key))
    assert response.status_code == 200
    reference = xml(response).findtext("request/service_request_id")
    case = Case.objects.get(reference=reference)
    assert case.description.startswith("Missed bin\n\nThe recycling was not taken on Tuesday.")
    assert "report_url: https://fixmystreet.example/report/4321" in case.description
    assert "fixmystreet_id: 4321" in case.description
    assert "description:" not in case.description  # the same words are not kept twice
    assert (case.latitude, case.longitude) == (52.700512, -2.516378)
    assert case.answers == {"bin": "Recycling"}
    assert case.customer is not None
    read = client.get(f"{BASE}/requests/{reference}.xml", FETCH)
    request = xml(read).find("request")
    assert request is not None
    assert request.findtext("status") == "open"
    assert request.findtext("expected_datetime")
    assert b"reporter@example.com" not in read.content
    assert b"900456" not in read.content
    as_json = client.get(f"{BASE}/requests/{reference}.json", FETCH).json()
    conforms(REQUESTS_SCHEMA, as_json)
    with_key = client.get(f"{BASE}/requests/{reference}.json", {**FETCH, "api_key": api_key})
    assert with_key.json() == as_json


def test_contact_details_typed_into_a_case_are_not_read_back(client, api_key, council, officer):
    staff = Actor.for_user(officer.user)
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={"bin": "Recycling"},
            description="Bin missed again. Call Ann on 07700 900123 or ann.smith@example.com.",
        ),
        actor=staff,
    )
    case_add_note(
        case=case, body="We will call you on 07700 900123.", visibility="public", actor=staff
    )
    params = {"jurisdiction_id": JURISDICTION, "api_key": api_key}
    read = client.get(f"{BASE}/requests/{case.reference}.xml", FETCH)
    request = xml(read).find("request")
    assert request.findtext("description").startswith("Bin missed again. Call Ann on [removed]")
    assert request.findtext("status_notes") == "We will call you on [removed]."
    updates = client.get(
        f"{BASE}/servicerequestupdates.xml", {**params, "start_date": "2000-01-01T00:00:00Z"}
    )
    assert xml(updates).findtext("request_update/description") == "We will call you on [removed]."
    for response in (read, updates):
        assert b"900123" not in response.content
        assert b"ann.smith" not in response.content


def test_a_reporter_who_gives_no_name_is_still_heard(client, api_key):
    unnamed = fixmystreet_report(api_key, first_name="", last_name="", phone="")
    response = client.post(f"{BASE}/requests.xml", unnamed)
    assert response.status_code == 200
    case = Case.objects.get(reference=xml(response).findtext("request/service_request_id"))
    assert case.customer.display_name == "Name not given"
    assert case.notifications.get().recipient == "reporter@example.com"


def test_get_requests_takes_repeated_keys_and_filters(client, api_key):
    first = xml(client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key)))
    second = xml(client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key)))
    ids = [
        first.findtext("request/service_request_id"),
        second.findtext("request/service_request_id"),
    ]
    both = client.get(f"{BASE}/requests.json", {**FETCH, "service_request_id": ids}).json()
    conforms(REQUESTS_SCHEMA, both)
    assert sorted(row["service_request_id"] for row in both) == sorted(ids)
    assert len(client.get(f"{BASE}/requests.json", {**FETCH, "status": "open"}).json()) == 2
    assert client.get(f"{BASE}/requests.json", {**FETCH, "status": "closed"}).json() == []
    assert len(client.get(f"{BASE}/requests.json", {**FETCH, "limit": "1"}).json()) == 1
    assert (
        client.get(f"{BASE}/requests.json", {**FETCH, "start_date": "yesterday"}).status_code == 400
    )
    far_zone = {**FETCH, "start_date": "0045-12-28T22:05:41-21:25"}
    assert client.get(f"{BASE}/requests.json", far_zone).status_code == 200
    # A key is not needed to read, but one that is sent must be good.
    keyed = client.get(f"{BASE}/requests.json", {**FETCH, "api_key": api_key})
    assert len(keyed.json()) == 2
    wrong = client.get(f"{BASE}/requests.json", {**FETCH, "api_key": "cd_00000000_wrong"})
    assert wrong.status_code == 403
    assert client.get(f"{BASE}/requests.json", {**FETCH, "api_key": ""}).status_code == 200


def test_listing_requests_takes_as_many_queries_for_ten_as_for_two(
    client, jurisdiction, council, actor
):
    def open_with_notes(number: int) -> None:
        case = case_open(
            organisation=council,
            request=CaseRequest(
                request_type_key="missed-bin", channel="web", answers={"bin": "Recycling"}
            ),
            actor=actor,
        )
        case_add_note(case=case, body="Crew booked", visibility="public", actor=actor)
        case_add_note(case=case, body=f"Crew out, {number}", visibility="public", actor=actor)
        case_add_note(case=case, body="Staff only", visibility="internal", actor=actor)

    def listed() -> tuple[list[str], int]:
        client.get(f"{BASE}/requests.json", FETCH)  # the jurisdiction is read once, then kept
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(f"{BASE}/requests.json", FETCH).json()
        return sorted(row["status_notes"] for row in rows), len(queries)

    for number in range(2):
        open_with_notes(number)
    two_notes, two_queries = listed()
    for number in range(2, 10):
        open_with_notes(number)
    ten_notes, ten_queries = listed()
    assert two_notes == ["Crew out, 0", "Crew out, 1"]
    assert ten_notes == sorted(f"Crew out, {number}" for number in range(10))
    assert ten_queries == two_queries


FORM_VALUES = st.one_of(
    st.text(max_size=30), st.sampled_from(["", "52.7", "-2.5", "999", "nan", "inf", "Recycling"])
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "service_code",
                "lat",
                "long",
                "address_string",
                "description",
                "email",
                "phone",
                "attribute[bin]",
                "attribute[other]",
                "media_url",
                "first_name",
            ]
        ),
        FORM_VALUES,
    )
)
def test_any_form_gets_a_case_or_an_error_in_the_specs_format_never_a_server_error(
    client, api_key, fields
):
    form = {"jurisdiction_id": JURISDICTION, "api_key": api_key, **fields}
    response = client.post(f"{BASE}/requests.json", form)
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200:
        conforms(CREATED_SCHEMA, response.json())
    else:
        conforms(ERRORS_SCHEMA, response.json())


def test_batch_intake_answers_with_a_token_the_client_polls(client, jurisdiction, api_key):
    jurisdiction.batch_intake = True
    jurisdiction.save()
    created = client.post(f"{BASE}/requests.json", fixmystreet_report(api_key)).json()
    conforms(CREATED_SCHEMA, created)
    token = created[0]["token"]
    poll = FETCH  # FixMyStreet polls with the jurisdiction alone
    waiting = xml(client.get(f"{BASE}/tokens/{token}.xml", poll))
    assert waiting.findtext("request/token") == token
    assert waiting.find("request/service_request_id") is None
    assert not Case.objects.exists()
    assert open311_tokens_process() == 1
    done = xml(client.get(f"{BASE}/tokens/{token}.xml", poll))
    assert done.findtext("request/service_request_id") == Case.objects.get().reference
    assert client.get(f"{BASE}/tokens/not-a-token.xml", poll).status_code == 404
    other = factories.OrganisationFactory()
    Open311Jurisdiction.objects.create(organisation=other, jurisdiction_id="other.gov.uk")
    elsewhere = client.get(f"{BASE}/tokens/{token}.xml", {"jurisdiction_id": "other.gov.uk"})
    assert elsewhere.status_code == 404


def test_update_extensions_both_ways(client, api_key, officer):
    reference = xml(client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key))).findtext(
        "request/service_request_id"
    )
    case = Case.objects.get(reference=reference)
    staff = Actor.for_user(officer.user)
    case = case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=staff)
    case_add_note(case=case, body="Crew booked for Thursday", visibility="public", actor=staff)
    case_add_note(case=case, body="Internal only", visibility="internal", actor=staff)
    fetched = client.get(
        f"{BASE}/servicerequestupdates.xml",
        {"jurisdiction_id": JURISDICTION, "api_key": api_key, "start_date": "2000-01-01T00:00:00Z"},
    )
    updates = xml(fetched).findall("request_update")
    assert [u.findtext("status") for u in updates] == ["in_progress", "in_progress"]
    assert updates[1].findtext("description") == "Crew booked for Thursday"
    assert b"Internal only" not in fetched.content

    posted = {
        "jurisdiction_id": JURISDICTION,
        "api_key": api_key,
        "service_request_id": reference,
        "update_id": "fms-991",
        "updated_datetime": "2026-11-20T10:00:00+00:00",
        "status": "FIXED",
        "description": "Reporter says it is fixed\r\nThanks",
        "email": "reporter@example.com",
    }
    answer = client.post(f"{BASE}/servicerequestupdates.xml", posted)
    assert answer.status_code == 200
    assert xml(answer).findtext("request_update/update_id")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED
    assert client.post(f"{BASE}/servicerequestupdates.xml", posted).status_code == 200
    assert ExternalUpdate.objects.count() == 1
    # The client's own update is not sent back to it.
    again = client.get(
        f"{BASE}/servicerequestupdates.xml",
        {"jurisdiction_id": JURISDICTION, "api_key": api_key, "start_date": "2000-01-01T00:00:00Z"},
    )
    assert len(xml(again).findall("request_update")) == 2


@pytest.mark.django_db(transaction=True)
def test_one_update_sent_twice_at_once_is_recorded_once(api_key):
    reference = xml(Client().post(f"{BASE}/requests.xml", fixmystreet_report(api_key))).findtext(
        "request/service_request_id"
    )
    posted = {
        "jurisdiction_id": JURISDICTION,
        "api_key": api_key,
        "service_request_id": reference,
        "update_id": "fms-7",
        "status": "FIXED",
        "description": "Fixed, says the reporter",
    }
    barrier = threading.Barrier(2)
    answers: list[str | None] = []

    def send() -> None:
        try:
            barrier.wait()
            response = Client().post(f"{BASE}/servicerequestupdates.xml", posted)
            answers.append(xml(response).findtext("request_update/update_id"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2
    assert answers[0] is not None
    assert answers[0] == answers[1]
    assert ExternalUpdate.objects.count() == 1
    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.RESOLVED
    assert case.notes.filter(body="Fixed, says the reporter").count() == 1


def test_every_status_fixmystreet_sends_is_understood(client, api_key):
    reference = xml(client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key))).findtext(
        "request/service_request_id"
    )
    # mySociety's extended statuses, as FixMyStreet posts them, in an order a case can follow.
    sent = [
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "INTERNAL_REFERRAL",
        "FIXED",
        "OPEN",
        "NOT_COUNCILS_RESPONSIBILITY",
        "OPEN",
        "NO_FURTHER_ACTION",
        "OPEN",
        "UNABLE_TO_FIX",
        "OPEN",
        "DUPLICATE",
        "OPEN",
        "CLOSED",
    ]
    for number, status in enumerate(sent):
        answer = client.post(
            f"{BASE}/servicerequestupdates.xml",
            {
                "jurisdiction_id": JURISDICTION,
                "api_key": api_key,
                "service_request_id": reference,
                "update_id": f"fms-{number}",
                "status": status,
                "description": f"Now {status.lower()}",
            },
        )
        assert answer.status_code == 200, (status, answer.content)
    assert Case.objects.get(reference=reference).status == CaseStatus.CLOSED


def test_reading_needs_no_key_but_sensitive_cases_stay_hidden_and_writing_needs_one(
    client, api_key, council, actor
):
    hidden = factories.RequestTypeFactory(organisation=council, key="safeguarding", sensitive=True)
    sensitive = case_open(
        organisation=council,
        request=CaseRequest(request_type_key=hidden.key, channel="phone", description="Private"),
        actor=actor,
    )
    listed = client.get(f"{BASE}/requests.json", FETCH).json()
    assert sensitive.reference not in [row["service_request_id"] for row in listed]
    assert client.get(f"{BASE}/requests/{sensitive.reference}.xml", FETCH).status_code == 404
    keyless_report = {k: v for k, v in fixmystreet_report(api_key).items() if k != "api_key"}
    assert client.post(f"{BASE}/requests.xml", keyless_report).status_code == 403
    assert not Case.objects.exclude(pk=sensitive.pk).exists()
    assert client.get(f"{BASE}/servicerequestupdates.xml", FETCH).status_code == 403
    update = {
        **FETCH,
        "service_request_id": sensitive.reference,
        "update_id": "1",
        "status": "FIXED",
    }
    assert client.post(f"{BASE}/servicerequestupdates.xml", update).status_code == 403


def test_characters_xml_cannot_carry_are_left_out_so_every_list_still_parses(
    client, api_key, council, actor
):
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="email",
            answers={"bin": "Recycling"},
            description="Bin\x0b missed\x1b[0m again\ufffe",
        ),
        actor=actor,
    )
    case_add_note(case=case, body="Crew\x0b booked\x1b", visibility="public", actor=actor)
    listed = xml(client.get(f"{BASE}/requests.xml", FETCH))
    assert listed.findtext("request/description") == "Bin missed[0m again"
    assert listed.findtext("request/status_notes") == "Crew booked"
    updates = client.get(
        f"{BASE}/servicerequestupdates.xml",
        {**FETCH, "api_key": api_key, "start_date": "2000-01-01T00:00:00Z"},
    )
    assert xml(updates).findtext("request_update/description") == "Crew booked"
    posted = client.post(
        f"{BASE}/requests.xml", fixmystreet_report(api_key, description="Sofa\x0b dumped\x1b")
    )
    reference = xml(posted).findtext("request/service_request_id")
    assert Case.objects.get(reference=reference).description.startswith("Sofa dumped")


def test_an_update_fixmystreet_sends_with_update_id_ext_is_recorded_once(client, api_key):
    reference = xml(client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key))).findtext(
        "request/service_request_id"
    )
    # FixMyStreet with extended updates on: its own ids are the *_ext fields.
    posted = {
        "jurisdiction_id": JURISDICTION,
        "api_key": api_key,
        "service_request_id": reference,
        "service_request_id_ext": "4321",
        "update_id_ext": "8765",
        "public_anonymity_required": "FALSE",
        "status": "FIXED",
        "description": "Fixed, says the reporter",
        "email": "reporter@example.com",
    }
    answer = client.post(f"{BASE}/servicerequestupdates.xml", posted)
    assert answer.status_code == 200, answer.content
    assert client.post(f"{BASE}/servicerequestupdates.xml", posted).status_code == 200
    assert ExternalUpdate.objects.get().external_id == "8765"
    assert Case.objects.get(reference=reference).status == CaseStatus.RESOLVED
    neither = {k: v for k, v in posted.items() if k != "update_id_ext"}
    refused = client.post(f"{BASE}/servicerequestupdates.xml", neither)
    assert refused.status_code == 400
    assert "update_id" in xml(refused).findtext("error/description")


def test_assigning_a_new_case_reads_as_action_scheduled_in_the_updates(
    client, api_key, council, missed_bin, actor
):
    reference = xml(client.post(f"{BASE}/requests.xml", fixmystreet_report(api_key))).findtext(
        "request/service_request_id"
    )
    case = case_assign(
        case=Case.objects.get(reference=reference), team=missed_bin.service_area.team, actor=actor
    )
    assert case.status == CaseStatus.ASSIGNED
    # Given to another team: the status does not change, so there is nothing new to report.
    case_assign(case=case, team=factories.TeamFactory(organisation=council), actor=actor)
    fetched = client.get(
        f"{BASE}/servicerequestupdates.xml",
        {**FETCH, "api_key": api_key, "start_date": "2000-01-01T00:00:00Z"},
    )
    updates = xml(fetched).findall("request_update")
    assert [(u.findtext("service_request_id"), u.findtext("status")) for u in updates] == [
        (reference, "action_scheduled")
    ]


def test_a_jurisdiction_id_matches_in_any_letter_case(client, jurisdiction):
    jurisdiction.jurisdiction_id = "Wrekin.gov.uk"  # as an administrator typed it
    jurisdiction.save()
    for sent in ("Wrekin.gov.uk", "wrekin.gov.uk", "WREKIN.GOV.UK "):
        listed = client.get(f"{BASE}/services.json", {"jurisdiction_id": sent})
        assert listed.status_code == 200, sent
        assert [row["service_code"] for row in listed.json()] == ["missed-bin"]
