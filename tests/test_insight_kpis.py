"""Each dashboard figure against a small hand-made council whose right answers are worked out
here, read through the summaries the worker keeps up to date."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from civicdesk.cases.choices import CaseStatus, ClockState
from civicdesk.cases.models import Case
from civicdesk.contacts.models import Contact
from civicdesk.customers.models import AccountSignIn
from civicdesk.feedback.models import ContactRating
from civicdesk.insight import services
from civicdesk.insight.models import ContactDaily, RefreshMark
from civicdesk.insight.selectors import dashboard, satisfaction
from civicdesk.insight.selectors.common import Filters
from civicdesk.insight.services import insight_refresh

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(council):
    waste = factories.RequestTypeFactory(organisation=council, name="Missed bin")
    roads = factories.RequestTypeFactory(organisation=council, name="Pothole")
    waste.service_area.name, roads.service_area.name = "Waste", "Roads"
    waste.service_area.save()
    roads.service_area.save()

    def contact(
        moment, channel, request_type, reason="new_request", outcome="case_created", **extra
    ):
        return factories.ContactFactory(
            organisation=council,
            started_at=moment,
            channel=channel,
            request_type=request_type,
            reason=reason,
            outcome=outcome,
            **extra,
        )

    # Monday 2 November 2026 (GMT), Friday 6 November, and Monday 1 June 2026 (BST): 00:30 in
    # London is 23:30 on Sunday in UTC, and must count as Monday.
    contact(london(2026, 11, 2, 9, 30), "phone", waste, outcome="resolved_first_contact")
    contact(
        london(2026, 11, 2, 10, 15),
        "phone",
        waste,
        reason="progress_chasing",
        outcome="linked_to_case",
        is_repeat=True,
    )
    contact(london(2026, 11, 2, 10, 45), "email", roads, reason="failure_demand")
    contact(london(2026, 11, 6, 16, 20), "web", waste)
    contact(london(2026, 11, 6, 16, 50), "phone", roads, outcome="abandoned")
    contact(london(2026, 6, 1, 0, 30), "web", roads, outcome="resolved_first_contact")
    # Our own message to a resident is not demand.
    contact(
        london(2026, 11, 3, 12, 0),
        "email",
        waste,
        direction="outbound",
        outcome="notification_sent",
    )

    def case(opened, resolved, due, channel, request_type):
        return factories.CaseFactory(
            organisation=council,
            request_type=request_type,
            channel=channel,
            opened_at=opened,
            resolved_at=resolved,
            due_at=due,
            status=CaseStatus.RESOLVED,
        )

    # Working days taken: 2 (Mon to Wed), 1 (Fri to Mon), 10 (two weeks), and 1 over
    # Christmas (25 and 28 December 2026 are bank holidays, 26 and 27 a weekend).
    case(london(2026, 11, 2, 10), london(2026, 11, 4, 15), london(2026, 11, 4, 17), "email", waste)
    case(london(2026, 11, 6, 11), london(2026, 11, 9, 9), london(2026, 11, 10, 17), "email", roads)
    case(london(2026, 11, 2, 11), london(2026, 11, 16, 12), london(2026, 11, 9, 17), "phone", waste)
    case(london(2026, 12, 24, 10), london(2026, 12, 29, 10), None, "web", roads)
    insight_refresh()
    return {"waste": waste.service_area, "roads": roads.service_area}


def whole_year(council, **extra) -> Filters:
    return Filters(organisation=council, start=date(2026, 1, 1), end=date(2026, 12, 31), **extra)


def column(table, name: str) -> dict:
    index = table.columns.index(name)
    return {row[0]: row[index] for row in table.rows}


def test_contacts_by_channel_count_only_what_customers_sent(council, town):
    table = dashboard.contacts_by_channel(whole_year(council))
    assert column(table, "Contacts") == {"Phone": 3, "Website": 2, "Email": 1}
    assert column(table, "Share (%)")["Phone"] == 50.0


def test_weekday_and_hour_are_in_uk_time(council, town):
    by_day = column(dashboard.contacts_by_weekday(whole_year(council)), "Contacts")
    # Three on Monday 2 November and one just after midnight on Monday 1 June (BST).
    assert (by_day["Monday"], by_day["Friday"], by_day["Sunday"]) == (4, 2, 0)
    by_hour = column(dashboard.contacts_by_hour(whole_year(council)), "Contacts")
    assert (by_hour["00:00"], by_hour["10:00"], by_hour["16:00"], by_hour["23:00"]) == (1, 2, 2, 0)


def test_weekday_average_divides_by_the_weekdays_in_the_period(council, town):
    # November 2026 has five Mondays, and three contacts fell on them.
    november = Filters(organisation=council, start=date(2026, 11, 1), end=date(2026, 11, 30))
    table = dashboard.contacts_by_weekday(november)
    assert column(table, "Average a day")["Monday"] == round(3 / 5, 1)


def test_filters_narrow_every_count(council, town):
    roads_only = whole_year(council, service_area_id=town["roads"].pk)
    assert column(dashboard.contacts_by_channel(roads_only), "Contacts") == {
        "Phone": 1,
        "Email": 1,
        "Website": 1,
    }
    phone_only = whole_year(council, channel="phone")
    assert column(dashboard.contacts_by_channel(phone_only), "Contacts") == {"Phone": 3}
    june = Filters(organisation=council, start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert column(dashboard.contacts_by_channel(june), "Contacts") == {"Website": 1}


def test_channel_shift_gives_each_months_share(council, town):
    table = dashboard.contacts_by_month(whole_year(council))
    row = next(row for row in table.rows if row[0] == "November 2026")
    november = dict(zip(table.columns, row, strict=True))
    assert november["Contacts"] == 5
    assert (november["Phone (%)"], november["Email (%)"], november["Website (%)"]) == (
        60.0,
        20.0,
        20.0,
    )


def test_season(council, town):
    table = dashboard.contacts_by_season(whole_year(council))
    assert column(table, "Contacts") == {
        "Winter 2025 to 2026": 0,
        "Spring 2026": 0,
        "Summer 2026": 1,
        "Autumn 2026": 5,
        "Winter 2026 to 2027": 0,
    }
    # 2026 holds January and February of one winter and December of the next: two winters,
    # each only partly, never one winter with two Decembers.
    assert column(table, "Days in the period") == {
        "Winter 2025 to 2026": "59 of 90",
        "Spring 2026": "92",
        "Summer 2026": "92",
        "Autumn 2026": "91",
        "Winter 2026 to 2027": "31 of 90",
    }
    assert column(table, "Contacts a day")["Autumn 2026"] == round(5 / 91, 1)


def test_first_time_fix_leaves_out_abandoned_and_existing_case_contacts(council, town):
    table = dashboard.first_time_fix(whole_year(council))
    # Could be fixed: the 09:30 call, the email, the web form and the June web contact (the
    # chase was about an open case, the 16:50 call was abandoned). Fixed: two of them.
    assert table.rows[-1] == ["All channels", 4, 2, 50.0]


def test_repeat_and_avoidable_contact(council, town):
    table = dashboard.avoidable_contact(whole_year(council))
    rates = {row[0]: row[1:] for row in table.rows}
    assert rates["All services"] == [6, round(100 / 6, 1), round(200 / 6, 1)]
    assert rates["Waste"] == [3, round(100 / 3, 1), round(100 / 3, 1)]
    assert "Roads: Something went wrong (1)" in table.notes[0]
    assert "Waste: Chasing progress (1)" in table.notes[0]


def test_response_against_the_charter_in_working_days(council, town):
    table = dashboard.response_times(whole_year(council), by="channel")
    rows = {row[0]: row[1:] for row in table.rows}
    # Email: 2 and 1 working days, both in time: median 1, 90th percentile 2.
    assert rows["Email"] == [2, 100.0, 1, 2]
    assert rows["Phone"] == [1, 0.0, 10, 10]
    # The Christmas case took one working day and had no target.
    assert rows["Website"] == [1, None, 1, 1]
    by_service = {
        row[0]: row[1:] for row in dashboard.response_times(whole_year(council), by="service").rows
    }
    assert by_service["Waste"] == [2, 50.0, 2, 10]


def test_net_satisfaction_by_channel(council, town):
    for rating in ["good", "good", "good", "average", "poor"]:
        ContactRating.objects.create(
            organisation=council,
            channel="phone",
            source="adviser",
            rating=rating,
            service_area=town["waste"],
            created_at=london(2026, 11, 2, 12),
        )
    ContactRating.objects.create(
        organisation=council,
        channel="web",
        source="portal",
        rating="poor",
        created_at=london(2026, 11, 3, 12),
    )
    insight_refresh()
    rows = {
        row[0]: row[1:]
        for row in satisfaction.net_satisfaction(whole_year(council), by="channel").rows
    }
    assert rows["Phone"] == [5, 3, 1, 1, 40.0]
    assert rows["Website"] == [1, 0, 0, 1, -100.0]
    by_month = satisfaction.net_satisfaction(whole_year(council), by="month").rows
    assert by_month == [["November 2026", 6, 3, 1, 2, round(100 / 6, 1)]]


def test_open_and_overdue_work_now(council, town):
    roads = town["roads"]
    request_type = roads.request_types.first()
    for state in (ClockState.OVERDUE, ClockState.ON_TRACK):
        factories.CaseFactory(organisation=council, request_type=request_type, clock_state=state)
    assert dashboard.open_work(whole_year(council)).rows == [["Roads", 2, 1]]


def test_active_accounts(council):
    now = london(2026, 11, 20, 12)
    for days_ago in (None, 5, 60, 200):
        user = factories.UserFactory()
        customer = factories.CustomerFactory(organisation=council, user=user)
        if days_ago is not None:
            AccountSignIn.objects.create(
                customer=customer, method="password", at=now - timedelta(days=days_ago)
            )
            AccountSignIn.objects.create(
                customer=customer, method="password", at=now - timedelta(days=days_ago + 1)
            )
    factories.CustomerFactory(organisation=council)  # no account
    # A duplicate record merged into another after it signed in is not a fifth account.
    merged = factories.CustomerFactory(organisation=council, user=factories.UserFactory())
    AccountSignIn.objects.create(customer=merged, method="password", at=now)
    merged.merged_into = customer
    merged.save(update_fields=["merged_into"])
    rows = {row[0]: row[1:] for row in dashboard.active_accounts(council, now=now).rows}
    assert rows == {
        "All accounts": [4, 100.0],
        "Signed in within 30 days": [1, 25.0],
        "Signed in within 90 days": [2, 50.0],
    }


def test_refresh_recounts_only_the_days_that_changed(council, town):
    # An hour passes: what the last run saw is now well before its mark.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Contact.objects.update(recorded_at=an_hour_ago)
    Case.objects.update(updated_at=an_hour_ago)
    RefreshMark.objects.update(up_to=timezone.now())
    before = ContactDaily.objects.filter(organisation=council).count()
    assert insight_refresh() == {"contacts": 0, "cases": 0, "ratings": 0}
    factories.ContactFactory(
        organisation=council,
        started_at=london(2026, 11, 6, 12),
        channel="phone",
        request_type=town["waste"].request_types.first(),
    )
    assert insight_refresh()["contacts"] == 1
    assert ContactDaily.objects.filter(organisation=council).count() == before + 1
    assert column(dashboard.contacts_by_channel(whole_year(council)), "Contacts")["Phone"] == 4


def test_a_contact_that_becomes_a_case_later_is_recounted(council, town):
    # The 09:30 call was logged as fixed and counted an hour ago; then the adviser opened a
    # case from it (as case_open does), so it no longer counts as a first-time fix.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Contact.objects.update(recorded_at=an_hour_ago)
    Case.objects.update(updated_at=an_hour_ago)
    RefreshMark.objects.update(up_to=timezone.now())
    call = Contact.objects.get(outcome="resolved_first_contact", channel="phone")
    case = factories.CaseFactory(organisation=council, request_type=call.request_type)
    Contact.objects.filter(pk=call.pk).update(case=case, outcome="case_created")
    insight_refresh()
    assert dashboard.first_time_fix(whole_year(council)).rows[-1] == ["All channels", 4, 1, 25.0]


def test_another_councils_records_never_count(council, town):
    other = factories.OrganisationFactory()
    factories.ContactFactory(organisation=other, started_at=london(2026, 11, 2, 9), channel="phone")
    insight_refresh()
    assert column(dashboard.contacts_by_channel(whole_year(council)), "Contacts")["Phone"] == 3


def test_a_reopened_case_leaves_the_day_it_was_counted_on(council, town):
    def resolved_on_4_november() -> int:
        table = dashboard.response_times(
            Filters(organisation=council, start=date(2026, 11, 4), end=date(2026, 11, 4)),
            by="channel",
        )
        return sum(row[1] for row in table.rows)

    assert resolved_on_4_november() == 1
    case = Case.objects.get(resolved_at=london(2026, 11, 4, 15))
    case.status, case.resolved_at = CaseStatus.REOPENED, None
    case.save()
    insight_refresh()
    assert resolved_on_4_november() == 0
    case.status, case.resolved_at = CaseStatus.RESOLVED, london(2026, 11, 20, 10)
    case.save()
    insight_refresh()
    november = dashboard.response_times(whole_year(council), by="service").rows
    assert {row[0]: row[1] for row in november}["Waste"] == 2
    assert resolved_on_4_november() == 0


def test_the_daily_recount_forgets_days_that_no_longer_have_records(council, town, settings):
    Contact.objects.filter(started_at__date=date(2026, 6, 1)).delete()
    insight_refresh()  # the incremental refresh cannot see a deletion
    daily = {path: seconds for path, seconds in settings.PERIODIC_JOBS}
    assert daily["civicdesk.insight.services.insight_recount_all"] == 24 * 60 * 60
    import_string("civicdesk.insight.services.insight_recount_all")()
    june = Filters(organisation=council, start=date(2026, 6, 1), end=date(2026, 6, 30))
    assert dashboard.contacts_by_channel(june).rows == []


def test_the_worker_job_is_the_refresh(council, missed_bin, settings):
    """The worker runs each (path, seconds) of PERIODIC_JOBS; the refresh is one of them."""
    jobs = {path: import_string(path) for path, _ in settings.PERIODIC_JOBS}
    job = jobs["civicdesk.insight.services.insight_refresh"]
    factories.ContactFactory(
        organisation=council,
        started_at=london(2026, 11, 9, 11),
        channel="letter",
        request_type=missed_bin,
    )
    job()
    letters = Filters(organisation=council, start=date(2026, 11, 9), end=date(2026, 11, 9))
    assert column(dashboard.contacts_by_channel(letters), "Contacts") == {"Letter": 1}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real transactions at once")
def test_two_workers_refreshing_at_once_count_each_contact_once(council, missed_bin):
    """Every worker process runs the refresh. Both recount the same day: each would delete the
    day's rows and insert its own. Here the first is held after counting, long enough for the
    second to reach the same point if nothing stopped it; the lease makes it stand aside."""
    for hour in (9, 10, 11):
        factories.ContactFactory(
            organisation=council, started_at=london(2026, 11, 2, hour), channel="phone"
        )
    both_counted = threading.Barrier(2, timeout=2)
    contacts, *others = services.SUMMARIES
    daily_rows, hourly_rows = contacts.recount

    def rows_then_wait(organisation, days):
        rows = daily_rows(organisation, days)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_counted.wait()
        return rows

    held = dataclasses.replace(contacts, recount=(rows_then_wait, hourly_rows))

    def refresh() -> None:
        try:
            insight_refresh(full=True)
        finally:
            connection.close()

    with mock.patch.object(services, "SUMMARIES", (held, *others)):
        workers = [threading.Thread(target=refresh) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    week = Filters(organisation=council, start=date(2026, 11, 2), end=date(2026, 11, 8))
    assert column(dashboard.contacts_by_channel(week), "Contacts")["Phone"] == 3
