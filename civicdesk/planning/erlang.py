"""How many advisers a queue of calls or chats needs: Erlang C, and Erlang A when callers give up.

Erlang C (M/M/N) assumes every caller waits as long as it takes; Erlang A (M/M/N+M, Palm's
model) adds callers who hang up after an exponentially distributed patience. Both work from the
calls in an interval, the interval's length and the average handle time.

Erlang C goes through the Erlang B recursion, B(k) = A B(k-1) / (k + A B(k-1)), never through
A^N / N!, so it stays exact for thousands of agents. Erlang A sums the queue's stationary
distribution in logarithms. Probabilities here are fractions (0.8 is 80%); the command and the
pages turn them into percentages.

The service level is the share of callers an adviser is free for within the target time. Under
Erlang A a caller who hangs up before then is not counted as answered in ``abandon_rate``, but
is counted by whether an adviser would have been free in time: that is the measure that only
improves as advisers are added, so a search for the fewest advisers is well defined, and Erlang
A never needs more advisers than Erlang C (docs/adr/0033-contact-centre-planning.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from civicdesk.core.errors import ValidationFailed

# The largest offered load handled (in Erlangs: calls times handle time over the interval),
# far beyond any council's contact centre; it bounds the search and the recursion.
MAX_TRAFFIC = 10_000.0
# Erlang A sums queue lengths until the terms are this many natural-log units below the
# largest (e^-40 is about 4e-18, below double precision relative to the sum).
NEGLIGIBLE_LOG = 40.0
MAX_QUEUE_TERMS = 2_000_000
# Uniformisation steps for Erlang A's waiting-time distribution; past this the input is
# refused rather than computed for minutes.
MAX_UNIFORMISATION_WORK = 200_000_000


class StaffingUnreachable(ValidationFailed):
    code = "target_unreachable"


@dataclass(frozen=True)
class Demand:
    """Work arriving at one queue in one interval."""

    calls: float
    interval_seconds: float
    handle_seconds: float
    # Mean time a caller waits before hanging up; None means nobody gives up (Erlang C).
    patience_seconds: float | None = None

    @property
    def traffic(self) -> float:
        """Offered load in Erlangs: the advisers' time the calls take, per second of interval."""
        return self.calls * self.handle_seconds / self.interval_seconds


@dataclass(frozen=True)
class Target:
    service_level: float  # share of callers answered within answer_seconds, 0 < x < 1
    answer_seconds: float
    max_occupancy: float | None = None  # share of advisers' time on calls, 0 < x <= 1
    shrinkage: float = 0.0  # share of rostered time not available for calls, 0 <= x < 1


@dataclass(frozen=True)
class Staffing:
    agents: int
    staff: int
    service_level: float
    asa_seconds: float | None  # None when the queue grows without end
    p_wait: float
    occupancy: float
    abandon_rate: float | None = None  # None under Erlang C


def demand_problems(demand: Demand) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not math.isfinite(demand.calls) or demand.calls < 0:
        problems["calls"] = "The number of calls must be 0 or more"
    if not math.isfinite(demand.interval_seconds) or demand.interval_seconds <= 0:
        problems["interval"] = "The interval must be longer than 0"
    if not math.isfinite(demand.handle_seconds) or demand.handle_seconds <= 0:
        problems["handle_seconds"] = "The average handle time must be more than 0 seconds"
    patience = demand.patience_seconds
    if patience is not None and (not math.isfinite(patience) or patience <= 0):
        problems["patience_seconds"] = "Callers' patience must be more than 0 seconds"
    if not problems and demand.traffic > MAX_TRAFFIC:
        problems["calls"] = (
            f"That is more work than {MAX_TRAFFIC:,.0f} advisers could do in the interval; "
            "check the number of calls, the interval and the handle time"
        )
    return problems


