"""The working-time arithmetic behind every charter due date, checked as properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.core.calendar import (
    LONDON,
    Nation,
    TimeUnit,
    WorkingCalendar,
    add_months,
    bank_holidays,
)

from .conftest import london

# GOV.UK's published bank holidays shipped with the package cover 2012 to 2028.
moments = st.datetimes(
    min_value=datetime(2013, 1, 1),
    max_value=datetime(2028, 6, 30),
    timezones=st.sampled_from([UTC, LONDON]),
)
nations = st.sampled_from(list(Nation))
calendars = st.builds(
    WorkingCalendar,
    nation=nations,
    opens=st.sampled_from([time(8, 0), time(9, 0), time(8, 30)]),
    closes=st.sampled_from([time(17, 0), time(17, 30), time(20, 0)]),
)
durations = st.integers(min_value=0, max_value=400 * 3600).map(lambda s: timedelta(seconds=s))


@given(calendar=calendars, start=moments, days=st.integers(min_value=0, max_value=60))
def test_working_days_land_at_close_of_the_nth_working_day(calendar, start, days):
    due = calendar.add_working_days(start, days)
    local_due = due.astimezone(LONDON)
    assert local_due.time() == calendar.closes
    assert calendar.is_working_day(local_due.date())
    first_day = calendar.next_working_moment(start).astimezone(LONDON).date()
    assert calendar.working_days_after(first_day, local_due.date()) == days
    assert due > start


@given(calendar=calendars, a=moments, b=moments, days=st.integers(min_value=0, max_value=30))
def test_a_later_start_never_gives_an_earlier_due_date(calendar, a, b, days):
    early, late = sorted([a, b])
    assert calendar.add_working_days(early, days) <= calendar.add_working_days(late, days)
    assert calendar.add_working_time(early, timedelta(hours=days)) <= calendar.add_working_time(
        late, timedelta(hours=days)
    )


@given(calendar=calendars, start=moments, duration=durations)
def test_adding_working_time_then_measuring_it_gives_it_back(calendar, start, duration):
    end = calendar.add_working_time(start, duration)
    assert calendar.working_time_between(start, end) == duration
    assert end >= start


@given(calendar=calendars, a=moments, b=moments)
def test_measuring_then_adding_reaches_the_last_working_moment(calendar, a, b):
    start, end = sorted([a, b])
    reached = calendar.add_working_time(start, calendar.working_time_between(start, end))
    assert calendar.working_time_between(reached, end) == timedelta(0)
    assert calendar.working_time_between(start, reached) == calendar.working_time_between(
        start, end
    )


@given(calendar=calendars, a=moments, b=moments, c=moments)
def test_working_time_adds_up_across_intervals(calendar, a, b, c):
    first, middle, last = sorted([a, b, c])
    assert calendar.working_time_between(first, last) == calendar.working_time_between(
        first, middle
    ) + calendar.working_time_between(middle, last)
    assert timedelta(0) <= calendar.working_time_between(first, last) <= last - first


@given(calendar=calendars, start=moments, days=st.integers(min_value=0, max_value=20))
def test_shifting_a_due_date_keeps_it_at_close_of_a_working_day(calendar, start, days):
    due = calendar.add_working_days(start, 3)
    shifted = calendar.shift_working_days(due, days)
    local = shifted.astimezone(LONDON)
    assert calendar.is_working_day(local.date())
    assert local.time() == calendar.closes
    assert calendar.working_days_after(due.astimezone(LONDON).date(), local.date()) == days


@settings(max_examples=50)
@given(calendar=calendars, start=moments, amount=st.integers(min_value=0, max_value=100))
def test_calendar_hours_are_real_elapsed_time_even_across_clock_changes(calendar, start, amount):
    due = calendar.deadline(start, amount, TimeUnit.CALENDAR_HOURS)
    assert due - start == timedelta(hours=amount)
    assert calendar.elapsed(start, due, TimeUnit.CALENDAR_HOURS) == timedelta(hours=amount)


def test_bank_holidays_differ_by_nation():
    assert date(2026, 12, 25) in bank_holidays(Nation.ENGLAND_AND_WALES)
    assert date(2026, 3, 17) in bank_holidays(Nation.NORTHERN_IRELAND)
    assert date(2026, 3, 17) not in bank_holidays(Nation.ENGLAND_AND_WALES)
    assert date(2026, 1, 2) in bank_holidays(Nation.SCOTLAND)
    assert date(2026, 1, 2) not in bank_holidays(Nation.ENGLAND_AND_WALES)


def test_christmas_working_days_skip_the_bank_holidays():
    calendar = WorkingCalendar()
    # Thursday 24 December 2026: Christmas Day is Friday, Boxing Day's substitute is Monday 28.
    assert calendar.add_working_days(london(2026, 12, 24, 10), 2) == london(2026, 12, 30, 17)
    scotland = WorkingCalendar(nation=Nation.SCOTLAND)
    # In Scotland 1 and 2 January are both holidays; 2027's fall on Friday and Monday 4th.
    assert scotland.add_working_days(london(2026, 12, 31, 10), 1) == london(2027, 1, 5, 17)


def test_a_request_after_closing_time_starts_the_clock_the_next_working_morning():
    calendar = WorkingCalendar()
    friday_evening = london(2026, 11, 27, 19)
    assert calendar.next_working_moment(friday_evening) == london(2026, 11, 30, 9)
    assert calendar.add_working_days(friday_evening, 0) == london(2026, 11, 30, 17)
    assert calendar.deadline(friday_evening, 4, TimeUnit.WORKING_HOURS) == london(2026, 11, 30, 13)


def test_working_hours_keep_to_the_wall_clock_across_the_change_to_summer_time():
    calendar = WorkingCalendar()
    # Clocks go forward on Sunday 29 March 2026; Friday 16:00 plus 2 working hours is Monday 10:00.
    assert calendar.add_working_time(london(2026, 3, 27, 16), timedelta(hours=2)) == london(
        2026, 3, 30, 10
    )


def test_calendar_hours_are_real_hours_when_given_uk_times_across_the_clock_change():
    calendar = WorkingCalendar()
    # Clocks go forward at 01:00 on Sunday 29 March 2026: 24 real hours later reads 13:00.
    start = london(2026, 3, 28, 12)
    due = calendar.deadline(start, 24, TimeUnit.CALENDAR_HOURS)
    assert due == london(2026, 3, 29, 13)
    assert calendar.elapsed(start, due, TimeUnit.CALENDAR_HOURS) == timedelta(hours=24)
    assert calendar.advance(start, timedelta(hours=24), TimeUnit.CALENDAR_HOURS) == due


def test_calendar_days_keep_the_time_of_day():
    calendar = WorkingCalendar()
    assert calendar.deadline(london(2026, 3, 20, 10), 14, TimeUnit.CALENDAR_DAYS) == london(
        2026, 4, 3, 10
    )


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # February is shorter: its last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year's February
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 15), 1, date(2026, 2, 15)),  # the corresponding date
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # into the next year
        (date(2026, 11, 30), 3, date(2027, 2, 28)),  # a subject access request extended by two
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_a_calendar_month_is_the_corresponding_date_or_the_last_day_of_a_shorter_month(
    day, months, due
):
    assert add_months(day, months) == due


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=0, max_value=36),
)
def test_calendar_months_land_in_the_right_month_on_the_same_day_or_its_last(day, months):
    due = add_months(day, months)
    assert (due.year - day.year) * 12 + due.month - day.month == months
    if due.day != day.day:
        assert due.day < day.day
        assert (due + timedelta(days=1)).day == 1  # the month's last day
    assert add_months(day + timedelta(days=1), months) >= due  # a later start is never earlier


def test_a_month_from_the_end_of_january_keeps_the_time_of_day_and_counts_real_time():
    calendar = WorkingCalendar()
    start = london(2026, 1, 31, 14, 30)
    due = calendar.deadline(start, 1, TimeUnit.CALENDAR_MONTHS)
    assert due == london(2026, 2, 28, 14, 30)
    assert calendar.elapsed(start, due, TimeUnit.CALENDAR_MONTHS) == timedelta(days=28)
    # Across the change to summer time the wall clock stays: 29 days less an hour really pass.
    spring = calendar.deadline(london(2026, 3, 3, 10), 1, TimeUnit.CALENDAR_MONTHS)
    assert spring == london(2026, 4, 3, 10)
    elapsed = calendar.elapsed(london(2026, 3, 3, 10), spring, TimeUnit.CALENDAR_MONTHS)
    assert elapsed == timedelta(days=31, hours=-1)


def test_nonsense_is_refused():
    calendar = WorkingCalendar()
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(london(2026, 1, 5, 9), -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_days(datetime(2026, 1, 5, 9), 1)
    with pytest.raises(ValueError, match="Opening time"):
        WorkingCalendar(opens=time(17), closes=time(9))
