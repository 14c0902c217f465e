"""The read paths people wait on take as many queries for a long history as for a short one:
Open311's request list, the single customer view and a team's queue with a filter. What they
show is checked too, so that fewer queries never means less on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_assign, case_open
from civicdesk.cases.models import Case
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create, customer_merge
from civicdesk.integrations.models import Open311Jurisdiction
from civicdesk.organisations.choices import Role

from . import factories

pytestmark = pytest.mark.django_db

OPEN311 = "/open311/v2/requests"


def queries_of(client: Client, address: str, params: dict | None = None) -> tuple[str, int]:
    """The page and how many queries it took, once whatever is kept between requests (the
    session, the jurisdiction) is settled by a first request."""
    assert client.get(address, params).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address, params)
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def open_case(council, actor, *, customer: Customer | None = None, note: str = "") -> Case:
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            answers={"bin": "Recycling"},
            customer=customer,
            description="Bin missed at 4 Holyhead Road, call 07700 900123",
        ),
        actor=actor,
    )
    if note:
        case_add_note(case=case, body="Crew booked", visibility="public", actor=actor)
        case_add_note(case=case, body=note, visibility="public", actor=actor)
        case_add_note(
            case=case, body="Staff only: dog at the gate", visibility="internal", actor=actor
        )
    return case


# Open311


@pytest.fixture
def jurisdiction(council):
    return Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id="wrekin.gov.uk")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_list_takes_as_many_queries_for_thirty_requests_as_for_three(
    fmt, client, jurisdiction, council, actor
):
    params = {"jurisdiction_id": "wrekin.gov.uk"}
    for number in range(3):
        open_case(council, actor, note=f"Crew out, round {number}")
    three, three_queries = queries_of(client, f"{OPEN311}.{fmt}", params)
    for number in range(3, 30):
        open_case(council, actor, note=f"Crew out, round {number}")
    thirty, thirty_queries = queries_of(client, f"{OPEN311}.{fmt}", params)
    assert thirty_queries == three_queries
    assert three.count("Crew out, round") == 3
    assert thirty.count("Crew out, round") == 30
    # Only the newest public note, never a staff-only one, and no contact details.
    assert "Crew booked" not in thirty
    assert "Staff only" not in thirty
    assert "07700" not in thirty and "Holyhead" not in thirty


def test_open311_list_shows_each_request_as_its_case_stands(client, jurisdiction, council, actor):
    with_note = open_case(council, actor, note="Crew out on Tuesday")
    without_note = open_case(council, actor)
    rows = client.get(f"{OPEN311}.json", {"jurisdiction_id": "wrekin.gov.uk"}).json()
    by_reference = {row["service_request_id"]: row for row in rows}
    assert by_reference[with_note.reference]["status_notes"] == "Crew out on Tuesday"
    listed = by_reference[without_note.reference]
    assert listed["status_notes"] == ""
    assert listed["status"] == "open"
    assert listed["service_code"] == "missed-bin"
    assert listed["service_name"] == without_note.request_type.name
    assert listed["agency_responsible"] == without_note.team.name
    assert listed["expected_datetime"] is not None
    assert listed["description"] == "Bin missed at [removed], call [removed]"
    single = client.get(
        f"{OPEN311}/{with_note.reference}.json", {"jurisdiction_id": "wrekin.gov.uk"}
    ).json()
    assert single == [by_reference[with_note.reference]]


# The single customer view


@pytest.fixture
def adviser(council):
    return factories.StaffFactory(organisation=council, role=Role.ADVISER)


def resident_named(council, actor, last_name: str, *, emails=(), phones=(), postcode="TF1 1AA"):
    return customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="Ann",
            last_name=last_name,
            emails=list(emails),
            phones=list(phones),
            address_line_1="4 Holyhead Road",
            town="Wellington",
            postcode=postcode,
        ),
        actor=actor,
    )


def give_history(customer: Customer, council, actor, *, contacts: int, cases: int) -> None:
    for _ in range(cases):
        open_case(council, actor, customer=customer, note="Crew out")
    for number in range(contacts):
        contact_log(
            organisation=council,
            customer=customer,
            details=ContactDetails(
                channel="phone",
                reason="information",
                outcome="resolved_first_contact",
                started_at=timezone.now() - timedelta(hours=number),
                summary=f"Asked about bin day {number}",
            ),
        )


def test_customer_view_takes_as_many_queries_for_a_long_history_as_for_a_short_one(
    staff_client, adviser, council, actor
):
    short = resident_named(council, actor, "Short", emails=["ann.short@example.com"])
    give_history(short, council, actor, contacts=3, cases=1)
    long = resident_named(
        council,
        actor,
        "Long",
        emails=["ann.long@example.com", "ann.work@example.com", "a.long@example.org"],
        phones=["07700 900001", "07700 900002", "01952 380000"],
    )
    give_history(long, council, actor, contacts=30, cases=8)
    # Two records merged into the long one, each with a duplicate of its own elsewhere.
    for number in range(2):
        folded = resident_named(council, actor, f"Folded{number}", postcode="TF2 2BB")
        customer_merge(duplicate=folded, into=long, actor=actor)
    as_adviser = staff_client(adviser)
    _, short_queries = queries_of(as_adviser, f"/staff/customers/{short.pk}/")
    page, long_queries = queries_of(as_adviser, f"/staff/customers/{long.pk}/")
    assert long_queries == short_queries
    assert "Asked about bin day 0" in page
    assert "ann.work@example.com" in page


def test_likely_duplicates_are_found_by_every_rule_in_one_read(
    staff_client, adviser, council, actor
):
    ann = resident_named(
        council, actor, "Smith", emails=["ann@example.com"], phones=["07700 900123"]
    )
    same_email = resident_named(council, actor, "Jones", emails=["ANN@example.com"], postcode="")
    same_phone = resident_named(council, actor, "Brown", phones=["+44 7700 900123"], postcode="")
    same_name_and_postcode = resident_named(council, actor, "Smith")
    same_name_elsewhere = resident_named(council, actor, "Smith", postcode="SY1 1AA")
    merged_away = resident_named(council, actor, "Smith", emails=["ann@example.com"])
    customer_merge(duplicate=merged_away, into=same_email, actor=actor)
    neighbour = factories.OrganisationFactory()
    customer_create(
        organisation=neighbour,
        details=CustomerDetails(first_name="Ann", last_name="Smith", emails=["ann@example.com"]),
        actor=actor,
    )
    from civicdesk.customers.selectors import customer_duplicates

    with CaptureQueriesContext(connection) as captured:
        found = customer_duplicates(customer=ann)
    assert [customer.pk for customer in found] == sorted(
        [same_email.pk, same_phone.pk, same_name_and_postcode.pk]
    )
    assert same_name_elsewhere not in found
    assert len(captured) == 1
    page = staff_client(adviser).get(f"/staff/customers/{ann.pk}/").content.decode()
    assert f"/staff/customers/{same_phone.pk}/" in page


# A team's queue


@pytest.fixture
def lead(council, missed_bin):
    return factories.StaffFactory(
        organisation=council, role=Role.TEAM_LEAD, teams=[missed_bin.service_area.team]
    )


@pytest.mark.parametrize(
    "chosen", [{}, {"status": "assigned"}, {"due": "on_track"}, {"area": "TF1"}]
)
def test_queue_with_a_filter_takes_as_many_queries_for_thirty_cases_as_for_three(
    chosen, staff_client, lead, officer, council, actor, missed_bin
):
    team = missed_bin.service_area.team
    resident = resident_named(council, actor, "Queue")

    def add_cases(count: int) -> None:
        for _ in range(count):
            case = open_case(council, actor, customer=resident)
            case_assign(case=case, actor=actor, officer=officer.user, expected_version=case.version)

    as_lead = staff_client(lead)
    params = {"team": str(team.pk), **chosen}
    add_cases(3)
    three, three_queries = queries_of(as_lead, "/staff/queue/", params)
    add_cases(27)
    thirty, thirty_queries = queries_of(as_lead, "/staff/queue/", params)
    assert thirty_queries == three_queries
    references = set(Case.objects.values_list("reference", flat=True))
    assert sum(reference in three for reference in references) == 3
    assert sum(reference in thirty for reference in references) == 30
    # The first page of the queue without naming a team is the lead's own team's.
    first, _ = queries_of(as_lead, "/staff/queue/")
    assert sum(reference in first for reference in references) == 30


def test_staff_teams_are_read_once_a_page_and_again_after_a_change(council, missed_bin, officer):
    from civicdesk.cases.selectors import cases_visible_to
    from civicdesk.organisations.selectors import team_ids_for

    sensitive = factories.RequestTypeFactory(organisation=council, sensitive=True)
    factories.CaseFactory(
        organisation=council, request_type=sensitive, team=sensitive.service_area.team
    )
    with CaptureQueriesContext(connection) as captured:
        for _ in range(5):
            team_ids_for(officer)
    assert len(captured) == 1
    assert cases_visible_to(officer).count() == 0
    officer.teams.add(sensitive.service_area.team)
    assert cases_visible_to(officer).count() == 1