def target_problems(target: Target) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not math.isfinite(target.service_level) or not 0 < target.service_level < 1:
        problems["service_level"] = (
            "No number of advisers answers every caller in time: the service level must be "
            "more than 0% and less than 100%"
            if target.service_level >= 1
            else "The service level must be more than 0% and less than 100%"
        )
    if not math.isfinite(target.answer_seconds) or target.answer_seconds < 0:
        problems["answer_seconds"] = "The target answer time must be 0 seconds or more"
    occupancy = target.max_occupancy
    if occupancy is not None and (not math.isfinite(occupancy) or not 0 < occupancy <= 1):
        problems["max_occupancy"] = "The maximum occupancy must be more than 0% and at most 100%"
    if not math.isfinite(target.shrinkage) or not 0 <= target.shrinkage < 1:
        problems["shrinkage"] = "Shrinkage must be 0% or more and less than 100%"
    return problems


def _check(demand: Demand, target: Target | None = None) -> None:
    problems = demand_problems(demand)
    if target is not None:
        problems |= target_problems(target)
    if problems:
        raise ValidationFailed("The staffing question cannot be answered.", fields=problems)


def staff_for(agents: int, shrinkage: float) -> int:
    """People to roster so that ``agents`` are on the queue after shrinkage. Rounded to nine
    places first: 14 / (1 - 0.3) is 20.000000000000004 in floating point, and is 20 people."""
    if agents == 0:
        return 0
    return math.ceil(round(agents / (1 - shrinkage), 9))


def on_duty(people: int, shrinkage: float) -> int:
    """Advisers actually answering from the ``people`` rostered, after ``shrinkage`` (a share
    of their time, 0 to 1), rounded down."""
    return math.floor(people * (1 - shrinkage) + 1e-9)


# Erlang B and C


def erlang_b(agents: int, traffic: float) -> float:
    """Probability that all ``agents`` are busy in a loss system offered ``traffic`` Erlangs."""
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def _erlang_c_from_b(agents: int, traffic: float, blocking: float) -> float:
    return agents * blocking / (agents - traffic * (1 - blocking))


def _erlang_c_staffing(demand: Demand, agents: int, blocking: float, target: Target) -> Staffing:
    traffic = demand.traffic
    staff = staff_for(agents, target.shrinkage)
    if traffic == 0:
        return Staffing(agents, staff, 1.0, 0.0, 0.0, 0.0)
    if agents <= traffic:
        # More work than the advisers can do: the queue grows for as long as the interval.
        return Staffing(agents, staff, 0.0, None, 1.0, 1.0)
    wait = _erlang_c_from_b(agents, traffic, blocking)
    spare = agents - traffic
    service_level = 1 - wait * math.exp(-spare * target.answer_seconds / demand.handle_seconds)
    return Staffing(
        agents=agents,
        staff=staff,
        service_level=max(0.0, min(1.0, service_level)),
        asa_seconds=wait * demand.handle_seconds / spare,
        p_wait=wait,
        occupancy=traffic / agents,
    )


# Erlang A


@dataclass(frozen=True)
class _Queue:
    """The stationary distribution of M/M/N+M as seen by an arriving caller."""

    free: float  # probability an adviser is free on arrival
    waiting: np.ndarray  # waiting[j]: probability of arriving with j callers already queued
    rates: np.ndarray  # rates[m]: rate at which a caller with m ahead moves up (N mu + m theta)
    theta: float


