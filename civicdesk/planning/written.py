"""Written work (emails and web forms): the staff hours each working day needs so that every
item is answered within the charter's timescale.

Each day's work is spread evenly over the first ``timescale`` working days from when it
arrives (work arriving on a weekend or bank holiday starts on the next working day), so every
item is done within the timescale and the load is as level as that allows. The work that came
in over the last few working days, and is still being spread, is counted from the history.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from civicdesk.core.calendar import WorkingCalendar
from civicdesk.core.errors import ValidationFailed

from .choices import HORIZON_WEEKS, WRITTEN_STANDARDS, WrittenStandard
from .selectors import daily_volumes

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation

    from .models import ForecastRun


@dataclass(frozen=True)
class WrittenDay:
    day: date
    arriving: float
    hours: float
    staff: float  # full-time people, after shrinkage


def _first_working_day(calendar: WorkingCalendar, day: date) -> date:
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


def written_days(
    *,
    arrivals: list[tuple[date, float]],
    calendar: WorkingCalendar,
    standard: WrittenStandard,
    first: date,
    last: date,
) -> list[WrittenDay]:
    """Staff hours for each working day from ``first`` to ``last``, from the work arriving on
    each day (history before ``first`` included, so work already in hand is counted)."""
    if standard.minutes_each <= 0 or not 1 <= standard.timescale_days <= 60:
        raise ValidationFailed(
            "The written work cannot be planned.",
            fields={"minutes": "Minutes each must be more than 0 and the timescale 1 to 60 days"},
        )
    hours: dict[date, float] = defaultdict(float)
    arriving: dict[date, float] = defaultdict(float)
    for day, count in arrivals:
        start = _first_working_day(calendar, day)
        arriving[day] += count
        share = count * standard.minutes_each / 60 / standard.timescale_days
        for _ in range(standard.timescale_days):
            hours[start] += share
            start = calendar.next_working_day(start)
    available = standard.hours_a_day * (1 - standard.shrinkage / 100)
    plan = []
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            plan.append(
                WrittenDay(
                    day=day,
                    arriving=arriving[day],
                    hours=hours[day],
                    staff=math.ceil(10 * hours[day] / available) / 10,
                )
            )
        day += timedelta(days=1)
    return plan


def written_plan(
    *,
    organisation: Organisation,
    channel: str,
    run: ForecastRun | None,
    today: date,
    minutes_each: float | None = None,
    timescale_days: int | None = None,
) -> list[WrittenDay]:
    """The coming weeks of a written channel, from its forecast (empty without one)."""
    if run is None:
        return []
    usual = WRITTEN_STANDARDS[channel]
    standard = WrittenStandard(
        minutes_each=usual.minutes_each if minutes_each is None else minutes_each,
        timescale_days=usual.timescale_days if timescale_days is None else timescale_days,
        hours_a_day=usual.hours_a_day,
        shrinkage=usual.shrinkage,
    )
    calendar = organisation.calendar
    last = today + timedelta(weeks=HORIZON_WEEKS) - timedelta(days=1)
    # Enough history that every working day still spreading its work over today is counted.
    history_first = today - timedelta(days=2 * standard.timescale_days + 14)
    history = daily_volumes(
        organisation=organisation,
        channel=channel,
        first=history_first,
        last=today - timedelta(days=1),
    )
    forecast = [(day.day, day.forecast) for day in run.days.all() if today <= day.day <= last]
    return written_days(
        arrivals=[*history, *forecast],
        calendar=calendar,
        standard=standard,
        first=today,
        last=last,
    )
