"""Intake through the APIs at a few statements per request (ADR 43): what changes rarely is
kept in each process and read again after every edit, and the database settles clashes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicdesk.cases.models import Case
from civicdesk.catalogue.importing import (
    QuestionSpec,
    RequestTypeSpec,
    TargetSpec,
    catalogue_import,
)
from civicdesk.core.audit import Actor
from civicdesk.core.versioned_cache import VersionedCache
from civicdesk.customers.models import Customer
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import Open311Jurisdiction, WebhookDelivery
from civicdesk.integrations.services import api_client_create, api_client_revoke
from civicdesk.integrations.webhooks import webhook_subscribe
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db

# What an accepted request must write, and the statements around it: BEGIN, the customer, its
# email address and audit entry, the case (the database settles a clash of references), its
# audit entry, the contact, the acknowledgement, the idempotency record (REST), COMMIT.
MOST_STATEMENTS = 10
JURISDICTION = "wrekin.example"


@pytest.fixture
def rest_key(council, missed_bin) -> str:
    _, key = api_client_create(
        organisation=council, name="Waste rounds", scopes=[Scope.CASES_CREATE]
    )
    return key


@pytest.fixture
def open311_key(council, missed_bin) -> str:
    Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id=JURISDICTION)
    _, key = api_client_create(organisation=council, name="FixMyStreet", scopes=[Scope.OPEN311])
    return key


def rest_post(client: Client, key: str, number: int, **changes: Any):
    body = {
        "service": "missed-bin",
        "channel": "web",
        "description": f"Bin not emptied, report {number}",
        "answers": {"bin": "Recycling"},
        "customer": {"name": "Pat Resident", "email": f"pat{number}@example.com"},
        **changes,
    }
    return client.post(
        "/api/v1/cases",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"report-{number}"},
    )


def open311_post(client: Client, key: str, number: int, **changes: str):
    return client.post(
        "/open311/v2/requests.xml",
        {
            "jurisdiction_id": JURISDICTION,
            "api_key": key,
            "service_code": "missed-bin",
            "lat": "52.700512",
            "long": "-2.516378",
            "description": f"Missed bin\r\nReport {number}",
            "email": f"reporter{number}@example.com",
            "first_name": "Pat",
            "last_name": "Reporter",
            "attribute[bin]": "Recycling",
            **changes,
        },
    )


def statements_of(send) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = send()
    return response, [query["sql"] for query in captured.captured_queries]


def test_a_rest_case_takes_at_most_ten_statements_and_reads_nothing_it_kept(
    client, rest_key, record_property
):
    assert rest_post(client, rest_key, 0).status_code == 201
    for number in range(1, 4):
        response, statements = statements_of(lambda n=number: rest_post(client, rest_key, n))
        assert response.status_code == 201, response.content
        assert len(statements) <= MOST_STATEMENTS, "\n".join(statements)
        read = [sql for sql in statements if sql.startswith("SELECT")]
        assert read == []
    record_property("measured: statements per REST case", len(statements))
    assert Case.objects.count() == 4
    assert OutboxMessage.objects.filter(template="case_acknowledgement").count() == 4


def test_an_open311_case_takes_at_most_ten_statements(client, open311_key, record_property):
    assert open311_post(client, open311_key, 0).status_code == 200
    for number in range(1, 4):
        response, statements = statements_of(lambda n=number: open311_post(client, open311_key, n))
        assert response.status_code == 200, response.content
        assert b"service_request_id" in response.content
        assert len(statements) <= MOST_STATEMENTS, "\n".join(statements)
        assert [sql for sql in statements if sql.startswith("SELECT")] == []
    record_property("measured: statements per Open311 case", len(statements))
    assert Case.objects.count() == 4


def test_statements_do_not_grow_with_the_size_of_the_catalogue(client, council, rest_key):
    assert rest_post(client, rest_key, 0).status_code == 201
    _, few = statements_of(lambda: rest_post(client, rest_key, 1))
    for number in range(30):
        service = factories.RequestTypeFactory(organisation=council, key=f"extra-{number}")
        factories.QuestionFactory(request_type=service, key="where", kind="text")
    assert rest_post(client, rest_key, 2).status_code == 201
    _, many = statements_of(lambda: rest_post(client, rest_key, 3))
    assert len(many) == len(few)


def test_a_retry_returns_the_same_case_and_stores_nothing_twice(client, rest_key):
    first = rest_post(client, rest_key, 7)
    again = rest_post(client, rest_key, 7)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content)["reference"] == json.loads(first.content)["reference"]
    assert Case.objects.count() == 1
    assert Customer.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_reused_key_with_another_request_is_refused_even_when_that_request_is_wrong(
    client, rest_key
):
    assert rest_post(client, rest_key, 8).status_code == 201
    different = rest_post(client, rest_key, 8, description="Another bin")
    wrong = rest_post(client, rest_key, 8, answers={"bin": "Not a bin"})
    for response in (different, wrong):
        assert response.status_code == 422
        assert json.loads(response.content)["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_the_timeline_of_a_new_case_is_what_reading_it_back_gives(client, council, missed_bin):
    _, key = api_client_create(
        organisation=council, name="Rounds", scopes=[Scope.CASES_CREATE, Scope.CASES_READ]
    )
    created = json.loads(rest_post(client, key, 9).content)
    read = json.loads(
        client.get(
            f"/api/v1/cases/{created['reference']}", headers={"Authorization": f"Bearer {key}"}
        ).content
    )
    assert [_entry(entry) for entry in created["timeline"]] == [
        _entry(entry) for entry in read["timeline"]
    ]
    assert created["timeline"][0]["summary"] == "Case opened"


def _entry(entry: dict[str, str]) -> tuple[str, ...]:
    """An entry with its time to the millisecond, as the read answer writes it."""
    at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    return (at.isoformat(timespec="milliseconds"), entry["kind"], entry["summary"], entry["by"])


def council_admin(council):
    staff = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.save()
    codenames = ["view_requesttype", "change_requesttype", "change_question", "view_question"]
    staff.user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return staff.user


def admin_form_data(page) -> dict[str, Any]:
    """What the admin's change form would post back unchanged."""
    data: dict[str, Any] = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def test_an_administrators_edit_in_the_admin_reaches_the_next_request(
    client, council, missed_bin, rest_key
):
    assert rest_post(client, rest_key, 0, answers={"bin": "Food waste"}).status_code == 422
    admin = Client()
    sign_in_with_both_factors(admin, council_admin(council))
    url = f"/admin/catalogue/requesttype/{missed_bin.pk}/change/"
    data = admin_form_data(admin.get(url))
    choices_field = next(name for name in data if name.endswith("-choices"))
    data[choices_field] = json.dumps(["General waste", "Recycling", "Garden waste", "Food waste"])
    assert admin.post(url, data).status_code == 302

    assert rest_post(client, rest_key, 1, answers={"bin": "Food waste"}).status_code == 201


