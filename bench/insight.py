"""Benchmark: the insight dashboard on the large council, from the daily summaries, side by
side with the same figures counted straight from the raw tables.

On the large council of ``bench/large_council.py`` (2,000,000 contacts and 300,000 cases over
two years at scale 1, PostgreSQL) it measures

1. the first full build of the summaries (``insight_refresh(full=True)``),
2. the dashboard page, rendered through Django as a team lead sees it, for the last year and
   the last five years (``--runs`` times each; median and 90th percentile),
3. the contact and response figures of the same page counted by single SQL aggregates over the
   raw ``contacts_contact`` and ``cases_case`` tables (one GROUP BY per figure), for the same
   periods, and
4. the worker's refresh after a day of new data: a day's contacts inserted and a day's cases
   resolved, then ``insight_refresh()`` timed; the day is taken out again after each run.

Before timing, it checks that the summaries and the raw tables give the same counts (by
channel, weekday and working days taken) and exits with status 1 if they do not.

Run it with ``make bench`` or ``python bench/insight.py --scale 0.1``. Results go to
bench/results/insight.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from charter_sweep import execute, fetch, vacuum
from large_council import BUILT_AT, COUNCIL_SLUG, build

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "insight.md"
TARGET_MS = 300
LONDON_DAY = "(({column}) AT TIME ZONE 'Europe/London')::date"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def timed(function: Any, runs: int) -> list[float]:
    function()  # warm the caches once, untimed
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def raw_figures(council_id: int, start: date, end: date) -> list[list[tuple[Any, ...]]]:
    """The dashboard's contact and response figures, each as one aggregate over raw rows."""
    day = LONDON_DAY.format(column="started_at")
    contacts = (
        f"FROM contacts_contact WHERE organisation_id = %(council)s AND direction = 'inbound' "
        f"AND {day} BETWEEN %(start)s AND %(end)s"
    )
    params = {"council": council_id, "start": start, "end": end}
    resolved, opened = (
        LONDON_DAY.format(column="c.resolved_at"),
        LONDON_DAY.format(column="c.opened_at"),
    )
    queries = [
        f"SELECT channel, count(*) {contacts} GROUP BY channel",
        f"SELECT extract(isodow FROM {day}), count(*) {contacts} GROUP BY 1",
        f"SELECT extract(hour FROM started_at AT TIME ZONE 'Europe/London'), count(*) "
        f"{contacts} GROUP BY 1",
        f"SELECT date_trunc('month', {day}), channel, count(*) {contacts} GROUP BY 1, 2",
        f"SELECT channel, count(*) FILTER (WHERE is_repeat), "
        f"count(*) FILTER (WHERE reason IN ('progress_chasing', 'failure_demand')), "
        f"count(*) FILTER (WHERE outcome = 'resolved_first_contact') {contacts} GROUP BY 1",
        f"""SELECT c.channel, greatest(least(r.ordinal - o.ordinal, 60), 0) AS taken, count(*),
                   count(*) FILTER (WHERE c.resolved_at <= c.due_at)
            FROM cases_case c
            JOIN insight_workingday r ON r.nation = 'england-and-wales' AND r.day = {resolved}
            JOIN insight_workingday o ON o.nation = 'england-and-wales' AND o.day = {opened}
            WHERE c.organisation_id = %(council)s AND c.resolved_at IS NOT NULL
              AND {resolved} BETWEEN %(start)s AND %(end)s
            GROUP BY 1, 2""",
    ]
    return [fetch(query, params) for query in queries]


