"""The staffing plan: a day's forecast spread over its half hours by the recent shape of the
day, the advisers each half hour needs (Erlang C, or Erlang A with patience), the staff that
means after shrinkage, the people on the rota and the service level they will give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .choices import HALF_HOURS_A_DAY, HORIZON_WEEKS, STANDARDS
from .erlang import Demand, Staffing, Target, on_duty, staffing_evaluate, staffing_needed
from .selectors import half_hour_shape, handle_seconds_measured, open_half_hours, rostered

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation

    from .models import ForecastRun

HALF_HOUR_SECONDS = 1800
# Less forecast than this in a half hour counts as nothing expected: no service level to show.
NOTHING_EXPECTED = 0.05


@dataclass(frozen=True)
class Assumptions:
    handle_seconds: float
    measured_from: int  # contacts with a recorded duration; 0 means the channel's setting
    service_level: float  # per cent
    answer_seconds: float
    max_occupancy: float  # per cent
    shrinkage: float  # per cent
    patience_seconds: float | None = None

    @property
    def target(self) -> Target:
        return Target(
            service_level=self.service_level / 100,
            answer_seconds=self.answer_seconds,
            max_occupancy=self.max_occupancy / 100,
            shrinkage=self.shrinkage / 100,
        )

    def demand(self, calls: float) -> Demand:
        return Demand(
            calls=calls,
            interval_seconds=HALF_HOUR_SECONDS,
            handle_seconds=self.handle_seconds,
            patience_seconds=self.patience_seconds,
        )


@dataclass(frozen=True)
class HalfHour:
    starts: time
    forecast: float
    agents: int
    staff: int
    rostered: int
    service_level: float | None  # per cent the rota gives; None when nothing is expected
    abandon_rate: float | None  # per cent, with patience

    @property
    def gap(self) -> int:
        return self.rostered - self.staff

    @property
    def understaffed(self) -> bool:
        return self.gap < 0


@dataclass(frozen=True)
class DayPlan:
    day: date
    forecast: float
    half_hours: list[HalfHour]

    @property
    def understaffed(self) -> int:
        return sum(half_hour.understaffed for half_hour in self.half_hours)

    @property
    def lowest_service_level(self) -> float | None:
        levels = [h.service_level for h in self.half_hours if h.service_level is not None]
        return min(levels) if levels else None


@lru_cache(maxsize=8192)
def _staffing(calls: float, people: int, assumptions: Assumptions) -> tuple[Staffing, Staffing]:
    """Advisers needed for ``calls`` (to a tenth of a call: eight weeks of half hours repeat
    the same few volumes), and what ``people`` on the rota give."""
    demand, target = assumptions.demand(calls), assumptions.target
    needed = staffing_needed(demand=demand, target=target)
    given = staffing_evaluate(
        demand=demand, target=target, agents=on_duty(people, assumptions.shrinkage / 100)
    )
    return needed, given


def day_plan(
    *,
    day: date,
    forecast: float,
    shape: np.ndarray,
    rostered: np.ndarray,
    open_half_hours: np.ndarray,
    assumptions: Assumptions,
) -> DayPlan:
    """``shape``, ``rostered`` and ``open_half_hours`` (true when the contact centre is open)
    are the day's rows: 48 half hours from midnight. The plan covers the opening hours and any
    other half hour with someone on the rota; contacts outside them are not the contact
    centre's to answer then."""
    half_hours: list[HalfHour] = []
    for index in range(HALF_HOURS_A_DAY):
        calls = float(forecast * shape[index])
        people = int(rostered[index])
        if not open_half_hours[index] and people == 0:
            continue
        needed, given = _staffing(round(calls, 1), people, assumptions)
        half_hours.append(
            HalfHour(
                starts=time(index // 2, 30 * (index % 2)),
                forecast=calls,
                agents=needed.agents,
                staff=needed.staff,
                rostered=people,
                service_level=100 * given.service_level if calls >= NOTHING_EXPECTED else None,
                abandon_rate=None if given.abandon_rate is None else 100 * given.abandon_rate,
            )
        )
    return DayPlan(day=day, forecast=forecast, half_hours=half_hours)


@dataclass(frozen=True)
class WhatIf:
    """Changes to a channel's usual assumptions; None keeps the usual one."""

    handle_seconds: float | None = None
    service_level: float | None = None  # per cent
    answer_seconds: float | None = None
    patience_seconds: float | None = None


def assumptions_for(
    *, organisation: Organisation, channel: str, today: date, what_if: WhatIf
) -> Assumptions:
    """The channel's standard, with the handle time measured from the contacts' recorded
    durations over the recent weeks (the channel's setting when none has one)."""
    standard = STANDARDS[channel]
    measured, count = handle_seconds_measured(
        organisation=organisation, channel=channel, last=today - timedelta(days=1)
    )
    if what_if.handle_seconds is not None:
        handle, measured_from = what_if.handle_seconds, 0
    elif measured is not None:
        handle, measured_from = measured, count
    else:
        handle, measured_from = float(standard.handle_seconds), 0
    return Assumptions(
        handle_seconds=handle,
        measured_from=measured_from,
        service_level=standard.service_level
        if what_if.service_level is None
        else what_if.service_level,
        answer_seconds=standard.answer_seconds
        if what_if.answer_seconds is None
        else what_if.answer_seconds,
        max_occupancy=standard.max_occupancy,
        shrinkage=standard.shrinkage,
        patience_seconds=standard.patience_seconds
        if what_if.patience_seconds is None
        else what_if.patience_seconds,
    )


def plans_for(
    *,
    organisation: Organisation,
    channel: str,
    run: ForecastRun | None,
    today: date,
    assumptions: Assumptions,
) -> list[DayPlan]:
    """Every day of the coming weeks that ``run`` forecasts, planned."""
    if run is None:
        return []
    shape = half_hour_shape(organisation=organisation, channel=channel, last=today - timedelta(1))
    cover = rostered(organisation=organisation, channel=channel)
    last_day = today + timedelta(weeks=HORIZON_WEEKS) - timedelta(days=1)
    return [
        day_plan(
            day=forecasted.day,
            forecast=forecasted.forecast,
            shape=shape[forecasted.day.weekday()],
            rostered=cover[forecasted.day.weekday()],
            open_half_hours=open_half_hours(organisation=organisation, day=forecasted.day),
            assumptions=assumptions,
        )
        for forecasted in run.days.all()
        if today <= forecasted.day <= last_day
    ]