def test_a_catalogue_imported_in_bulk_reaches_the_next_request(client, council, open311_key):
    assert open311_post(client, open311_key, 0).status_code == 200
    row = {
        "key": "missed-bin",
        "name": "Report a missed bin collection",
        "service_area": "Waste",
        "kind": "report",
    }
    spec = RequestTypeSpec(
        questions=(QuestionSpec(key="bin", label="Which bin?", kind="choice", choices=("Food",)),),
        targets=(TargetSpec(amount=2, unit="working_days", summary="collect your bin"),),
    )
    catalogue_import(organisation=council, rows=[row], spec={"missed-bin": spec})

    refused = open311_post(client, open311_key, 1)
    assert refused.status_code == 400
    assert b"Choose one of the listed options" in refused.content
    assert open311_post(client, open311_key, 2, **{"attribute[bin]": "Food"}).status_code == 200


def test_a_revoked_key_is_refused_on_the_next_request(client, council, rest_key):
    assert rest_post(client, rest_key, 0).status_code == 201
    client_record = council.api_clients.get()
    api_client_revoke(client=client_record, actor=Actor(label="Administrator"))
    assert rest_post(client, rest_key, 1).status_code == 401


def test_a_new_subscriber_hears_of_the_next_case(client, council, rest_key):
    assert rest_post(client, rest_key, 0).status_code == 201
    webhook_subscribe(
        organisation=council,
        name="Waste rounds",
        url="https://rounds.example/hook",
        events=["case.created"],
    )
    assert rest_post(client, rest_key, 1).status_code == 201
    assert WebhookDelivery.objects.filter(event="case.created").count() == 1


def test_a_jurisdiction_switched_to_batch_intake_answers_with_a_token_next(client, open311_key):
    assert open311_post(client, open311_key, 0).status_code == 200
    Open311Jurisdiction.objects.update(batch_intake=True)
    jurisdiction = Open311Jurisdiction.objects.get()
    jurisdiction.save()
    assert b"<token>" in open311_post(client, open311_key, 1).content


def test_every_process_reads_a_value_again_once_another_changes_it():
    """Two processes' copies of one kept value, sharing the version in the shared cache."""
    reads: list[int] = []

    def load(scope: Any) -> int:
        reads.append(1)
        return len(reads)

    web = VersionedCache("shared-example", load=load)
    worker = VersionedCache("shared-example", load=load)
    assert web.get(1) == 1
    assert web.get(1) == 1
    assert worker.get(1) == 2
    worker.changed(1)
    assert web.get(1) == 3
    assert web.get(2) == 4
    assert web.get(1) == 3
