"""Logging contacts as an adviser does, and the dashboard's figures that follow from them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import ContactDetails, contact_log, contact_repeats_rejudge
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.insight.services import insight_refresh
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def adviser(council):
    return factories.StaffFactory(organisation=council, role=Role.ADVISER)


@pytest.fixture
def manager(council):
    return factories.StaffFactory(organisation=council, role=Role.MANAGER)


@pytest.fixture
def council_tax(council):
    return factories.RequestTypeFactory(
        organisation=council, key="council-tax", name="Council Tax enquiry"
    )


def checked(page: str, name: str) -> str | None:
    """The value of the radio in group ``name`` that the page has checked."""
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        if re.search(r"\schecked", tag):
            return re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    return None


def log(client, customer, **fields):
    return client.post(f"/staff/customers/{customer.pk}/contacts/new/", fields)


def test_the_channel_starts_from_the_role_and_then_the_advisers_last_choice(
    staff_client, adviser, officer, resident
):
    as_adviser = staff_client(adviser)
    form = f"/staff/customers/{resident.pk}/contacts/new/"
    assert checked(as_adviser.get(form).content.decode(), "channel") == "phone"
    assert checked(staff_client(officer).get(form).content.decode(), "channel") == "email"
    log(
        as_adviser,
        resident,
        channel="face_to_face",
        reason="information",
        outcome="signposted",
        signposted_to="Citizens Advice",
    )
    assert checked(as_adviser.get(form).content.decode(), "channel") == "face_to_face"
    # Reception sends its visitors with their channel.
    assert checked(as_adviser.get(f"{form}?channel=letter").content.decode(), "channel") == "letter"
    assert checked(as_adviser.get(f"{form}?channel=pigeon").content.decode(), "channel") == (
        "face_to_face"
    )


def test_every_reason_and_outcome_has_its_own_key(staff_client, adviser, resident):
    page = staff_client(adviser).get(f"/staff/customers/{resident.pk}/contacts/new/").content
    keys = re.findall(r'name="(reason|outcome)"[^>]*data-key="([^"]+)"', page.decode())
    assert {group for group, _ in keys} == {"reason", "outcome"}
    assert len(keys) == 12
    assert len({key.upper() for _, key in keys}) == len(keys)


def test_the_likely_case_is_suggested_and_never_chosen(
    staff_client, adviser, council, resident, missed_bin, council_tax, actor
):
    tax_case = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="council-tax", channel="web", customer=resident),
        actor=actor,
    )
    Case.objects.filter(pk=tax_case.pk).update(updated_at=timezone.now() - timedelta(days=40))
    bin_case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=actor,
    )
    as_adviser = staff_client(adviser)
    page = as_adviser.get(f"/staff/customers/{resident.pk}/contacts/new/").content.decode()
    assert f"Suggested: {bin_case.reference} (Report a missed bin collection)" in page
    assert re.search(r'<option value=""\s*>Not about an existing case', page)
    assert " selected" not in page[page.index('id="case"') :]

    # Once the adviser says which service, the case about it is suggested, however old.
    answered = log(as_adviser, resident, channel="phone", service="council-tax", outcome="")
    assert answered.status_code == 400
    assert f"Suggested: {tax_case.reference} (Council Tax enquiry)" in answered.content.decode()

    # Nothing recent and no service: no suggestion.
    Case.objects.filter(pk=bin_case.pk).update(updated_at=timezone.now() - timedelta(days=40))
    quiet = as_adviser.get(f"/staff/customers/{resident.pk}/contacts/new/").content.decode()
    assert "Suggested:" not in quiet

    # Saved without choosing a case, the contact is not put on one.
    log(
        as_adviser,
        resident,
        channel="phone",
        reason="information",
        outcome="resolved_first_contact",
        service="missed-bin",
    )
    saved = Contact.objects.get(handled_by=adviser.user)
    assert (saved.case, saved.request_type, saved.is_repeat) == (None, missed_bin, True)


def _record(council, actor, first_name: str):
    return customer_create(
        organisation=council,
        details=CustomerDetails(first_name=first_name, last_name="Mason", postcode="TF1 1AA"),
        actor=actor,
    )


def test_merging_two_records_of_one_person_judges_their_contacts_again_and_the_dashboard_agrees(
    staff_client, adviser, manager, council, missed_bin, actor
):
    survivor = _record(council, actor, "Liam")
    duplicate = _record(council, actor, "L")
    today = timezone.localdate()
    first = timezone.now() - timedelta(days=7)
    for record, when in ((duplicate, first), (survivor, first + timedelta(days=6))):
        contact_log(
            organisation=council,
            customer=record,
            request_type=missed_bin,
            details=ContactDetails(
                channel="phone",
                reason="information",
                outcome="resolved_first_contact",
                started_at=when,
            ),
        )
    # Logged long ago, so only the merge can bring their days back to be counted again.
    Contact.objects.update(recorded_at=F("started_at"))
    insight_refresh()
    period = f"start={today - timedelta(days=10)}&end={today}"

    def repeat_share() -> str:
        export = staff_client(manager).get(f"/staff/insight/export/avoidable-contact.csv?{period}")
        rows = list(csv.reader(io.StringIO(export.content.decode())))
        return rows[1][2]

    assert repeat_share() == "0.0"
    merged = staff_client(adviser).post(
        f"/staff/customers/{survivor.pk}/merge/", {"duplicate": duplicate.pk, "confirm": "yes"}
    )
    assert merged.status_code == 302
    later = Contact.objects.get(customer=survivor, started_at__gt=first)
    assert later.is_repeat
    assert not Contact.objects.get(started_at=first).is_repeat
    insight_refresh()
    assert repeat_share() == "50.0"


CONTACT = st.fixed_dictionaries(
    {
        "days": st.integers(min_value=0, max_value=90),
        "service": st.sampled_from(["missed-bin", "council-tax", ""]),
        "reason": st.sampled_from(["information", "new_request", "progress_chasing"]),
        "direction": st.sampled_from(["inbound", "inbound", "outbound"]),
    }
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contacts=st.lists(CONTACT, max_size=8))
def test_judging_again_agrees_with_judging_as_they_were_logged(
    council, missed_bin, council_tax, contacts
):
    customer = factories.CustomerFactory(organisation=council)
    services = {"missed-bin": missed_bin, "council-tax": council_tax, "": None}
    for contact in sorted(contacts, key=lambda item: item["days"]):
        contact_log(
            organisation=council,
            customer=customer,
            request_type=services[contact["service"]],
            details=ContactDetails(
                channel="phone",
                reason=contact["reason"],
                outcome="resolved_first_contact",
                direction=contact["direction"],
                started_at=london(2026, 6, 1, 9) + timedelta(days=contact["days"]),
            ),
        )
    as_logged = list(customer.contacts.order_by("pk").values_list("is_repeat", flat=True))
    assert contact_repeats_rejudge(customer=customer) == 0
    assert list(customer.contacts.order_by("pk").values_list("is_repeat", flat=True)) == as_logged


def test_an_advisers_day_moves_the_dashboard_as_it_should(
    staff_client, adviser, manager, resident, missed_bin, council_tax
):
    """Five calls logged through the workspace, as an adviser would; the figures follow."""
    as_adviser = staff_client(adviser)
    log(
        as_adviser,
        resident,
        channel="phone",
        reason="information",
        outcome="resolved_first_contact",
        service="missed-bin",
    )
    # The same service again the same day: a repeat, raising a case.
    log(
        as_adviser,
        resident,
        channel="phone",
        reason="new_request",
        outcome="case",
        service="missed-bin",
    )
    as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/",
        {"service": "missed-bin", "answer-bin": "Recycling"},
    )
    case = Case.objects.get()
    log(
        as_adviser,
        resident,
        channel="phone",
        reason="progress_chasing",
        outcome="linked_to_case",
        case=case.reference,
    )
    log(
        as_adviser,
        resident,
        channel="phone",
        reason="information",
        outcome="transferred",
        service="council-tax",
    )
    log(
        as_adviser,
        resident,
        channel="email",
        reason="information",
        outcome="signposted",
        signposted_to="Citizens Advice",
    )
    assert Contact.objects.count() == 5
    insight_refresh()
    today = timezone.localdate()
    period = f"start={today}&end={today}"

    def table(key: str) -> dict[str, list[str]]:
        export = staff_client(manager).get(f"/staff/insight/export/{key}.csv?{period}")
        assert export.status_code == 200
        return {row[0]: row[1:] for row in csv.reader(io.StringIO(export.content.decode()))}

    # Fixable: resolved, raised a case, transferred, signposted (not the chase); one fixed.
    assert table("first-time-fix")["All channels"] == ["4", "1", "25.0"]
    assert table("first-time-fix")["Phone"] == ["3", "1", "33.3"]
    # Repeats: the second missed-bin call and the chase; avoidable: the chase.
    assert table("avoidable-contact")["All services"] == ["5", "40.0", "20.0"]
    by_channel = table("contacts-by-channel")
    assert (by_channel["Phone"][0], by_channel["Email"][0]) == ("4", "1")
