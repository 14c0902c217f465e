"""New rows written by one INSERT compiled once per process (ADR 50): the same row, object and
signals as ``save()``, and clashes on a unique value settled by the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicdesk.cases import lifecycle
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.contacts.models import Contact
from civicdesk.core.rows import row_insert
from civicdesk.customers.models import Customer
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import IdempotencyRecord, Open311Jurisdiction
from civicdesk.integrations.services import api_client_create
from civicdesk.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def stored(record: Any) -> dict[str, Any]:
    row = type(record).objects.filter(pk=record.pk).values().get()
    del row["id"]
    return row


def customer_like(council, **changes: Any) -> Customer:
    return Customer(
        organisation=council,
        first_name="Ann",
        last_name="Smith",
        postcode="TF1 1AA",
        search_name="ann smith",
        **changes,
    )


def test_a_row_inserted_is_the_row_save_writes(council):
    saved = customer_like(council)
    saved.save()
    inserted = customer_like(council)
    assert row_insert(inserted) is True

    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding
    saved_row, inserted_row = stored(saved), stored(inserted)
    # Set by each field's pre_save (auto_now_add, auto_now), on the object as in the row.
    for moment in ("created_at", "updated_at"):
        assert inserted_row.pop(moment) == getattr(inserted, moment)
        saved_row.pop(moment)
    assert inserted_row == saved_row


def test_what_the_database_fills_in_is_on_the_object_as_after_save(council):
    saved = customer_like(council, address_line_1="4 Holyhead Road")
    saved.save()
    inserted = customer_like(council, address_line_1="4 Holyhead Road")
    row_insert(inserted)

    generated = ("search_surname_first", "search_address", "search_street")
    with CaptureQueriesContext(connection) as captured:
        on_objects = [[getattr(record, name) for name in generated] for record in (saved, inserted)]
    assert len(captured) == 0
    assert on_objects[1] == on_objects[0] == ["smith ann", "4 holyhead road", "holyhead road"]


def test_listeners_hear_of_the_new_row_as_they_do_of_a_save(council):
    heard: list[tuple[str, bool | None, int | None]] = []

    def before(instance: Any, **kwargs: Any) -> None:
        heard.append(("pre_save", None, instance.pk))

    def after(instance: Any, created: bool, **kwargs: Any) -> None:
        heard.append(("post_save", created, instance.pk))

    pre_save.connect(before, sender=Customer, dispatch_uid="test-rows-before")
    post_save.connect(after, sender=Customer, dispatch_uid="test-rows-after")
    try:
        customer = customer_like(council)
        row_insert(customer)
    finally:
        pre_save.disconnect(sender=Customer, dispatch_uid="test-rows-before")
        post_save.disconnect(sender=Customer, dispatch_uid="test-rows-after")
    assert heard == [("pre_save", None, None), ("post_save", True, customer.pk)]


def keyed(client: Any, body: Any) -> IdempotencyRecord:
    """A stored answer under the key "report-1" of ``client``."""
    return IdempotencyRecord(
        client=client, key="report-1", fingerprint="f", status_code=201,
        content_type="application/json", body=body,
    )  # fmt: skip


def test_a_value_already_taken_writes_nothing(council):
    client, _ = api_client_create(organisation=council, name="Rounds", scopes=[Scope.CASES_CREATE])
    first, second = keyed(client, "first"), keyed(client, "second")
    assert row_insert(first, unless_taken=("client", "key")) is True
    assert row_insert(second, unless_taken=("client", "key")) is False
    assert second.pk is None and second._state.adding
    assert list(IdempotencyRecord.objects.values_list("body", flat=True)) == ["first"]


def test_a_taken_value_left_to_save_writes_nothing_either(council):
    client, _ = api_client_create(organisation=council, name="Rounds", scopes=[Scope.CASES_CREATE])
    with transaction.atomic():
        assert row_insert(keyed(client, "first"), unless_taken=("client", "key")) is True
        # An expression goes through save(), in a savepoint: the transaction carries on.
        second = keyed(client, Value("second"))
        assert row_insert(second, unless_taken=("client", "key")) is False
        assert second.pk is None and second._state.adding
        assert list(IdempotencyRecord.objects.values_list("body", flat=True)) == ["first"]


def test_an_expression_is_left_to_save(council, resident):
    contact = Contact(
        organisation=council,
        customer=resident,
        channel="phone",
        reason="new_request",
        outcome="advice_given",
        started_at=timezone.now(),
        duration_seconds=Value(60) + Value(30),
    )
    heard: list[str] = []
    pre_save.connect(lambda **kwargs: heard.append("pre"), sender=Contact, weak=False,
                     dispatch_uid="test-rows-expression-pre")  # fmt: skip
    post_save.connect(lambda **kwargs: heard.append("post"), sender=Contact, weak=False,
                      dispatch_uid="test-rows-expression-post")  # fmt: skip
    try:
        assert row_insert(contact) is True
    finally:
        pre_save.disconnect(sender=Contact, dispatch_uid="test-rows-expression-pre")
        post_save.disconnect(sender=Contact, dispatch_uid="test-rows-expression-post")
    assert Contact.objects.get(pk=contact.pk).duration_seconds == 90
    # Once each, by save(): not once more by the fast path before it handed over.
    assert heard == ["pre", "post"]


def references(*drawn: str) -> Iterator[str]:
    yield from drawn


def test_a_clash_of_case_references_draws_again(council, missed_bin, resident, actor, monkeypatch):
    request = CaseRequest(
        request_type_key="missed-bin",
        channel="web",
        answers={"bin": "Recycling"},
        customer=resident,
    )
    first = case_open(organisation=council, request=request, actor=actor)
    drawn = references(first.reference, first.reference, "ZZZ999ZZ9")
    monkeypatch.setattr(lifecycle, "reference_generate", lambda: next(drawn))

    second = case_open(organisation=council, request=request, actor=actor)

    assert second.reference == "ZZZ999ZZ9"
    assert set(Case.objects.values_list("reference", flat=True)) == {
        first.reference,
        "ZZZ999ZZ9",
    }
    assert OutboxMessage.objects.filter(case=second).count() == 1


def test_a_case_that_finds_no_free_reference_writes_nothing_and_says_so(
    client, council, missed_bin, monkeypatch
):
    _, key = api_client_create(organisation=council, name="Rounds", scopes=[Scope.CASES_CREATE])
    body = {
        "service": "missed-bin",
        "channel": "web",
        "answers": {"bin": "Recycling"},
        "customer": {"name": "Pat Resident", "email": "pat@example.com"},
    }

    def post(number: int) -> Any:
        return client.post(
            "/api/v1/cases",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"report-{number}"},
        )

    taken = post(1).json()["reference"]
    monkeypatch.setattr(lifecycle, "reference_generate", lambda: taken)
    response = post(2)

    # No fault of the client's: it is told to try again, and when.
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "try_again"
    assert "free case reference" in response.json()["detail"]
    assert Case.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Contact.objects.count() == 1
    assert not IdempotencyRecord.objects.filter(key="report-2").exists()

    monkeypatch.undo()
    retried = post(2)
    assert retried.status_code == 201, retried.content
    assert Case.objects.count() == 2


def test_open311_is_told_to_try_again_when_no_reference_is_free(
    client, council, missed_bin, monkeypatch
):
    Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id="wrekin.example")
    _, key = api_client_create(organisation=council, name="FixMyStreet", scopes=[Scope.OPEN311])

    def post(number: int) -> Any:
        return client.post(
            "/open311/v2/requests.json",
            {
                "jurisdiction_id": "wrekin.example",
                "api_key": key,
                "service_code": "missed-bin",
                "lat": "52.700512",
                "long": "-2.516378",
                "description": f"Missed bin, report {number}",
                "email": f"reporter{number}@example.com",
                "attribute[bin]": "Recycling",
            },
        )

    taken = post(1).json()[0]["service_request_id"]
    monkeypatch.setattr(lifecycle, "reference_generate", lambda: taken)
    response = post(2)

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1"
    assert "free case reference" in response.json()[0]["description"]
    assert Case.objects.count() == 1


def test_a_field_left_to_its_database_default_is_written_by_save(council, missed_bin, resident):
    from django.db.models.expressions import DatabaseDefault

    field = Case._meta.get_field("public_description")

    def left_to_the_database() -> DatabaseDefault:
        return DatabaseDefault(Value(""), output_field=field)

    case = Case(
        organisation=council,
        request_type=missed_bin,
        customer=resident,
        channel="web",
        team=missed_bin.service_area.team,
        description="Bin not emptied",
        opened_at=timezone.now(),
        reference="ZZZ111ZZ1",
    )
    case.public_description = left_to_the_database()
    assert row_insert(case, unless_taken=("reference",)) is True
    assert Case.objects.get(pk=case.pk).public_description == ""
    clash = Case(
        organisation=council, request_type=missed_bin, channel="web",
        opened_at=timezone.now(), reference="ZZZ111ZZ1",
    )  # fmt: skip
    clash.public_description = left_to_the_database()
    assert row_insert(clash, unless_taken=("reference",)) is False
    assert Case.objects.count() == 1
