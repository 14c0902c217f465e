"""The charter clock's arithmetic for one case: when it falls due and where it stands.

How the clock counts is explained in docs/adr/0004-charter-clock.md.
"""

from __future__ import annotations

from datetime import datetime

from civicdesk.core.calendar import TimeUnit, local_date
from civicdesk.organisations.models import Organisation

from .choices import ClockState
from .models import Case

# A case is "due soon" once this share of its charter time has been used.
DUE_SOON_SHARE = 0.8


def charter_deadlines(
    *, organisation: Organisation, amount: int, unit: TimeUnit, start: datetime
) -> tuple[datetime, datetime]:
    """When a charter clock started at ``start`` falls due, and when it becomes due soon."""
    calendar = organisation.calendar
    due_at = calendar.deadline(start, amount, unit)
    allowed = calendar.elapsed(start, due_at, unit)
    return due_at, calendar.advance(start, allowed * DUE_SOON_SHARE, unit)


def clock_state_at(case: Case, now: datetime) -> str:
    """Where a running clock stands at ``now``: on track, due soon or overdue."""
    if case.due_at is None or case.due_soon_at is None:
        return ClockState.NO_TARGET
    if now >= case.due_at:
        return ClockState.OVERDUE
    if now >= case.due_soon_at:
        return ClockState.DUE_SOON
    return ClockState.ON_TRACK


_SEVERITY: dict[str, int] = {
    ClockState.ON_TRACK: 0,
    ClockState.DUE_SOON: 1,
    ClockState.OVERDUE: 2,
}


def clock_state_settled(case: Case, now: datetime, *, previous: str) -> str:
    """The stored clock state after a change made outside the charter sweep.

    It never moves to a worse state than ``previous`` here: that move is left to the sweep,
    which is what tells the team lead. Screens show ``clock_state_now``, which is always right.
    """
    computed = clock_state_at(case, now)
    if computed not in _SEVERITY:
        return computed
    ceiling = previous if previous in _SEVERITY else ClockState.ON_TRACK
    return computed if _SEVERITY[computed] <= _SEVERITY[ceiling] else ceiling


def carry_extension(
    *,
    organisation: Organisation,
    unit: TimeUnit,
    base: datetime,
    extended: datetime,
    new_base: datetime,
) -> datetime:
    """Move ``new_base`` on by as much as ``extended`` is later than ``base``.

    Used when a case's target changes: the time it already spent waiting for the customer
    (which pushed its due date from ``base`` to ``extended``) still counts under the new target.
    """
    calendar = organisation.calendar
    if extended <= base:
        return new_base
    if unit is TimeUnit.WORKING_DAYS:
        days = calendar.working_days_after(local_date(base), local_date(extended))
        return calendar.shift_working_days(new_base, days)
    extra = calendar.elapsed(base, extended, unit)
    return calendar.advance(new_base, extra, unit) if extra else new_base