def check_agreement(council_id: int, start: date, end: date) -> list[str]:
    """Differences between the summaries and the raw tables (empty when they agree)."""
    from django.db.models import Sum

    from civicdesk.insight.models import CaseResolvedDaily, ContactDaily
    from civicdesk.insight.selectors.common import Filters
    from civicdesk.insight.selectors.dashboard import contacts_by_weekday
    from civicdesk.organisations.models import Organisation

    council = Organisation.objects.get(pk=council_id)
    raw = raw_figures(council_id, start, end)
    problems = []
    summary_channels = dict(
        ContactDaily.objects.filter(organisation=council, day__gte=start, day__lte=end)
        .values("channel")
        .annotate(total=Sum("contacts"))
        .values_list("channel", "total")
    )
    if summary_channels != dict(raw[0]):
        problems.append(f"contacts by channel: {summary_channels} != {dict(raw[0])}")
    weekdays = {
        index + 1: row[1]
        for index, row in enumerate(contacts_by_weekday(Filters(council, start, end)).rows)
        if row[1]
    }
    if weekdays != {int(k): v for k, v in raw[1]}:
        problems.append(f"contacts by weekday: {weekdays} != {raw[1]}")
    histogram = {
        (row["channel"], row["working_days"]): row["total"]
        for row in CaseResolvedDaily.objects.filter(
            organisation=council, day__gte=start, day__lte=end
        )
        .values("channel", "working_days")
        .annotate(total=Sum("cases"))
    }
    if histogram != {(row[0], row[1]): row[2] for row in raw[5]}:
        problems.append("working days taken differ between the summary and the raw cases")
    return problems


def add_a_day(council_id: int, day_start: datetime, contacts: int, cases: int) -> None:
    """A day's new contacts (recorded now) and a day's resolutions of open cases."""
    execute(
        """
        INSERT INTO contacts_contact (
            organisation_id, customer_id, case_id, request_type_id, channel, direction,
            handled_by_id, started_at, duration_seconds, reason, outcome, is_repeat, assisted,
            summary, signposted_to, recorded_at
        )
        SELECT %(council)s, NULL, NULL, NULL, (ARRAY['phone', 'web', 'email'])[k %% 3 + 1],
               'inbound', NULL, %(day)s + (k %% 600) * interval '1 minute', 60, 'information',
               'resolved_first_contact', false, false, 'bench-new-day', '', now()
        FROM generate_series(1, %(contacts)s) AS k
        """,
        {"council": council_id, "day": day_start, "contacts": contacts},
    )
    execute("DROP TABLE IF EXISTS bench_insight_saved")
    execute(
        """
        CREATE TABLE bench_insight_saved AS
        SELECT id, status, resolved_at, clock_state FROM cases_case
        WHERE organisation_id = %(council)s AND status IN ('new', 'assigned', 'in_progress')
        ORDER BY id LIMIT %(cases)s
        """,
        {"council": council_id, "cases": cases},
    )
    execute(
        """
        UPDATE cases_case SET status = 'resolved',
               resolved_at = greatest(opened_at, %(day)s) + interval '3 hours',
               clock_state = 'stopped', updated_at = now()
        WHERE id IN (SELECT id FROM bench_insight_saved)
        """,
        {"day": day_start},
    )


