"""The charter clock's arithmetic for one case: when it falls due and where it stands.

How the clock counts is explained in docs/adr/0004-charter-clock.md.
"""

from __future__ import annotations

from datetime import datetime

from civicdesk.core.calendar import TimeUnit
from civicdesk.organisations.models import Organisation

from .models import Case, ClockState

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
