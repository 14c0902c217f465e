"""Moving in from the old system: a council brings its customers and its open and recent cases
over from CSV exports, checked line by line first, without ever making a second copy, with the
charter clocks running from when the old system received each case; staff and residents find a
case by its old reference."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from html import unescape
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from civicdesk.cases.charter_sweep import charter_sweep
from civicdesk.cases.models import Case
from civicdesk.core.calendar import LONDON
from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import Customer
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
CUSTOMERS = DATA / "millbrook-old-customers.csv"
CASES = DATA / "millbrook-old-cases.csv"
CUSTOMER_HEADER = (
    "id,title,first_name,last_name,business_name,address_line_1,address_line_2,town,postcode,"
    "email,phone\n"
)
CASE_HEADER = (
    "reference,service,status,received,closed,customer_id,priority,channel,description,"
    "location,notes\n"
)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def move_in(*extra: str, customers: Path = CUSTOMERS, cases: Path = CASES) -> str:
    return run(
        "legacy_import",
        "--council=millbrook",
        f"--customers={customers}",
        f"--cases={cases}",
        *extra,
    )


@pytest.fixture
def millbrook() -> Organisation:
    run(
        "council_create",
        "--slug=millbrook",
        "--name=Millbrook Borough Council",
        "--kind=unitary",
        "--nation=england",
        f"--boundary={DATA / 'millbrook-boundary.geojson'}",
    )
    run("catalogue_import", "--council=millbrook", str(DATA / "millbrook-catalogue.csv"))
    return Organisation.objects.get(slug="millbrook")


def old(reference: str) -> Case:
    return Case.objects.get(legacy_reference=reference)


def test_a_dry_run_checks_the_files_and_brings_nothing_over(millbrook):
    printed = move_in("--dry-run")
    assert "(dry run: nothing changed)" in printed
    assert "4 customers would be added" in printed
    assert "4 cases would be added" in printed
    assert not Customer.objects.exists()
    assert not Case.objects.exists()


def test_customers_and_cases_come_over_as_the_old_system_had_them(millbrook):
    printed = move_in()
    assert "4 customers added" in printed
    assert "4 cases added" in printed
    assert re.search(
        r"Took [\d.]+ seconds, in \d+ transactions? taking lines for up to 80 ms each "
        r"\(the longest was open \d+ ms\)",
        printed,
    )

    joan = Customer.objects.get(last_name="Hartley")
    assert (joan.title, joan.address_line_1, joan.postcode) == ("Mrs", "12 Mill Lane", "DE4 3AG")
    assert [d.value for d in joan.details.all()] == ["joan.hartley@example.com", "07700 900461"]
    peter = Customer.objects.get(last_name="Lunn")
    assert peter.postcode == "DE4 3EF"
    assert sorted(d.value for d in peter.details.filter(kind="email")) == [
        "p.lunn@example.org",
        "peter.lunn@example.com",
    ]
    bakery = Customer.objects.get(business_name="Millbrook Bakery Ltd")
    assert bakery.kind == "business"

    bin_case = old("WST/2025/0141")
    assert bin_case.customer == joan
    assert bin_case.request_type.key == "missed-bin"
    assert bin_case.status == "in_progress"
    assert bin_case.team.name == "Waste crews"
    assert bin_case.opened_at == datetime(2025, 11, 3, 9, 0, tzinfo=LONDON)
    assert bin_case.description == "Green bin missed on Monday's round."
    assert bin_case.location_text == "12 Mill Lane"
    note = bin_case.notes.get()
    assert (note.visibility, note.body) == ("internal", "Crew said a parked van blocked the lane.")
    # A fresh reference of our own, which is what the resident is told from now on.
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", bin_case.reference)

    by_name = old("WST/2025/0150")
    assert by_name.request_type.key == "missed-bin"
    assert by_name.status == "closed"
    assert by_name.closed_at == datetime(2025, 11, 6, 14, 30, tzinfo=LONDON)
    assert by_name.clock_state == "stopped"
    resolved = old("ENV/2025/0081")
    assert resolved.customer is None
    assert resolved.resolved_at == datetime(2025, 12, 5, 17, 0, tzinfo=LONDON)
    assert resolved.closed_at is None

    # Nobody is written to about cases the old system already told them about.
    assert not OutboxMessage.objects.exists()
    imported = AuditEvent.objects.filter(subject_type="case", action="imported")
    assert imported.count() == 4
    assert AuditEvent.objects.filter(action="legacy_imported").count() == 1


def test_charter_clocks_run_from_when_the_old_system_received_the_case(millbrook):
    move_in()
    bin_case = old("WST/2025/0141")  # received Monday 3 November 2025, 2 working days
    assert bin_case.clock_started_at == datetime(2025, 11, 3, 9, 0, tzinfo=LONDON)
    assert bin_case.due_at == datetime(2025, 11, 5, 17, 0, tzinfo=LONDON)
    urgent = old("ENV/2025/0077")  # urgent fly-tipping: 1 working day from 08:15 on Monday
    assert urgent.priority == "urgent"
    assert urgent.due_at == datetime(2025, 12, 2, 17, 0, tzinfo=LONDON)

    officer = factories.StaffFactory(
        organisation=millbrook, role=Role.OFFICER, teams=list(millbrook.teams.all())
    )
    client = Client()
    sign_in_with_both_factors(client, officer.user)
    overdue = text(client.get("/staff/queue/", {"team": "", "due": "overdue"}))
    assert bin_case.reference in overdue
    assert urgent.reference in overdue
    assert old("WST/2025/0150").reference not in overdue  # closed in the old system

    swept = charter_sweep()
    assert swept.overdue == 2
    assert old("WST/2025/0141").clock_state == "overdue"


def test_importing_again_never_makes_a_second_copy(tmp_path, millbrook):
    move_in()
    again = move_in()
    assert "0 customers added" in again
    assert "4 customers brought over before, unchanged" in again
    assert "4 cases brought over before, unchanged" in again
    assert "there was nothing new to write" in again
    assert Customer.objects.count() == 4
    assert Case.objects.count() == 4

    # Meanwhile the old system closed the fly-tipping report and took a mobile number for Dev.
    customers = tmp_path / "customers.csv"
    customers.write_text(
        CUSTOMERS.read_text().replace("01632 960412", "01632 960412; 07700 900463")
    )
    cases = tmp_path / "cases.csv"
    cases.write_text(
        CASES.read_text().replace(
            "ENV/2025/0077,Report fly-tipping,open,2025-12-01 08:15,,",
            "ENV/2025/0077,Report fly-tipping,closed,2025-12-01 08:15,2025-12-03 11:00,",
        )
    )
    later = move_in(customers=customers, cases=cases)
    assert "1 customer brought over before was given new email addresses or phone" in later
    assert "1 case the old system has finished since the last import closed here too" in later
    dev = Customer.objects.get(last_name="Okafor")
    assert sorted(d.value for d in dev.details.all()) == ["01632 960412", "07700 900463"]
    fly_tipping = old("ENV/2025/0077")
    assert fly_tipping.status == "closed"
    assert fly_tipping.closed_at == datetime(2025, 12, 3, 11, 0, tzinfo=LONDON)
    assert Case.objects.count() == 4
    assert not OutboxMessage.objects.exists()


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_every_bad_line_is_reported_and_nothing_is_brought_over(tmp_path, millbrook):
    customers = write(
        tmp_path,
        "customers.csv",
        CUSTOMER_HEADER
        + "C1,,Ann,Smith,,1 Mill Lane,,Millbrook,DE4 3AG,ann@example,07700 900461\n"
        + "C2,,Bob,Jones,,2 Mill Lane,,Millbrook,not a postcode,,01632 96\n"
        + "C1,,Ann,Smith,,1 Mill Lane,,Millbrook,DE4 3AG,,\n"
        + "C3,,,,,3 Mill Lane,,Millbrook,DE4 3AG,,\n",
    )
    cases = write(
        tmp_path,
        "cases.csv",
        CASE_HEADER
        + "A/1,Report a pothole,open,2025-11-03,,C2,,,,,\n"
        + "A/2,missed-bin,open,31/02/2025,,C2,,,,,\n"
        + "A/3,missed-bin,open,2025-11-03,,C9,,,,,\n"
        + "a 1,missed-bin,open,2025-11-03,,C2,,,,,\n"
        + "A/5,missed-bin,closed,2025-11-03,,C2,,,,,\n"
        + "A/6,missed-bin,closed,2025-11-03,2025-11-01,,,,,,\n"
        + "A/7,bin-day,open,2025-11-03,,,,,,,\n"
        + "A/8,missed-bin,pending,2025-11-03,,,,,,,\n"
        + "A/9,missed-bin,open,2099-01-01,,,,,,,\n"
        + "A/10,missed-bin,open,2025-11-03,,,high,fax,,,\n",
    )
    report = tmp_path / "problems.csv"
    errors = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: the files have 16 problems"):
        call_command(
            "legacy_import",
            "--council=millbrook",
            f"--customers={customers}",
            f"--cases={cases}",
            f"--report={report}",
            stdout=StringIO(),
            stderr=errors,
        )
    listed = errors.getvalue()
    expected = [
        "customers line 2, email: enter an email address in the correct format",
        "customers line 3, postcode: this is not a UK postcode, like TF1 1AA",
        "customers line 3, phone: enter a telephone number with all its digits",
        "customers line 4, id: C1 is also the id on line 2",
        "customers line 5, name: give a first_name, last_name or business_name",
        "cases line 2, service: there is no service 'Report a pothole' in the catalogue",
        "cases line 3, received: '31/02/2025' is not a date: write it like 2025-03-31",
        "cases line 4, customer_id: there is no customer C9 in the customers file",
        "cases line 5, reference: a 1 is also the reference on line 2",
        "cases line 6, closed: a closed case needs the date it was closed",
        "cases line 7, closed: it was closed before it was received",
        "cases line 8, service: Find your bin collection day is information only",
        "cases line 9, status: 'pending' is not a status",
        "cases line 10, received: 2099-01-01 is in the future",
        "cases line 11, priority: 'high' is not a priority",
        "cases line 11, channel: 'fax' is not a way in",
    ]
    for problem in expected:
        assert problem in listed
    # Personal data stays out of the report, which an operator may keep or pass around.
    assert "'not a postcode'" not in listed
    assert listed.startswith("16 problems in the cases and customers files:")
    with report.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert {(row["file"], row["line"], row["column"]) for row in rows} >= {
        ("customers", "2", "email"),
        ("cases", "11", "channel"),
    }
    assert not Customer.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("reference,service\nA/1,missed-bin\n", "has no status and received columns"),
        (CASE_HEADER.strip() + ",officer\n", "has columns it cannot use: officer"),
    ],
)
def test_a_file_with_the_wrong_columns_is_refused(tmp_path, millbrook, content, message):
    with pytest.raises(CommandError, match=message):
        run("legacy_import", "--council=millbrook", f"--cases={write(tmp_path, 'c.csv', content)}")
    with pytest.raises(CommandError, match="Give the customers file"):
        run("legacy_import", "--council=millbrook")
    empty = write(tmp_path, "empty.csv", CASE_HEADER)
    with pytest.raises(CommandError, match="There is nothing to import"):
        run("legacy_import", "--council=millbrook", f"--cases={empty}")


def test_staff_find_a_case_and_its_customer_by_the_old_reference(millbrook):
    move_in()
    adviser = factories.StaffFactory(organisation=millbrook, role=Role.ADVISER)
    client = Client()
    sign_in_with_both_factors(client, adviser.user)
    bin_case = old("WST/2025/0141")
    found = text(client.get("/staff/", {"q": "wst 2025 0141"}))
    assert "Case with this reference" in found
    assert f">{bin_case.reference}</a> (was WST/2025/0141 in the old system)" in found
    assert "Joan Hartley" in found
    # A case the old system recorded without a customer is found too.
    anonymous = old("ENV/2025/0081")
    assert anonymous.reference in text(client.get("/staff/", {"q": "ENV/2025/0081"}))
    case_page = text(client.get(f"/staff/cases/{bin_case.reference}/"))
    assert re.search(r"Old system's reference </dt> <dd[^>]*> WST/2025/0141", case_page)
    # Another council's staff do not find it.
    elsewhere = factories.StaffFactory(role=Role.ADVISER)
    other = Client()
    sign_in_with_both_factors(other, elsewhere.user)
    assert bin_case.reference not in text(other.get("/staff/", {"q": "WST/2025/0141"}))


def test_a_resident_who_quotes_their_old_reference_is_found(millbrook):
    resident = Client()
    works_too = "A reference from our old system works too."
    assert works_too not in text(resident.get("/millbrook/track/"))
    move_in()
    assert works_too in text(resident.get("/millbrook/track/"))
    bin_case = old("WST/2025/0141")
    found = resident.post(
        "/millbrook/track/",
        {"reference": "wst-2025-0141", "email_or_phone": "joan.hartley@example.com"},
    )
    page = text(found)
    assert f"Request {bin_case.reference}" in page
    assert f"This is the new reference for request WST/2025/0141. Use {bin_case.reference}" in page
    assert "Brought over from the council's previous system" in page
    wrong = resident.post(
        "/millbrook/track/",
        {"reference": "WST/2025/0141", "email_or_phone": "someone@example.com"},
    )
    assert wrong.status_code == 400
    assert "We could not find a request with that reference" in text(wrong)
