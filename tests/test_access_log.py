"""Who read what: opening a customer's record, their support needs, a document or a case in a
sensitive service writes an access entry; data protection officers list them by customer and
by member of staff; the subject access export shows them and erasure keeps them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicdesk.cases.attachments import case_attach
from civicdesk.cases.documents import Upload
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.customers.models import SupportNeed
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.organisations.choices import Role
from civicdesk.privacy.models import AccessEntry
from civicdesk.workspace import access_log_views

from . import factories
from .sample_files import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def housing(council):
    team = factories.TeamFactory(organisation=council, name="Housing options")
    factories.RequestTypeFactory(
        organisation=council,
        key="homelessness",
        name="Homelessness help",
        sensitive=True,
        service_area=factories.ServiceAreaFactory(organisation=council, team=team),
    )
    return team


@pytest.fixture
def world(council, missed_bin, housing, actor):
    customer = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Verity", last_name="Hiddenhouse"),
        actor=actor,
    )

    def opened(key, answers):
        return case_open(
            organisation=council,
            request=CaseRequest(
                request_type_key=key, channel="phone", customer=customer, answers=answers
            ),
            actor=actor,
        )

    sensitive = opened("homelessness", {})
    ordinary = opened("missed-bin", {"bin": "Recycling"})
    document = case_attach(
        case=sensitive, upload=Upload(name="tenancy.png", content=PNG), actor=actor
    )
    return {
        "customer": customer,
        "sensitive": sensitive,
        "ordinary": ordinary,
        "document": document,
        "adviser": factories.StaffFactory(organisation=council, role=Role.ADVISER),
        "housing_officer": factories.StaffFactory(
            organisation=council, role=Role.OFFICER, teams=[housing]
        ),
        "officer": factories.StaffFactory(organisation=council, role=Role.DATA_PROTECTION),
    }


def entries():
    return list(
        AccessEntry.objects.order_by("pk").values_list(
            "staff_id", "customer_id", "case_id", "document_id", "what", "page"
        )
    )


# --- Writing entries --------------------------------------------------------------------------


def test_opening_a_customer_record_writes_an_entry_of_ids_only(staff_client, world):
    adviser, customer = world["adviser"], world["customer"]
    assert staff_client(adviser).get(f"/staff/customers/{customer.pk}/").status_code == 200
    assert entries() == [(adviser.pk, customer.pk, None, None, "customer", "workspace:customer")]
    entry = AccessEntry.objects.get()
    assert entry.organisation_id == customer.organisation_id
    assert timezone.now() - entry.at < timedelta(minutes=1)


def test_showing_support_needs_is_recorded_as_such(staff_client, world):
    adviser, customer = world["adviser"], world["customer"]
    SupportNeed.objects.create(
        customer=customer, kind="hearing", details="Text relay", consent_given_at=timezone.now()
    )
    staff_client(adviser).get(f"/staff/customers/{customer.pk}/?support=show")
    assert [row[4] for row in entries()] == ["support_needs"]


def test_the_entry_costs_one_insert_and_no_reads(staff_client, world, monkeypatch):
    client, url = staff_client(world["adviser"]), f"/staff/customers/{world['customer'].pk}/"
    client.get(url)  # the session's first use writes to it; later pages do not

    with CaptureQueriesContext(connection) as logged:
        client.get(url)
    monkeypatch.setattr(access_log_views, "access_record", lambda **details: None)
    with CaptureQueriesContext(connection) as unlogged:
        client.get(url)

    assert len(logged.captured_queries) == len(unlogged.captured_queries) + 1
    touching = [query["sql"] for query in logged.captured_queries if "accessentry" in query["sql"]]
    assert len(touching) == 1
    assert touching[0].startswith('INSERT INTO "privacy_accessentry"')


def test_a_sensitive_case_and_a_document_are_logged_and_an_ordinary_case_is_not(
    staff_client, world
):
    officer, client = world["housing_officer"], staff_client(world["housing_officer"])
    sensitive, document = world["sensitive"], world["document"]
    assert client.get(f"/staff/cases/{world['ordinary'].reference}/").status_code == 200
    assert entries() == []
    assert client.get(f"/staff/cases/{sensitive.reference}/").status_code == 200
    download = client.get(f"/staff/cases/{sensitive.reference}/documents/{document.pk}/")
    assert download.status_code == 200
    customer = world["customer"].pk
    assert entries() == [
        (officer.pk, customer, sensitive.pk, None, "sensitive_case", "workspace:case"),
        (officer.pk, customer, sensitive.pk, document.pk, "document", "workspace:case-document"),
    ]


def test_a_page_refused_or_not_found_writes_nothing(staff_client, world):
    adviser = staff_client(world["adviser"])
    assert adviser.get(f"/staff/cases/{world['sensitive'].reference}/").status_code == 404
    assert adviser.get("/staff/customers/999999/").status_code == 404
    assert entries() == []


# --- Reading them -----------------------------------------------------------------------------


def test_an_officer_lists_who_opened_a_customers_records(staff_client, world, monkeypatch):
    customer = world["customer"]
    for when, member in ((2, "adviser"), (1, "housing_officer"), (0, "adviser")):
        AccessEntry.objects.create(
            organisation_id=customer.organisation_id,
            staff=world[member],
            customer=customer,
            what="customer",
            page="workspace:customer",
            at=timezone.now() - timedelta(days=30 * when),
        )
    monkeypatch.setattr(access_log_views, "PAGE_SIZE", 2)
    client = staff_client(world["officer"])
    page = client.get(f"/staff/privacy/access/customers/{customer.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Who opened Verity Hiddenhouse&#39;s records" in text
    assert "3 entries, newest first. Page 1 of 2." in text
    assert world["adviser"].user.get_full_name() in text
    assert "?page=2" in text

    since = (timezone.localdate() - timedelta(days=45)).isoformat()
    filtered = client.get(f"/staff/privacy/access/customers/{customer.pk}/", {"from": since})
    assert "2 entries between these dates, newest first." in filtered.content.decode()
    assert world["housing_officer"].user.get_full_name() in filtered.content.decode()


def test_an_officer_lists_what_a_member_of_staff_opened(staff_client, world):
    staff_client(world["adviser"]).get(f"/staff/customers/{world['customer'].pk}/")
    client = staff_client(world["officer"])
    chosen = client.get("/staff/privacy/access/", {"staff": str(world["adviser"].pk)})
    assert chosen.status_code == 302
    page = client.get(chosen["Location"])
    text = page.content.decode()
    assert f"What {world['adviser'].user.get_full_name()} opened" in text
    assert "Verity Hiddenhouse" in text and "Customer record" in text


def test_a_sensitive_cases_reference_is_shown_only_to_an_officer_on_its_team(
    staff_client, world, housing, council
):
    sensitive = world["sensitive"]
    staff_client(world["housing_officer"]).get(f"/staff/cases/{sensitive.reference}/")
    url = f"/staff/privacy/access/staff/{world['housing_officer'].pk}/"
    outside = staff_client(world["officer"]).get(url).content.decode()
    assert sensitive.reference not in outside
    assert "A case in a sensitive service your team does not handle" in outside
    on_the_team = factories.StaffFactory(
        organisation=council, role=Role.DATA_PROTECTION, teams=[housing]
    )
    assert f"Case {sensitive.reference}" in staff_client(on_the_team).get(url).content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-02-30"}, "From must be a real date, like 2026-04-01"),
        ({"to": "yesterday"}, "To must be a real date, like 2026-04-01"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "To must be the same as or after from"),
        ({"from": "1999-12-31"}, "From must be on or after 1 January 2000"),
    ],
)
def test_dates_that_cannot_be_used_are_explained(staff_client, world, query, message):
    url = f"/staff/privacy/access/customers/{world['customer'].pk}/"
    page = staff_client(world["officer"]).get(url, query)
    assert page.status_code == 400
    assert "There is a problem" in page.content.decode()
    assert message in page.content.decode()


def test_choosing_nobody_or_a_number_that_is_not_one_is_explained(staff_client, world):
    client = staff_client(world["officer"])
    nobody = client.get("/staff/privacy/access/", {"staff": ""})
    assert nobody.status_code == 400
    assert "Select a member of staff from the list" in nobody.content.decode()
    words = client.get("/staff/privacy/access/", {"customer": "Verity"})
    assert words.status_code == 400
    assert "Enter the customer&#39;s number, like 1234" in words.content.decode()
    found = client.get("/staff/privacy/access/", {"customer": str(world["customer"].pk)})
    assert found["Location"] == f"/staff/privacy/access/customers/{world['customer'].pk}/"


def test_only_data_protection_officers_read_the_log_and_only_their_councils(staff_client, world):
    url = f"/staff/privacy/access/customers/{world['customer'].pk}/"
    for role in (Role.ADVISER, Role.MANAGER, Role.ADMIN):
        member = factories.StaffFactory(organisation=world["customer"].organisation, role=role)
        page = staff_client(member).get(url)
        assert page.status_code == 403, role
        assert "Who read what" not in page.content.decode()
    elsewhere = factories.StaffFactory(
        organisation=factories.OrganisationFactory(), role=Role.DATA_PROTECTION
    )
    assert staff_client(elsewhere).get(url).status_code == 404
    staff_page = f"/staff/privacy/access/staff/{world['adviser'].pk}/"
    assert staff_client(elsewhere).get(staff_page).status_code == 404
    officer = staff_client(world["officer"])
    customer_page = officer.get(f"/staff/customers/{world['customer'].pk}/").content.decode()
    assert f'href="{url}"' in customer_page and "Who read what" in customer_page


# --- Subject access and erasure ---------------------------------------------------------------


def test_the_export_shows_who_looked_and_erasure_keeps_the_entries(staff_client, world, tmp_path):
    customer = world["customer"]
    staff_client(world["adviser"]).get(f"/staff/customers/{customer.pk}/")
    call_command("subject_access", customer=customer.pk, out=str(tmp_path))
    exported = json.loads((tmp_path / "subject-access.json").read_text())["records"]
    rows = exported["access_log"]["rows"]
    assert [(row["what"], row["page"]) for row in rows] == [("customer", "workspace:customer")]
    adviser_name = world["adviser"].user.get_full_name()
    redactions = json.loads((tmp_path / "redact-before-release.json").read_text())["values"]
    assert {"kind": "access_log", "record": rows[0]["id"], "field": "looked at by"} in [
        {key: value[key] for key in ("kind", "record", "field")} for value in redactions
    ]
    assert adviser_name in {value["value"] for value in redactions}

    for case in (world["sensitive"], world["ordinary"]):
        case.status = "closed"
        case.save()
    before = entries()
    call_command("erase_customer", customer=customer.pk)
    assert entries() == before