def _queue(demand: Demand, agents: int) -> _Queue:
    arrivals = demand.calls / demand.interval_seconds
    service = 1 / demand.handle_seconds
    assert demand.patience_seconds is not None
    theta = 1 / demand.patience_seconds
    traffic = demand.traffic
    # log of the unnormalised probabilities of k = 0..N in the system: A^k / k!
    below = np.zeros(agents + 1)
    if agents:
        below[1:] = np.cumsum(np.log(traffic / np.arange(1, agents + 1)))
    top = agents * service
    # Beyond N each extra caller multiplies by lambda / (N mu + j theta): terms grow while that
    # is above 1, then fall away; stop once they are negligible.
    peak_j = max(0, math.ceil((arrivals - top) / theta))
    chunks: list[np.ndarray] = []
    last = below[-1]
    start = 1
    largest = max(float(below.max()), last)
    while True:
        size = max(64, peak_j + 64 - start) if start <= peak_j else max(64, start)
        j = np.arange(start, start + size, dtype=float)
        logs = last + np.cumsum(np.log(arrivals / (top + j * theta)))
        chunks.append(logs)
        last = float(logs[-1])
        largest = max(largest, float(logs.max()))
        start += size
        if start > peak_j and last < largest - NEGLIGIBLE_LOG:
            break
        if start > MAX_QUEUE_TERMS:
            raise ValidationFailed(
                "The queue is too long to work out.",
                fields={"patience_seconds": "Callers' patience is too long for this many calls"},
            )
    above = np.concatenate([[below[-1]], *chunks])  # k = N, N+1, ...
    weights_below = np.exp(below[:-1] - largest)
    weights_above = np.exp(above - largest)
    total = weights_below.sum() + weights_above.sum()
    waiting = weights_above / total
    rates = top + np.arange(len(waiting)) * theta
    return _Queue(
        free=float(weights_below.sum() / total), waiting=waiting, rates=rates, theta=theta
    )


def _answered_within(queue: _Queue, seconds: float) -> float:
    """Probability that a caller who arrives to a full house reaches an adviser within
    ``seconds`` if they were to hold on: the time for every caller ahead of them, and then
    them, to move up is a sum of exponential stages, computed by uniformisation."""
    if seconds == 0 or queue.rates[0] == 0:
        return 0.0
    # Only the states that hold probability matter.
    mass = np.cumsum(queue.waiting[::-1])[::-1]
    keep = int(np.searchsorted(-mass, -1e-16 * mass[0])) + 1
    state = queue.waiting[:keep].copy()
    rates = queue.rates[:keep]
    uniform = float(rates[-1])
    mean = uniform * seconds
    if mean <= 0:  # a target of a vanishingly small fraction of a second
        return 0.0
    steps = math.ceil(mean + 10 * math.sqrt(mean) + 20)
    if steps * keep > MAX_UNIFORMISATION_WORK:
        raise ValidationFailed(
            "The queue is too long to work out.",
            fields={"answer_seconds": "The target answer time is too long for this many calls"},
        )
    move = rates / uniform
    stay = 1 - move
    answered = 0.0
    answered_by_step = np.empty(steps + 1)
    answered_by_step[0] = 0.0
    for step in range(1, steps + 1):
        answered += state[0] * move[0]
        moved = state * move
        state = state * stay
        state[:-1] += moved[1:]
        answered_by_step[step] = answered
    n = np.arange(steps + 1)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(n[1:]))])
    log_poisson = -mean + n * math.log(mean) - log_factorial
    return float(np.exp(log_poisson) @ answered_by_step)


def _erlang_a_staffing(demand: Demand, agents: int, target: Target) -> Staffing:
    staff = staff_for(agents, target.shrinkage)
    if demand.calls == 0:
        return Staffing(agents, staff, 1.0, 0.0, 0.0, 0.0, abandon_rate=0.0)
    queue = _queue(demand, agents)
    theta = queue.theta
    with np.errstate(divide="ignore"):
        log_stay = np.cumsum(np.log(queue.rates) - np.log(queue.rates + theta))
    patient_enough = np.exp(log_stay)  # chance a caller with j ahead holds on until answered
    mean_wait_if_answered = np.cumsum(1 / (queue.rates + theta))
    answered = queue.free + float(queue.waiting @ patient_enough)
    waited = float(queue.waiting @ (patient_enough * mean_wait_if_answered))
    within = queue.free + float(queue.waiting.sum()) * _answered_within_share(queue, target)
    throughput = demand.traffic * answered
    return Staffing(
        agents=agents,
        staff=staff,
        service_level=max(0.0, min(1.0, within)),
        asa_seconds=waited / answered if answered > 0 else None,
        p_wait=1 - queue.free,
        occupancy=min(1.0, throughput / agents) if agents else 1.0,
        abandon_rate=max(0.0, 1 - answered),
    )


