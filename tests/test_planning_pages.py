"""The planning pages as a contact-centre manager uses them: the staffing plan with its
what-if, the forecast with its backtest, the rota and its CSV file, and the daily forecast job."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicdesk.contacts.models import Contact
from civicdesk.core.calendar import LONDON
from civicdesk.organisations.choices import Role
from civicdesk.planning.models import ForecastRun
from civicdesk.planning.services import forecasts_make

from . import factories

pytestmark = pytest.mark.django_db

HANDLE_SECONDS = 360


@pytest.fixture
def manager(council):
    return factories.StaffFactory(organisation=council, role=Role.MANAGER)


@pytest.fixture
def phone_history(council):
    """Five weeks of calls: 40 on Mondays and 20 on other weekdays, all between 09:00 and
    12:00, each lasting six minutes."""
    today = timezone.localdate()
    contacts = []
    for back in range(1, 36):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for number in range(40 if day.weekday() == 0 else 20):
            minute = (number * 180 // (40 if day.weekday() == 0 else 20)) % 180
            contacts.append(
                Contact(
                    organisation=council,
                    channel="phone",
                    direction="inbound",
                    started_at=datetime.combine(day, time(9 + minute // 60, minute % 60), LONDON),
                    duration_seconds=HANDLE_SECONDS,
                    reason="information",
                    outcome="resolved_first_contact",
                )
            )
    Contact.objects.bulk_create(contacts)


def next_monday():
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def plan_rows(client, **query) -> dict[str, dict[str, str]]:
    response = client.get("/staff/planning/plan.csv", {"table": "day", **query})
    assert response.status_code == 200, response.content
    reader = csv.DictReader(io.StringIO(response.content.decode()))
    return {row["Half hour"]: row for row in reader}


def test_a_manager_sees_the_advisers_needed_and_the_understaffed_half_hours(
    staff_client, manager, phone_history
):
    client = staff_client(manager)
    client.post(
        "/staff/planning/rota/",
        {"action": "add", "person": "Sam Patel", "channel": "phone", "weekday": "Monday",
         "starts": "09:00", "ends": "17:00"},
    )  # fmt: skip
    monday = next_monday().isoformat()
    page = client.get("/staff/planning/", {"channel": "phone", "day": monday})
    assert page.status_code == 200
    text = page.content.decode()
    assert "360 seconds" in text and "recorded durations" in text
    assert "understaffed" in text
    rows = plan_rows(client, channel="phone", day=monday)
    nine = rows["09:00"]
    assert float(nine["Forecast contacts"]) == pytest.approx(40 / 6, abs=1.5)
    assert int(nine["Staff on the rota"]) == 1
    assert int(nine["Staff needed"]) > 1
    assert nine["Understaffed"] == "Yes"
    # After the morning rush, one person covers the afternoon's nothing.
    assert rows["15:00"]["Understaffed"] == "No"


def test_the_what_if_changes_the_advisers_needed(staff_client, manager, phone_history):
    client = staff_client(manager)
    monday = next_monday().isoformat()
    usual = plan_rows(client, channel="phone", day=monday)["09:00"]
    longer = plan_rows(client, channel="phone", day=monday, handle="900")["09:00"]
    stricter = plan_rows(client, channel="phone", day=monday, level="95", seconds="10")["09:00"]
    assert int(longer["Advisers needed"]) > int(usual["Advisers needed"])
    assert int(stricter["Advisers needed"]) > int(usual["Advisers needed"])
    patient = plan_rows(client, channel="phone", day=monday, patience="30")["09:00"]
    assert int(patient["Advisers needed"]) <= int(usual["Advisers needed"])


def test_bad_what_if_input_is_explained_not_a_crash(staff_client, manager, phone_history):
    response = staff_client(manager).get(
        "/staff/planning/", {"channel": "fax", "day": "someday", "handle": "-5", "level": "100"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    for field in ("channel", "day", "handle", "level"):
        assert f'href="#{field}"' in page
    assert "Enter a handle time from 1 to 14,400 seconds" in page


def test_without_recorded_durations_the_channel_setting_is_used_and_said(
    staff_client, manager, phone_history
):
    page = staff_client(manager).get("/staff/planning/", {"channel": "chat"}).content.decode()
    assert "the channel&#39;s setting" in page or "the channel's setting" in page


def test_the_forecast_page_shows_the_backtest_against_both_baselines(
    staff_client, manager, phone_history
):
    client = staff_client(manager)
    page = client.get("/staff/planning/forecast/", {"weeks": "1"}).content.decode()
    assert "Same weekday last week (baseline)" in page
    assert "Mean of the same weekday over the last 4 weeks (baseline)" in page
    assert "No forecast: this channel needs at least two weeks" in page  # email: no history
    exported = client.get("/staff/planning/forecast.csv", {"channel": "phone", "weeks": "1"})
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:2] == ["Day", "Forecast"]
    assert len(rows) == 1 + 7
    mondays = [float(row[1]) for row in rows[1:] if row[0].startswith("Mon")]
    sundays = [float(row[1]) for row in rows[1:] if row[0].startswith("Sun")]
    assert mondays[0] > 30 and sundays[0] < 1
    assert client.get("/staff/planning/forecast/", {"weeks": "9"}).status_code == 400


def test_the_rota_is_replaced_from_a_csv_file_only_when_every_row_is_right(
    staff_client, manager, phone_history
):
    client = staff_client(manager)
    good = "name,channel,weekday,start,end\nSam Patel,phone,Monday,09:00,13:00\n" \
        "Jo Brown,phone,Mon,09:00,12:30\n"  # fmt: skip
    response = client.post(
        "/staff/planning/rota/",
        {"action": "upload", "file": SimpleUploadedFile("rota.csv", good.encode())},
    )
    assert response.status_code == 302
    assert "Jo Brown" in client.get("/staff/planning/rota/").content.decode()
    rows = plan_rows(client, channel="phone", day=next_monday().isoformat())
    assert int(rows["09:00"]["Staff on the rota"]) == 2
    assert int(rows["12:30"]["Staff on the rota"]) == 1

    bad = good + "Al Green,phone,Someday,09:00,10:00\n"
    refused = client.post(
        "/staff/planning/rota/",
        {"action": "upload", "file": SimpleUploadedFile("rota.csv", bad.encode())},
    )
    assert refused.status_code == 400
    assert "Row 4: Choose a day of the week" in refused.content.decode()
    assert "Al Green" not in client.get("/staff/planning/rota/").content.decode()

    # A file that is not CSV at all (a field longer than any CSV reader takes) is refused too.
    huge = good + "x" * 200_000 + ",phone,Monday,09:00,10:00\n"
    unreadable = client.post(
        "/staff/planning/rota/",
        {"action": "upload", "file": SimpleUploadedFile("rota.csv", huge.encode())},
    )
    assert unreadable.status_code == 400
    assert "is not a CSV file we can read" in unreadable.content.decode()
    assert "Jo Brown" in client.get("/staff/planning/rota/").content.decode()


def test_the_worker_makes_each_channels_forecast_once_a_day(council, phone_history):
    today = timezone.localdate()
    assert forecasts_make(today=today) == 1  # phone: the other channels have no history
    forecasts_make(today=today)
    run = ForecastRun.objects.get(organisation=council, channel="phone")
    assert run.made_on == today
    assert run.days.count() == 56
    assert run.days.first().day == today


@pytest.fixture
def email_history(council):
    """Five weeks of 20 emails every weekday, with no recorded durations."""
    today = timezone.localdate()
    Contact.objects.bulk_create(
        Contact(
            organisation=council,
            channel="email",
            direction="inbound",
            started_at=datetime.combine(day, time(10, number), LONDON),
            reason="information",
            outcome="resolved_first_contact",
        )
        for back in range(1, 36)
        if (day := today - timedelta(days=back)).weekday() < 5
        for number in range(20)
    )


def written_rows(client, **query) -> list[dict[str, str]]:
    response = client.get("/staff/planning/written.csv", query)
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_written_work_is_turned_into_staff_hours_within_the_timescale(
    staff_client, manager, email_history
):
    client = staff_client(manager)
    page = client.get("/staff/planning/written/", {"channel": "email"})
    assert page.status_code == 200
    assert "answered within 5 working days" in page.content.decode()
    usual = written_rows(client, channel="email")
    assert all(date_is_weekday(row["Day"]) for row in usual)
    hours = [float(row["Staff hours needed"]) for row in usual[5:20]]
    # 20 emails a working day at 8 minutes each: about 2.7 hours a day, levelled.
    assert statistics.mean(hours) == pytest.approx(20 * 8 / 60, rel=0.2)
    slower = written_rows(client, channel="email", minutes="16")
    for double, single in zip(slower, usual, strict=True):
        # Twice the minutes, twice the hours (to the tenth of an hour the file shows).
        assert float(double["Staff hours needed"]) == pytest.approx(
            2 * float(single["Staff hours needed"]), abs=0.11
        )
    refused = client.get("/staff/planning/written/", {"channel": "email", "days": "0"})
    assert refused.status_code == 400
    assert "whole number of working days" in refused.content.decode()


def date_is_weekday(label: str) -> bool:
    return label[:3] in {"Mon", "Tue", "Wed", "Thu", "Fri"}


def test_the_forecast_made_beforehand_is_compared_with_what_came_in(
    staff_client, manager, council, phone_history
):
    from civicdesk.planning.services import forecast_make

    today = timezone.localdate()
    forecast_make(organisation=council, channel="phone", made_on=today - timedelta(days=7))
    page = staff_client(manager).get("/staff/planning/forecast/").content.decode()
    assert "Phone: forecast against what came in, last 4 weeks" in page
    assert "Over these 7 days the forecast was out by" in page
