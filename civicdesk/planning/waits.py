"""How long a caller in the queue can expect to wait, from the live queue: the advisers on
duty, the handle time, the caller's place and the people ahead of them giving up.

A caller with ``ahead`` people in front of them reaches an adviser after ``ahead + 1`` moves:
each time an adviser finishes a call (all are busy: N / handle time per second) or one of the
people ahead hangs up (1 / patience per second each). The expected wait is the sum of the
expected times of those moves, the same stages Erlang A's waiting time is built from.
"""

from __future__ import annotations

from civicdesk.core.errors import ValidationFailed


def expected_wait_seconds(
    *, ahead: int, advisers: int, handle_seconds: float, patience_seconds: float | None
) -> float | None:
    """Seconds until an adviser answers, for a caller with ``ahead`` people in front of them
    while every adviser is busy; None when no adviser is on duty."""
    if ahead < 0 or advisers < 0 or handle_seconds <= 0:
        raise ValidationFailed(
            "The wait cannot be worked out.",
            fields={"queue": "Place, advisers and handle time must not be negative"},
        )
    if advisers == 0:
        return None
    finishing = advisers / handle_seconds
    giving_up = 0.0 if patience_seconds is None else 1 / patience_seconds
    return sum(1 / (finishing + waiting * giving_up) for waiting in range(ahead + 1))
