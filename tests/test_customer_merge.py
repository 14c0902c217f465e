"""Merging two records of one person through the staff pages: the adviser chooses which name,
address and date of birth to keep, and the values not kept stay as the record's history."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.core.management import call_command

from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create, customer_merge

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_adviser(staff_client, council):
    return staff_client(factories.StaffFactory(organisation=council, role="adviser"))


@pytest.fixture
def short_record(council, actor):
    """The record the adviser keeps: an initial for a first name, the old address."""
    return customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="L",
            last_name="Mason",
            phones=["07700 900456"],
            address_line_1="12 Station Road",
            town="Oakengates",
            postcode="TF2 6DU",
        ),
        actor=actor,
    )


@pytest.fixture
def full_record(council, actor):
    """The same caller recorded again: the whole first name, a new address, a date of birth."""
    return customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="Liam",
            last_name="Mason",
            phones=["07700 900456"],
            date_of_birth=date(1984, 5, 17),
            address_line_1="3 Church Street",
            address_line_2="Flat 2",
            town="Wellington",
            postcode="TF1 1DS",
        ),
        actor=actor,
    )


def merge_url(survivor: Customer) -> str:
    return f"/staff/customers/{survivor.pk}/merge/"


def checked(page: str, name: str) -> str | None:
    """The value of the radio selected for ``name`` on the page."""
    for attributes in re.findall(r"<input [^>]*>", page):
        if f'name="{name}"' in attributes and "checked" in attributes:
            found = re.search(r'value="([^"]*)"', attributes)
            return found.group(1) if found else None
    return None


def test_the_page_offers_each_value_the_records_differ_on_with_the_fuller_one_selected(
    as_adviser, short_record, full_record
):
    page = as_adviser.post(merge_url(short_record), {"duplicate": full_record.pk}).content.decode()
    assert "Choose what the record keeps" in page
    # The same surname is not asked about; the first name is, the whole name selected.
    assert 'name="keep-last_name"' not in page
    assert checked(page, "keep-first_name") == "Liam"
    assert "L (the record that stays)" in page and "Liam (the record merged into it)" in page
    # The record that stays keeps its own address unless the adviser says otherwise...
    assert checked(page, "keep-address") == "12 Station Road, Oakengates, TF2 6DU"
    # ...and takes a date of birth it does not have.
    assert checked(page, "keep-date_of_birth") == "1984-05-17"
    assert "17 May 1984 (the record merged into it)" in page
    assert "Not recorded (the record that stays)" in page


def test_the_chosen_values_are_kept_and_the_others_shown_as_history(
    as_adviser, short_record, full_record
):
    done = as_adviser.post(
        merge_url(short_record),
        {
            "duplicate": full_record.pk,
            "confirm": "yes",
            "keep-first_name": "Liam",
            "keep-address": "3 Church Street, Flat 2, Wellington, TF1 1DS",
            "keep-date_of_birth": "1984-05-17",
        },
    )
    assert done["Location"] == f"/staff/customers/{short_record.pk}/"
    kept = Customer.objects.get(pk=short_record.pk)
    assert (kept.first_name, kept.last_name, kept.date_of_birth) == (
        "Liam",
        "Mason",
        date(1984, 5, 17),
    )
    assert kept.address_lines == ["3 Church Street", "Flat 2", "Wellington", "TF1 1DS"]

    page = as_adviser.get(done["Location"]).content.decode()
    history = page[page.index("Previously known as") :]
    assert "L Mason" in history.split("</dd>")[0]
    previous_addresses = history[history.index("Previous addresses") :].split("</dd>")[0]
    assert "12 Station Road<br>Oakengates, TF2 6DU" not in previous_addresses
    assert "12 Station Road, Oakengates, TF2 6DU" in previous_addresses
    # The audit entry of the merge keeps what was there before and what was kept.
    entry = AuditEvent.objects.get(subject_id=kept.pk, action="merged_from")
    assert entry.before["values"]["first_name"] == "L"
    assert entry.after["values"]["first_name"] == "Liam"


def test_keeping_the_survivors_values_changes_nothing_on_it_but_keeps_the_others(
    as_adviser, short_record, full_record
):
    as_adviser.post(
        merge_url(short_record),
        {
            "duplicate": full_record.pk,
            "confirm": "yes",
            "keep-first_name": "L",
            "keep-address": "12 Station Road, Oakengates, TF2 6DU",
            "keep-date_of_birth": "",
        },
    )
    kept = Customer.objects.get(pk=short_record.pk)
    assert (kept.first_name, kept.date_of_birth, kept.postcode) == ("L", None, "TF2 6DU")
    page = as_adviser.get(f"/staff/customers/{kept.pk}/").content.decode()
    assert "Liam Mason" in page[page.index("Previously known as") :]
    assert "3 Church Street, Flat 2, Wellington, TF1 1DS" in page
    assert "17 May 1984" in page[page.index("Other dates of birth recorded") :]


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"keep-first_name": "Lucy"}, "Choose one of the two records"),
        ({"keep-address": "1 Nowhere Lane"}, "Choose one of the two records"),
        ({"keep-favourite_colour": "Blue"}, "This is not a value a merge can keep"),
    ],
)
def test_a_value_from_neither_record_is_refused_and_nothing_is_merged(
    as_adviser, short_record, full_record, posted, message
):
    refused = as_adviser.post(
        merge_url(short_record), {"duplicate": full_record.pk, "confirm": "yes", **posted}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "govuk-error-summary" in page and message in page
    assert Customer.objects.get(pk=full_record.pk).merged_into_id is None
    assert Customer.objects.get(pk=short_record.pk).first_name == "L"
    assert not AuditEvent.objects.filter(action__startswith="merged").exists()


def test_a_merge_without_choices_keeps_the_suggested_values(short_record, full_record, actor):
    """A merge asked for without choices keeps what the merge page would have suggested."""
    kept = customer_merge(duplicate=full_record, into=short_record, actor=actor)
    assert (kept.first_name, kept.postcode, kept.date_of_birth) == (
        "Liam",
        "TF2 6DU",
        date(1984, 5, 17),
    )


def test_the_history_is_in_a_subject_access_export_and_erased_with_the_customer(
    as_adviser, short_record, full_record, tmp_path
):
    as_adviser.post(
        merge_url(short_record),
        {"duplicate": full_record.pk, "confirm": "yes", "keep-first_name": "Liam"},
    )
    call_command("subject_access", customer=short_record.pk, out=str(tmp_path))
    exported = json.loads((tmp_path / "subject-access.json").read_text())
    audit_rows = json.dumps(exported["records"]["audit_entries"])
    assert '"L Mason"' in audit_rows and "3 Church Street, Flat 2" in audit_rows

    call_command("erase_customer", customer=short_record.pk)
    left = [
        json.dumps([entry.before, entry.after])
        for entry in AuditEvent.objects.filter(action__startswith="merged")
    ]
    assert left and not any("L Mason" in text or "Church Street" in text for text in left)
