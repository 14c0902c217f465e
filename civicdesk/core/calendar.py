"""Working-time arithmetic for charter timescales.

A council's working time is its opening hours (09:00-17:00 by default) on weekdays that are not
bank holidays in its nation. Bank holidays come from GOV.UK's published data, shipped with the
``govuk-bank-holidays`` package so nothing is fetched at run time. For years beyond the shipped
data only weekends are non-working; the package is updated with each release.

All arithmetic on working time is done on the local wall clock (Europe/London), so that 09:00
stays 09:00 across the clock changes; calendar hours are real elapsed time; calendar months keep
the date and time of day (or the month's last day, if it is shorter). See
docs/adr/0004-charter-clock.md for how days, hours and pauses are counted, and ADR 29 for months.
"""

from __future__ import annotations

import enum
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from govuk_bank_holidays.bank_holidays import BankHolidays

LONDON = ZoneInfo("Europe/London")


class Nation(enum.StrEnum):
    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


class TimeUnit(enum.StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    CALENDAR_HOURS = "calendar_hours"
    # Statutory time limits such as a subject access request's "one month".
    CALENDAR_MONTHS = "calendar_months"

    @property
    def counts_working_time(self) -> bool:
        return self in (TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS)


@cache
def bank_holidays(nation: Nation) -> frozenset[date]:
    source = BankHolidays(use_cached_holidays=True)
    return frozenset(item["date"] for item in source.get_holidays(division=str(nation)))


@dataclass(frozen=True)
class WorkingCalendar:
    nation: Nation = Nation.ENGLAND_AND_WALES
    opens: time = time(9, 0)
    closes: time = time(17, 0)

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("Opening time must be before closing time.")

    # Days

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in bank_holidays(self.nation)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_after(self, first: date, last: date) -> int:
        """How many working days fall after ``first``, up to and including ``last``."""
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def shift_working_days(self, moment: datetime, days: int) -> datetime:
        """The same time of day, ``days`` working days later."""
        local = _local(moment)
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return _aware(datetime.combine(day, local.time()))

    def is_working_moment(self, moment: datetime) -> bool:
        local = _local(moment)
        return self.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    # Moments (aware datetimes in, aware datetimes out)

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` if the council is open then, otherwise when it next opens."""
        return _aware(self._next_open_local(_local(moment)))

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """Close of business on the ``days``-th working day after the clock starts.

        The clock starts at ``moment``, or when the council next opens if it is closed then;
        that day is day 0, so 2 working days from Monday morning is Wednesday at close.
        """
        if days < 0:
            raise ValueError("A number of working days cannot be negative.")
        day = self._next_open_local(_local(moment)).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return _aware(datetime.combine(day, self.closes))

    def add_working_time(self, moment: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of working time has passed since ``moment``."""
        if duration < timedelta(0):
            raise ValueError("A working time cannot be negative.")
        current = self._next_open_local(_local(moment))
        remaining = duration
        while True:
            available = datetime.combine(current.date(), self.closes) - current
            if remaining <= available:
                return _aware(current + remaining)
            remaining -= available
            current = datetime.combine(self.next_working_day(current.date()), self.opens)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero when end is not after start."""
        local_start, local_end = _local(start), _local(end)
        total = timedelta(0)
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                opened = max(local_start, datetime.combine(day, self.opens))
                closed = min(local_end, datetime.combine(day, self.closes))
                if closed > opened:
                    total += closed - opened
            day += timedelta(days=1)
        return total

    def deadline(self, start: datetime, amount: int, unit: TimeUnit) -> datetime:
        """When a target of ``amount`` ``unit`` that starts at ``start`` falls due."""
        if amount < 0:
            raise ValueError("A charter target cannot be negative.")
        if unit is TimeUnit.WORKING_DAYS:
            return self.add_working_days(start, amount)
        if unit is TimeUnit.WORKING_HOURS:
            return self.add_working_time(start, timedelta(hours=amount))
        if unit is TimeUnit.CALENDAR_DAYS:
            return _aware(_local(start) + timedelta(days=amount))
        if unit is TimeUnit.CALENDAR_MONTHS:
            local = _local(start)
            return _aware(datetime.combine(add_months(local.date(), amount), local.time()))
        return _utc(start) + timedelta(hours=amount)

    def elapsed(self, start: datetime, end: datetime, unit: TimeUnit) -> timedelta:
        """Time on the charter clock between two moments, in the unit's own kind of time."""
        if unit.counts_working_time:
            return self.working_time_between(start, end)
        return max(_utc(end) - _utc(start), timedelta(0))

    def advance(self, start: datetime, duration: timedelta, unit: TimeUnit) -> datetime:
        """Move ``duration`` of the unit's kind of time forward from ``start``."""
        if unit.counts_working_time:
            return self.add_working_time(start, duration)
        return _utc(start) + duration

    def _next_open_local(self, local: datetime) -> datetime:
        if self.is_working_day(local.date()):
            if local.time() < self.opens:
                return datetime.combine(local.date(), self.opens)
            if local.time() < self.closes:
                return local
        return datetime.combine(self.next_working_day(local.date()), self.opens)


def add_months(day: date, months: int) -> date:
    """The same date ``months`` calendar months later or, when that month is too short to have
    it, the month's last day: one month from 31 January is 28 February (29th in a leap year)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Charter arithmetic needs timezone-aware datetimes.")
    return moment.astimezone(LONDON).replace(tzinfo=None)


def _utc(moment: datetime) -> datetime:
    """Real elapsed-time arithmetic: Python adds and subtracts datetimes that share a zone on
    their wall clock, which would make a day with a clock change 23 or 25 hours long."""
    if moment.tzinfo is None:
        raise ValueError("Charter arithmetic needs timezone-aware datetimes.")
    return moment.astimezone(UTC)


def _aware(local: datetime) -> datetime:
    return local.replace(tzinfo=LONDON)


def local_date(moment: datetime) -> date:
    """The date in the UK at ``moment``."""
    return _local(moment).date()


def iso_time_utc(text: str) -> datetime | None:
    """A time written in ISO 8601, in UTC; one that names no offset is taken to be in UTC.
    None when the text is not a time a database can hold (in UTC, a time near the year 1 may
    fall outside what a date and time can hold)."""
    from django.utils.dateparse import parse_datetime

    try:
        moment = parse_datetime(text.strip())
        if moment is None:
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
