"""Benchmark: what the log of who read what costs the single customer view on a large council.

Runs against the large council of ``bench/large_council.py`` (built first if it is missing:
500,000 customers, 2,000,000 contacts and 300,000 cases at scale 1) on PostgreSQL, with an
access log already holding ``--entries`` rows (two million at scale 1, some years of reads) so
that its indexes are the size they would be. An adviser, signed in with both factors, opens
the single customer view (``GET /staff/customers/<id>/``, the whole page: the permission-checked
reads, the timeline and the Jinja2 rendering) of ``--customers`` sampled customers,
``--repeat`` times each with the access entry written and as many times with the write turned
off, alternating, after an untimed warm-up of each. The median and the 95th percentile of both
are reported, with the difference as a share of the page's time (aim: under 10%), and the time
of the write alone. Results go to ``bench/results/access_log.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from charter_sweep import execute, fetch
from large_council import COUNCIL_SLUG, build

RESULTS = Path(__file__).resolve().parent / "results" / "access_log.md"
AIM_PERCENT = 10.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def fill_access_log(organisation_id: int, wanted: int) -> int:
    """Top the access log up to ``wanted`` rows of the council's staff reading its customers
    over three years, with set-based SQL; returns how many rows it holds."""
    have = fetch("SELECT count(*) FROM privacy_accessentry")[0][0]
    if have < wanted:
        execute(
            "INSERT INTO privacy_accessentry "
            "(organisation_id, staff_id, customer_id, case_id, document_id, what, page, at) "
            "SELECT %(org)s, staff.ids[1 + (n %% array_length(staff.ids, 1))], "
            "customers.low + (n::bigint * 7919) %% (customers.high - customers.low + 1), "
            "NULL, NULL, 'customer', 'workspace:customer', "
            "now() - ((n %% 1095) || ' days')::interval - ((n %% 86400) || ' seconds')::interval "
            "FROM generate_series(1, %(rows)s) AS n, "
            "(SELECT array_agg(id) AS ids FROM organisations_staffmember "
            " WHERE organisation_id = %(org)s) AS staff, "
            "(SELECT min(id) AS low, max(id) AS high FROM customers_customer "
            " WHERE organisation_id = %(org)s) AS customers",
            {"org": organisation_id, "rows": wanted - have},
        )
        execute("ANALYZE privacy_accessentry")
    return int(fetch("SELECT count(*) FROM privacy_accessentry")[0][0])


def sample_customers(organisation_id: int, size: int, seed: int) -> list[int]:
    """Customers, chosen at random, with at least one case an adviser may see."""
    rng = random.Random(seed)
    top = fetch("SELECT max(id) FROM customers_customer")[0][0]
    chosen: list[int] = []
    while len(chosen) < size:
        candidate = rng.randint(1, top)
        found = fetch(
            "SELECT 1 FROM customers_customer c WHERE c.id = %s AND c.organisation_id = %s "
            "AND c.merged_into_id IS NULL AND EXISTS (SELECT 1 FROM cases_case k "
            "JOIN catalogue_requesttype rt ON rt.id = k.request_type_id "
            "WHERE k.customer_id = c.id AND NOT rt.sensitive)",
            [candidate, organisation_id],
        )
        if found and candidate not in chosen:
            chosen.append(candidate)
    return chosen


def timed(request: Callable[[], Any]) -> float:
    started = time.perf_counter()
    response = request()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"the customer view answered {response.status_code}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="large council scale")
    parser.add_argument("--customers", type=int, default=30, help="customers to sample")
    parser.add_argument("--repeat", type=int, default=10, help="timed views of each, each way")
    parser.add_argument("--entries", type=int, default=None, help="access log rows to start with")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    build(args.scale)

    from django.conf import settings
    from django.test import Client

    from civicdesk.organisations.models import StaffMember
    from civicdesk.privacy.access_log import access_record
    from civicdesk.privacy.choices import AccessKind
    from civicdesk.web.staff import mark_two_factors_passed
    from civicdesk.workspace import access_log_views

    settings.ALLOWED_HOSTS = ["testserver"]
    staff = StaffMember.objects.select_related("organisation", "user").get(
        organisation__slug=COUNCIL_SLUG, user__username="adviser"
    )
    entries = fill_access_log(
        staff.organisation_id,
        args.entries if args.entries is not None else int(2_000_000 * args.scale),
    )
    counts = fetch(
        "SELECT (SELECT count(*) FROM customers_customer), "
        "(SELECT count(*) FROM contacts_contact), (SELECT count(*) FROM cases_case)"
    )[0]
    client = Client()
    client.force_login(staff.user)
    session = client.session
    mark_two_factors_passed(session, staff.user)
    session.save()
    customers = sample_customers(staff.organisation_id, args.customers, args.seed)
    writing = access_log_views.access_record

    def silent(**details: Any) -> None:
        return None

    with_log: list[float] = []
    without_log: list[float] = []
    for customer_id in customers:
        url = f"/staff/customers/{customer_id}/"
        for write in (writing, silent):  # warm-up, untimed
            access_log_views.access_record = write  # type: ignore[assignment]
            timed(lambda url=url: client.get(url))
        for number in range(2 * args.repeat):
            logged = number % 2 == 0
            access_log_views.access_record = writing if logged else silent  # type: ignore[assignment]
            (with_log if logged else without_log).append(timed(lambda url=url: client.get(url)))
    access_log_views.access_record = writing  # type: ignore[assignment]

    write_alone: list[float] = []
    for customer_id in customers:
        for _ in range(args.repeat):
            started = time.perf_counter()
            access_record(
                staff=staff,
                what=AccessKind.CUSTOMER,
                page="workspace:customer",
                customer_id=customer_id,
            )
            write_alone.append((time.perf_counter() - started) * 1000)
    written = execute(
        "DELETE FROM privacy_accessentry WHERE at > now() - interval '1 hour' AND staff_id = %s",
        [staff.pk],
    )

    page_median = statistics.median(without_log)
    extra_median = statistics.median(with_log) - page_median
    share = 100 * extra_median / page_median
    write_share = 100 * statistics.median(write_alone) / page_median
    verdict = "met" if share < AIM_PERCENT else "NOT met"
    lines = [
        "# The log of who read what, on the single customer view of a large council",
        "",
        f"Run on {time.strftime('%Y-%m-%d')}: PostgreSQL, {counts[0]:,} customers, "
        f"{counts[1]:,} contacts, {counts[2]:,} cases (`--scale {args.scale}`), the access log "
        f"holding {entries:,} entries. Python {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end; `python bench/access_log.py`. The whole page "
        "through Django's "
        f"test client (permission checks, every read, Jinja2 rendering), {len(customers)} "
        f"sampled customers, {args.repeat} views of each with the entry written and "
        f"{args.repeat} without, alternating, after a warm-up of each. Times in milliseconds.",
        "",
        "| | median | p95 |",
        "| --- | ---: | ---: |",
        f"| customer view, entry written | {statistics.median(with_log):.1f} "
        f"| {p95(with_log):.1f} |",
        f"| customer view, no entry | {page_median:.1f} | {p95(without_log):.1f} |",
        f"| the write alone (one INSERT) | {statistics.median(write_alone):.2f} "
        f"| {p95(write_alone):.2f} |",
        "",
        f"Cost of the entry: {extra_median:.2f} ms at the median, {share:.1f}% of the page's "
        f"time (the write timed alone: {write_share:.1f}%). Aim: under {AIM_PERCENT:.0f}%: "
        f"{verdict}.",
        "",
        f"The {written:,} entries written by the bench were deleted afterwards.",
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if share < AIM_PERCENT else 1


if __name__ == "__main__":
    sys.exit(main())