def take_the_day_away() -> None:
    """Put the contacts and cases back as the large council's builder made them."""
    execute("DELETE FROM contacts_contact WHERE summary = 'bench-new-day'")
    execute(
        """
        UPDATE cases_case SET status = saved.status, resolved_at = saved.resolved_at,
               clock_state = saved.clock_state, updated_at = now()
        FROM bench_insight_saved AS saved WHERE cases_case.id = saved.id
        """
    )
    execute("DROP TABLE bench_insight_saved")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 2,000,000 contacts")
    parser.add_argument("--runs", type=int, default=20, help="timed renders per period")
    parser.add_argument("--refresh-runs", type=int, default=5, help="timed refreshes")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    build(args.scale, args.database_url)

    from django.test import Client
    from django.test.utils import setup_test_environment

    from civicdesk.insight.services import insight_refresh
    from civicdesk.organisations.models import Organisation, StaffMember
    from civicdesk.web.staff import mark_two_factors_passed

    setup_test_environment()
    council = Organisation.objects.get(slug=COUNCIL_SLUG)
    contacts_total = fetch(
        "SELECT count(*) FROM contacts_contact WHERE organisation_id = %s", [council.pk]
    )[0][0]

    started = time.perf_counter()
    insight_refresh(full=True)
    full_refresh_s = time.perf_counter() - started
    vacuum("insight_contactdaily", "insight_contacthourly", "insight_caseresolveddaily")
    summary_rows = fetch(
        "SELECT (SELECT count(*) FROM insight_contactdaily), "
        "(SELECT count(*) FROM insight_contacthourly), "
        "(SELECT count(*) FROM insight_caseresolveddaily)"
    )[0]

    today = BUILT_AT.date()
    periods = {"1 year": today - timedelta(days=364), "5 years": today - timedelta(days=5 * 365)}
    problems = []
    for first in periods.values():
        problems += check_agreement(council.pk, first, today)
    if problems:
        print("The summaries and the raw tables disagree:", *problems, sep="\n  ")
        return 1

    lead = StaffMember.objects.filter(organisation=council, role="team_lead").first()
    assert lead is not None
    client = Client()
    client.force_login(lead.user)
    session = client.session
    mark_two_factors_passed(session, lead.user)
    session.save()

    rendered: dict[str, list[float]] = {}
    raw: dict[str, list[float]] = {}
    for name, first in periods.items():
        address = f"/staff/insight/?start={first.isoformat()}&end={today.isoformat()}"

        def render(address: str = address) -> None:
            response = client.get(address)
            assert response.status_code == 200, response.status_code

        rendered[name] = timed(render, args.runs)
        raw[name] = timed(
            lambda first=first: raw_figures(council.pk, first, today), max(3, args.runs // 4)
        )

    per_day = max(1, contacts_total // 730)
    cases_per_day = max(1, per_day // 7)
    refreshes = []
    for run in range(args.refresh_runs):
        insight_refresh()  # nothing new: sets the mark to now
        day_start = datetime.combine(
            today - timedelta(days=run), datetime.min.time(), BUILT_AT.tzinfo
        )
        add_a_day(council.pk, day_start, per_day, cases_per_day)
        started = time.perf_counter()
        recounted = insight_refresh()
        refreshes.append((time.perf_counter() - started) * 1000)
        take_the_day_away()
        insight_refresh()
    assert recounted["contacts"] >= 1

    lines = [
        "# Insight dashboard benchmark",
        "",
        f"Run {datetime.now().strftime('%Y-%m-%d %H:%M')} (Python {platform.python_version()}, "
        f"PostgreSQL {fetch('SHOW server_version')[0][0]}), scale {args.scale}: "
        f"{contacts_total:,} contacts of the large council over two years. "
        "Milliseconds unless marked.",
        "",
        f"- First full build of the summaries: {full_refresh_s:.1f} s "
        f"({summary_rows[0]:,} daily contact rows, {summary_rows[1]:,} hourly rows, "
        f"{summary_rows[2]:,} case rows).",
        "- The summaries and the raw tables agree on contacts by channel and weekday and on "
        "working days taken, for both periods.",
        "",
        "| what | period | runs | median | 90th percentile |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name in periods:
        lines.append(
            f"| dashboard page from the summaries (every figure) | {name} | {len(rendered[name])} "
            f"| {statistics.median(rendered[name]):.0f} | {percentile(rendered[name], 0.9):.0f} |"
        )
        lines.append(
            f"| contact and response figures as single SQL aggregates over the raw tables | {name} "
            f"| {len(raw[name])} | {statistics.median(raw[name]):.0f} "
            f"| {percentile(raw[name], 0.9):.0f} |"
        )
    lines.append(
        f"| refresh after a day of new data ({per_day:,} contacts, {cases_per_day:,} cases "
        f"resolved) | one day | {len(refreshes)} | {statistics.median(refreshes):.0f} "
        f"| {percentile(refreshes, 0.9):.0f} |"
    )
    worst = max(percentile(values, 0.9) for values in rendered.values())
    lines += [
        "",
        f"Target: the dashboard under {TARGET_MS} ms at the 90th percentile: "
        f"{'met' if worst <= TARGET_MS else 'not met'} ({worst:.0f} ms at worst).",
        "",
        "The data covers two years, so the five-year period reads every summary row there is.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
