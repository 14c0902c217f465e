"""Running a case's charter clock as the case changes: starting it on a target, pausing it while
the case waits for the customer, resuming, stopping and changing its target.

These set the clock's fields on the case in memory; the service that calls them saves the case.
How the clock counts is explained in docs/adr/0004-charter-clock.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civicdesk.catalogue.models import CharterTarget
from civicdesk.core.calendar import TimeUnit, local_date

from .choices import ClockState
from .clock import carry_extension, charter_deadlines, clock_state_settled
from .models import Case


def clock_start(case: Case, *, target: CharterTarget | None, start: datetime) -> None:
    if target is None:
        case.target_amount, case.target_unit, case.target_summary = None, "", ""
        case.due_at = case.due_soon_at = case.paused_at = None
        case.clock_state = ClockState.NO_TARGET
        return
    case.target_amount = target.amount
    case.target_unit = target.unit
    case.target_summary = target.summary
    clock_restart(case, start=start)


def clock_restart(case: Case, *, start: datetime) -> None:
    if case.target_amount is None or not case.target_unit:
        case.clock_state = ClockState.NO_TARGET
        return
    case.clock_started_at = start
    case.due_at, case.due_soon_at = charter_deadlines(
        organisation=case.organisation,
        amount=case.target_amount,
        unit=TimeUnit(case.target_unit),
        start=start,
    )
    case.paused_at = None
    case.clock_state = clock_state_settled(case, start, previous=ClockState.ON_TRACK)


def clock_pause(case: Case, *, now: datetime) -> None:
    if case.due_at is None:
        return
    case.paused_at = now
    case.clock_state = ClockState.PAUSED


def clock_resume(case: Case, *, now: datetime) -> None:
    """Push the due dates back by the time the case spent waiting for the customer.

    Targets in working days move by the working days the wait covered, so the case stays due
    at close of business; other targets move by the exact time waited, in their own kind of time.
    A due date that had already passed when the wait began stays where it was.
    """
    if case.due_at is None or case.paused_at is None or case.due_soon_at is None:
        return
    calendar = case.organisation.calendar
    unit = TimeUnit(case.target_unit)
    paused_at = case.paused_at
    if unit is TimeUnit.WORKING_DAYS:
        waited = calendar.working_days_after(local_date(paused_at), local_date(now))
        if paused_at < case.due_at:
            case.due_at = calendar.shift_working_days(case.due_at, waited)
        if paused_at < case.due_soon_at:
            case.due_soon_at = calendar.shift_working_days(case.due_soon_at, waited)
    else:
        if paused_at < case.due_at:
            case.due_at = calendar.advance(
                now, calendar.elapsed(paused_at, case.due_at, unit), unit
            )
        if paused_at < case.due_soon_at:
            left = calendar.elapsed(paused_at, case.due_soon_at, unit)
            case.due_soon_at = calendar.advance(now, left, unit)
    case.paused_at = None
    case.clock_state = clock_state_settled(case, now, previous=ClockState.PAUSED)


def clock_stop(case: Case) -> None:
    case.paused_at = None
    if case.due_at is not None:
        case.clock_state = ClockState.STOPPED


def clock_retarget(case: Case, *, target: CharterTarget | None, now: datetime) -> None:
    """Put the clock on a new target counted from when it first started, keeping the time the
    case already spent waiting for the customer, and the pause if it is waiting now."""
    previous = _clock_as_it_was(case)
    start = case.clock_started_at or case.opened_at
    clock_start(case, target=target, start=start)
    _carry_over(case, start=start, previous=previous, now=now)


def clock_extend(case: Case, *, amount: int, now: datetime) -> None:
    """Give a running clock ``amount`` more of its own unit, counted as its target is: from
    when it first started, keeping the time the case already spent waiting for the customer,
    and the pause if it is waiting now."""
    if case.target_amount is None:
        return
    previous = _clock_as_it_was(case)
    start = case.clock_started_at or case.opened_at
    case.target_amount += amount
    clock_restart(case, start=start)
    _carry_over(case, start=start, previous=previous, now=now)


def _clock_as_it_was(case: Case) -> dict[str, Any]:
    return {
        "state": case.clock_state,
        "paused_at": case.paused_at,
        "due_at": case.due_at,
        "due_soon_at": case.due_soon_at,
        "amount": case.target_amount,
        "unit": case.target_unit,
    }


def _carry_over(case: Case, *, start: datetime, previous: dict[str, Any], now: datetime) -> None:
    _carry_waiting_time(case, start=start, previous=previous)
    if case.due_at is not None:
        if previous["paused_at"] is not None:
            case.paused_at = previous["paused_at"]
            case.clock_state = ClockState.PAUSED
        else:
            case.clock_state = clock_state_settled(case, now, previous=str(previous["state"]))


def _carry_waiting_time(case: Case, *, start: datetime, previous: dict[str, Any]) -> None:
    """Keep the time a case already spent waiting for the customer when its target changes."""
    if case.due_at is None or case.due_soon_at is None or previous["due_at"] is None:
        return
    old_due, old_soon = charter_deadlines(
        organisation=case.organisation,
        amount=previous["amount"],
        unit=TimeUnit(previous["unit"]),
        start=start,
    )
    unit = TimeUnit(case.target_unit)
    case.due_at = carry_extension(
        organisation=case.organisation,
        unit=unit,
        base=old_due,
        extended=previous["due_at"],
        new_base=case.due_at,
    )
    case.due_soon_at = carry_extension(
        organisation=case.organisation,
        unit=unit,
        base=old_soon,
        extended=previous["due_soon_at"],
        new_base=case.due_soon_at,
    )