def _answered_within_share(queue: _Queue, target: Target) -> float:
    total = float(queue.waiting.sum())
    if total == 0:
        return 1.0
    scaled = _Queue(queue.free, queue.waiting / total, queue.rates, queue.theta)
    return _answered_within(scaled, target.answer_seconds)


# What callers of this module use


def staffing_evaluate(*, demand: Demand, target: Target, agents: int) -> Staffing:
    """What ``agents`` advisers give: service level, speed of answer, occupancy."""
    _check(demand, target)
    if agents < 0:
        raise ValidationFailed(
            "The staffing question cannot be answered.",
            fields={"agents": "The number of advisers must be 0 or more"},
        )
    if agents > 10 * MAX_TRAFFIC:
        raise ValidationFailed(
            "The staffing question cannot be answered.",
            fields={"agents": f"The number of advisers must be at most {10 * MAX_TRAFFIC:,.0f}"},
        )
    if demand.patience_seconds is not None:
        return _erlang_a_staffing(demand, agents, target)
    return _erlang_c_staffing(demand, agents, erlang_b(agents, demand.traffic), target)


def _meets(result: Staffing, target: Target) -> bool:
    if result.service_level < target.service_level:
        return False
    return target.max_occupancy is None or result.occupancy <= target.max_occupancy + 1e-12


def _search_limit(traffic: float) -> int:
    """No target any caller can set needs more advisers than this: the square-root staffing
    rule puts every service level short of 100% within a few square roots of the load."""
    return math.ceil(traffic + 40 * math.sqrt(traffic) + 100)


def staffing_needed(*, demand: Demand, target: Target) -> Staffing:
    """The fewest advisers that meet the service level (and the occupancy cap, if any)."""
    _check(demand, target)
    if demand.calls == 0:
        return staffing_evaluate(demand=demand, target=target, agents=0)
    limit = _search_limit(demand.traffic)
    patient = Demand(demand.calls, demand.interval_seconds, demand.handle_seconds)
    erlang_c = _erlang_c_search(patient, target, limit)
    if demand.patience_seconds is None:
        return erlang_c
    return _erlang_a_search(demand, target, ceiling=erlang_c.agents)


def _erlang_a_search(demand: Demand, target: Target, *, ceiling: int) -> Staffing:
    """Erlang C's answer already gives every caller who holds on the target wait, and with
    callers giving up the queue is only shorter, so it is the most Erlang A asks for. Below it,
    the fewest advisers who also answer at least the target share of all callers: a queue kept
    short only by callers giving up is no plan. Advisers can answer at most N / A of the calls,
    which bounds the search from below."""
    low = max(0, math.floor(target.service_level * demand.traffic))
    high = ceiling
    best: Staffing | None = None
    while low < high:
        middle = (low + high) // 2
        result = staffing_evaluate(demand=demand, target=target, agents=middle)
        if _meets_with_callers_giving_up(result, target):
            high, best = middle, result
        else:
            low = middle + 1
    return best or staffing_evaluate(demand=demand, target=target, agents=ceiling)


def _meets_with_callers_giving_up(result: Staffing, target: Target) -> bool:
    answered = 1 - (result.abandon_rate or 0.0)
    return _meets(result, target) and answered >= target.service_level


def _erlang_c_search(demand: Demand, target: Target, limit: int) -> Staffing:
    traffic = demand.traffic
    blocking = 1.0
    for agents in range(1, limit + 1):
        blocking = traffic * blocking / (agents + traffic * blocking)
        if agents <= traffic:
            continue
        result = _erlang_c_staffing(demand, agents, blocking, target)
        if _meets(result, target):
            return result
    raise StaffingUnreachable(
        "No number of advisers meets that target.",
        fields={
            "service_level": f"No number of advisers up to {limit:,} meets that target; "
            "choose a lower service level or a longer answer time"
        },
    )
