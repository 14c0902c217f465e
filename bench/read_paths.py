"""Benchmark: the read paths people wait on, each next to hand-written SQL for the same answer.

On the large council of ``bench/large_council.py`` (500,000 customers, 2,000,000 contacts and
300,000 cases at scale 1, PostgreSQL; built first if it is missing) it adds, in a transaction
that is rolled back at the end, a public and an internal note on every case of the last 30
days, the Open311 jurisdiction, and one customer with 2,000 contacts (``bench/timeline.py``'s
long history). Then, in the same run and on the same connection, it times

1. Open311 ``GET requests.json`` for 30 days, 1,000 requests, with no key, as FixMyStreet
   fetches it;
2. the single customer view, for ``--customers`` sampled customers and for the customer with
   2,000 contacts, both as the whole page over HTTP (signed in as an adviser; the access-log
   entry is written on every open, as in production) and as the view's reads alone
   (``customer_view``);
3. a busy team's queue, as its team lead sees it, with no filter, with "overdue" and with a
   postcode district, as the whole page and as the queue's reads alone (count and page);

each through Django's test client (the real request path: sessions, middleware, the view,
rendering), ``--repeat`` times after one untimed run, next to hand-written SQL that fetches the
same rows. Every path must give the same answer as its SQL (the same requests, customers'
records, queue rows) or the script exits with status 1. Each path's query count is recorded,
and for the customer view compared between the sampled customers and the long history (it
must not grow). Median and 95th percentile go to ``bench/results/read_paths.md``.

Run: ``python bench/read_paths.py [--scale 1] [--repeat 20] [--customers 20]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from charter_sweep import execute, fetch
from large_council import BUILT_AT, COUNCIL_SLUG, _blank_text_by_default, build
from timeline import FILLED_TABLES, add_the_long_history

RESULTS = Path(__file__).resolve().parent / "results" / "read_paths.md"
OPEN311_DAYS, OPEN311_LIMIT = 30, 1000
QUEUE_PAGE = 50
CASE_LIST_LENGTH, TIMELINE_PAGE = 50, 25


@dataclass
class Row:
    """One line of the results table."""

    what: str
    path: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)
    aim: float = 0.0  # the path's median may be at most this many times the SQL's


def timed(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    result = function()  # warm-up, untimed
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def counted(function: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


# Hand-written SQL: the same answers, each from its index.

OPEN311_SQL = """
SELECT c.reference, c.status, rt.name, rt.key, c.public_description, COALESCE(t.name, o.name),
       c.target_summary, c.opened_at, c.updated_at, c.due_at, c.location_text, c.latitude,
       c.longitude,
       (SELECT n.public_body FROM cases_casenote n
        WHERE n.case_id = c.id AND n.visibility = 'public'
        ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
FROM cases_case c
JOIN catalogue_requesttype rt ON rt.id = c.request_type_id
JOIN organisations_organisation o ON o.id = c.organisation_id
LEFT JOIN organisations_team t ON t.id = c.team_id
WHERE c.organisation_id = %(org)s AND NOT rt.sensitive
  AND c.opened_at >= %(start)s AND c.opened_at <= %(end)s
ORDER BY c.opened_at DESC, c.id DESC LIMIT %(limit)s
"""

# The customer page: the record, its details, support needs and representatives, the cases
# (the list and the timeline's case choices from one read), the newest page of the timeline
# (one UNION ALL of the five kinds), likely duplicates, what merges did not keep, and the
# access-log entry.
CUSTOMER_SQL = [
    "SELECT * FROM customers_customer WHERE id = %(id)s AND organisation_id = %(org)s",
    "SELECT * FROM customers_contactdetail WHERE customer_id = %(id)s ORDER BY is_primary DESC, id",
    "SELECT * FROM customers_supportneed WHERE customer_id = %(id)s AND ended_at IS NULL",
    "SELECT r.*, p.* FROM customers_representative r "
    "JOIN customers_customer p ON p.id = r.representative_id "
    "WHERE r.customer_id = %(id)s AND r.ended_at IS NULL",
    "SELECT c.*, rt.name, t.name FROM cases_case c "
    "JOIN catalogue_requesttype rt ON rt.id = c.request_type_id "
    "LEFT JOIN organisations_team t ON t.id = c.team_id "
    "WHERE c.customer_id = %(id)s AND c.organisation_id = %(org)s "
    "AND (NOT rt.sensitive OR c.team_id = ANY(%(teams)s)) "
    "ORDER BY c.opened_at DESC, c.id DESC",
    """
    WITH mine AS (
        SELECT c.id FROM cases_case c JOIN catalogue_requesttype rt ON rt.id = c.request_type_id
        WHERE c.customer_id = %(id)s AND c.organisation_id = %(org)s
          AND (NOT rt.sensitive OR c.team_id = ANY(%(teams)s))
    )
    SELECT * FROM (
        (SELECT k.started_at AS at, 4 AS rank, k.id FROM contacts_contact k
         LEFT JOIN cases_case c ON c.id = k.case_id
         LEFT JOIN catalogue_requesttype crt ON crt.id = c.request_type_id
         LEFT JOIN catalogue_requesttype krt ON krt.id = k.request_type_id
         LEFT JOIN catalogue_servicearea ksa ON ksa.id = krt.service_area_id
         WHERE k.customer_id = %(id)s AND k.organisation_id = %(org)s
           AND ((k.case_id IS NULL AND (krt.id IS NULL OR NOT krt.sensitive
                 OR ksa.team_id = ANY(%(teams)s)))
                OR NOT crt.sensitive OR c.team_id = ANY(%(teams)s))
         ORDER BY k.started_at DESC, k.id DESC LIMIT %(page)s)
        UNION ALL
        (SELECT c.opened_at, 5, c.id FROM cases_case c WHERE c.id IN (SELECT id FROM mine)
         ORDER BY c.opened_at DESC, c.id DESC LIMIT %(page)s)
        UNION ALL
        (SELECT o.created_at, 3, o.id FROM notifications_outboxmessage o
         WHERE o.customer_id = %(id)s AND o.organisation_id = %(org)s
           AND (o.case_id IS NULL OR o.case_id IN (SELECT id FROM mine))
         ORDER BY o.created_at DESC, o.id DESC LIMIT %(page)s)
        UNION ALL
        (SELECT r.created_at, 2, r.id FROM feedback_contactrating r
         WHERE r.case_id IN (SELECT id FROM mine)
         ORDER BY r.created_at DESC, r.id DESC LIMIT %(page)s)
        UNION ALL
        (SELECT COALESCE(CASE WHEN v.kind = 'appointment' THEN v.starts_at ELSE v.arrived_at
                         END, v.created_at), 1, v.id FROM appointments_visit v
         WHERE v.customer_id = %(id)s ORDER BY 1 DESC, v.id DESC LIMIT %(page)s)
    ) AS items ORDER BY at DESC, rank DESC, id DESC LIMIT %(page)s
    """,
    """
    SELECT other.* FROM customers_customer other
    WHERE other.organisation_id = %(org)s AND other.merged_into_id IS NULL
      AND other.id <> %(id)s AND other.id IN (
        SELECT d2.customer_id FROM customers_contactdetail d1
        JOIN customers_contactdetail d2 ON d2.kind = d1.kind AND d2.normalised = d1.normalised
        WHERE d1.customer_id = %(id)s
        UNION
        SELECT o.id FROM customers_customer me JOIN customers_customer o
          ON o.organisation_id = me.organisation_id AND o.search_name = me.search_name
         AND (o.postcode = me.postcode OR o.date_of_birth = me.date_of_birth)
        WHERE me.id = %(id)s AND me.search_name <> '')
    ORDER BY other.id
    """,
    "SELECT after FROM core_auditevent WHERE subject_type = 'customer' "
    "AND action = 'merged_from' AND subject_id IN "
    "(SELECT %(id)s UNION ALL SELECT id FROM customers_customer WHERE merged_into_id = %(id)s) "
    "ORDER BY at, id",
    "INSERT INTO privacy_accessentry (organisation_id, staff_id, customer_id, what, page, at) "
    "VALUES (%(org)s, %(staff)s, %(id)s, 'customer', 'workspace:customer', now())",
]

QUEUE_FROM = """
FROM cases_case c
JOIN catalogue_requesttype rt ON rt.id = c.request_type_id
LEFT JOIN customers_customer cu ON cu.id = c.customer_id
WHERE c.organisation_id = %(org)s AND (NOT rt.sensitive OR c.team_id = ANY(%(teams)s))
  AND c.status IN ('new', 'assigned', 'in_progress', 'waiting', 'reopened')
  AND c.team_id = %(team)s {extra}
"""
QUEUE_SQL = [
    "SELECT count(*) " + QUEUE_FROM,
    "SELECT c.*, rt.*, sa.*, t.*, u.*, cu.* "
    + QUEUE_FROM.replace(
        "LEFT JOIN customers_customer",
        "JOIN catalogue_servicearea sa ON sa.id = rt.service_area_id "
        "LEFT JOIN organisations_team t ON t.id = c.team_id "
        "LEFT JOIN auth_user u ON u.id = c.assigned_to_id LEFT JOIN customers_customer",
    )
    + " ORDER BY c.due_at ASC NULLS LAST, c.opened_at, c.id LIMIT %(page)s",
    "SELECT * FROM organisations_team WHERE organisation_id = %(org)s ORDER BY name",
    "SELECT * FROM catalogue_servicearea WHERE organisation_id = %(org)s ORDER BY name",
    "SELECT s.*, u.* FROM organisations_staffmember s JOIN auth_user u ON u.id = s.user_id "
    "JOIN organisations_staffmember_teams st ON st.staffmember_id = s.id "
    "WHERE s.organisation_id = %(org)s AND s.active AND st.team_id = %(team)s "
    "AND s.role IN ('officer', 'team_lead', 'manager') ORDER BY u.last_name, u.first_name",
]
QUEUE_FILTERS: dict[str, tuple[dict[str, str], str]] = {
    "no filter": ({}, ""),
    "overdue": (
        {"due": "overdue"},
        "AND (c.clock_state = 'overdue' OR (c.clock_state IN ('on_track', 'due_soon') "
        "AND c.due_at <= now()))",
    ),
    "postcode district": (
        {"area": "TF1"},
        "AND (cu.postcode = 'TF1' OR cu.postcode LIKE 'TF1 %%')",
    ),
}


PATHS = ("open311", "customer", "queue")


def run_sql(statements: list[str], params: dict[str, Any]) -> list[list[tuple[Any, ...]]]:
    from django.db import connection

    answers = []
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
            answers.append(cursor.fetchall() if cursor.description else [])
    return answers


def add_notes(council_id: int) -> int:
    """A public note and a staff-only note, a day apart, on every case of the last 30 days,
    with the words for outside systems filtered as ``note_record`` does when it writes one."""
    from civicdesk.cases.models import CaseNote
    from civicdesk.cases.public_words import public_words

    first_new = fetch("SELECT COALESCE(max(id), 0) FROM cases_casenote")[0][0]
    added = execute(
        """
        INSERT INTO cases_casenote (case_id, visibility, body, author_id, author_label,
                                    created_at)
        SELECT c.id, note.visibility, note.body || ' ' || c.reference, NULL, 'Crew',
               c.opened_at + note.later
        FROM cases_case c
        CROSS JOIN (VALUES ('public', 'Crew booked for', interval '1 day'),
                           ('internal', 'Staff only on', interval '2 days')) AS
            note(visibility, body, later)
        WHERE c.organisation_id = %(council)s AND c.opened_at >= %(since)s
        """,
        {"council": council_id, "since": BUILT_AT - timedelta(days=OPEN311_DAYS + 1)},
    )
    notes = list(CaseNote.objects.filter(pk__gt=first_new).only("pk", "body"))
    for note in notes:
        note.public_body = public_words(note.body)
    CaseNote.objects.bulk_update(notes, ["public_body"], batch_size=1000)
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="large council scale")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each request")
    parser.add_argument("--customers", type=int, default=20, help="customers to sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--paths",
        nargs="+",
        choices=PATHS,
        default=list(PATHS),
        help="which read paths to time (all by default)",
    )
    args = parser.parse_args(argv)
    build(args.scale, args.database_url)

    from django.conf import settings
    from django.db import transaction

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    problems: list[str] = []
    with transaction.atomic():
        rows, context = measure(args, problems)
        transaction.set_rollback(True)
    write(args, rows, context, problems)
    return 1 if problems else 0


def measure(args: argparse.Namespace, problems: list[str]) -> tuple[list[Row], dict[str, Any]]:
    from civicdesk.integrations.models import Open311Jurisdiction
    from civicdesk.organisations.models import Organisation, StaffMember

    council = Organisation.objects.get(slug=COUNCIL_SLUG)
    notes = add_notes(council.pk)
    _blank_text_by_default(*FILLED_TABLES)
    long_history = add_the_long_history(council.pk)
    execute("ANALYZE cases_casenote")
    jurisdiction, _ = Open311Jurisdiction.objects.get_or_create(
        organisation=council, defaults={"jurisdiction_id": "large.example.gov.uk"}
    )
    rows: list[Row] = []
    if "open311" in args.paths:
        rows.append(open311(args, council.pk, jurisdiction.jurisdiction_id, problems))
    if "customer" in args.paths:
        adviser = StaffMember.objects.get(organisation=council, user__username="adviser")
        rows += customer_view(args, adviser, long_history, problems)
    if "queue" in args.paths:
        rows += queue(args, council.pk, problems)
    counts = fetch(
        "SELECT (SELECT count(*) FROM customers_customer), "
        "(SELECT count(*) FROM contacts_contact), (SELECT count(*) FROM cases_case)"
    )[0]
    return rows, {"counts": counts, "notes": notes}


def signed_in(user: Any) -> Any:
    from django.test import Client

    from civicdesk.web.staff import mark_two_factors_passed

    client = Client()
    client.force_login(user)
    session = client.session
    mark_two_factors_passed(session, user)
    session.save()
    return client


def open311(
    args: argparse.Namespace, council_id: int, jurisdiction: str, problems: list[str]
) -> Row:
    from django.test import Client

    client = Client()
    end = BUILT_AT
    start = end - timedelta(days=OPEN311_DAYS)
    params = {
        "jurisdiction_id": jurisdiction,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "limit": str(OPEN311_LIMIT),
    }

    def over_http() -> list[dict[str, Any]]:
        response = client.get("/open311/v2/requests.json", params)
        if response.status_code != 200:
            raise SystemExit(f"Open311 answered {response.status_code}: {response.content[:300]!r}")
        return json.loads(response.content)

    row = Row(f"Open311 `GET requests.json`, {OPEN311_DAYS} days, {OPEN311_LIMIT:,} rows", aim=2)
    row.path, listed = timed(over_http, args.repeat)
    sql_params = {"org": council_id, "start": start, "end": end, "limit": OPEN311_LIMIT}
    row.sql, by_hand = timed(lambda: run_sql([OPEN311_SQL], sql_params)[0], args.repeat)
    row.queries.add(counted(over_http))
    if [item["service_request_id"] for item in listed] != [line[0] for line in by_hand]:
        problems.append("Open311: the requests listed differ from the SQL's")
    with_notes = sum(1 for item in listed if item["status_notes"])
    if with_notes != sum(1 for line in by_hand if line[13]):
        problems.append("Open311: the status notes differ from the SQL's")
    if len(listed) < OPEN311_LIMIT:
        problems.append(f"Open311: only {len(listed)} requests in {OPEN311_DAYS} days")
    return row


def customer_view(
    args: argparse.Namespace, adviser: Any, long_history: int, problems: list[str]
) -> list[Row]:
    from civicdesk.workspace.customer_view import customer_view as read_view

    client = signed_in(adviser.user)
    teams = list(adviser.teams.values_list("id", flat=True))
    rng = random.Random(args.seed)
    top = fetch(
        "SELECT max(id) FROM customers_customer WHERE organisation_id = %s",
        [adviser.organisation_id],
    )[0][0]
    sampled: list[int] = []
    while len(sampled) < args.customers:
        candidate = rng.randint(1, top)
        if fetch(
            "SELECT 1 FROM customers_customer WHERE id = %s AND organisation_id = %s "
            "AND merged_into_id IS NULL",
            [candidate, adviser.organisation_id],
        ):
            sampled.append(candidate)

    rows = []
    for label, customers in (
        (f"single customer view, {args.customers} sampled customers", sampled),
        ("single customer view, a customer with 2,000 contacts", [long_history]),
    ):
        page = Row(f"{label}: the whole page", aim=3)
        reads = Row(f"{label}: the view's reads", aim=3)
        repeat = max(1, args.repeat // len(customers)) if len(customers) > 1 else args.repeat
        for customer_id in customers:
            address = f"/staff/customers/{customer_id}/"

            def over_http(address: str = address) -> str:
                response = client.get(address)
                if response.status_code != 200:
                    raise SystemExit(f"{address} answered {response.status_code}")
                return response.content.decode()

            def read(customer_id: int = customer_id) -> Any:
                return read_view(staff=adviser, customer_id=customer_id)

            params = {
                "id": customer_id,
                "org": adviser.organisation_id,
                "teams": teams,
                "page": TIMELINE_PAGE + 1,
                "staff": adviser.pk,
            }
            times, html = timed(over_http, repeat)
            page.path += times
            times, view = timed(read, repeat)
            reads.path += times
            times, answers = timed(lambda params=params: run_sql(CUSTOMER_SQL, params), repeat)
            page.sql += times
            reads.sql += times
            page.queries.add(counted(over_http))
            reads.queries.add(counted(read))
            cases = answers[4]
            if [case.pk for case, _ in view.cases] != [line[0] for line in cases][
                :CASE_LIST_LENGTH
            ]:
                problems.append(f"customer {customer_id}: the cases differ from the SQL's")
            if len(view.timeline.items) != min(len(answers[5]), TIMELINE_PAGE):
                problems.append(f"customer {customer_id}: the timeline differs from the SQL's")
            if sorted(duplicate.pk for duplicate in view.duplicates) != sorted(
                line[0] for line in answers[6]
            ):
                problems.append(f"customer {customer_id}: the duplicates differ from the SQL's")
            if view.customer.display_name and view.customer.display_name not in html:
                problems.append(f"customer {customer_id}: the page does not show their name")
        rows += [page, reads]
    queries = {count for row in rows for count in row.queries}
    if len(rows[0].queries | rows[2].queries) > 1 or len(rows[1].queries | rows[3].queries) > 1:
        problems.append(f"customer view: the number of queries varies: {sorted(queries)}")
    return rows


def queue(args: argparse.Namespace, council_id: int, problems: list[str]) -> list[Row]:
    from civicdesk.cases.selectors import QueueFilters, queue_cases
    from civicdesk.organisations.models import StaffMember

    team_id, open_cases = fetch(
        "SELECT team_id, count(*) FROM cases_case WHERE organisation_id = %s "
        "AND status IN ('new', 'assigned', 'in_progress', 'waiting', 'reopened') "
        "GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1",
        [council_id],
    )[0]
    lead = StaffMember.objects.get(
        organisation_id=council_id, role="team_lead", teams=team_id, active=True
    )
    client = signed_in(lead.user)
    teams = list(lead.teams.values_list("id", flat=True))
    rows = []
    for label, (chosen, extra) in QUEUE_FILTERS.items():
        query = {"team": str(team_id), **chosen}

        def over_http(query: dict[str, str] = query) -> str:
            response = client.get("/staff/queue/", query)
            if response.status_code != 200:
                raise SystemExit(f"the queue answered {response.status_code}")
            return response.content.decode()

        def read(query: dict[str, str] = query) -> tuple[int, list[Any]]:
            cases = queue_cases(staff=lead, filters=QueueFilters(**query))
            return cases.count(), list(cases[:QUEUE_PAGE])

        statements = [statement.replace("{extra}", extra) for statement in QUEUE_SQL]
        params = {"org": council_id, "teams": teams, "team": team_id, "page": QUEUE_PAGE}
        page = Row(f"team queue, busy team ({open_cases:,} open), {label}: the whole page", aim=1.5)
        reads = Row(f"team queue, busy team, {label}: the queue's reads", aim=1.5)
        page.path, html = timed(over_http, args.repeat)
        reads.path, (total, listed) = timed(read, args.repeat)
        page.sql, answers = timed(
            lambda statements=statements, params=params: run_sql(statements, params), args.repeat
        )
        reads.sql, _ = timed(
            lambda statements=statements, params=params: run_sql(statements[:2], params),
            args.repeat,
        )
        page.queries.add(counted(over_http))
        reads.queries.add(counted(read))
        if total != answers[0][0][0] or [case.pk for case in listed] != [
            line[0] for line in answers[1]
        ]:
            problems.append(f"queue, {label}: the cases differ from the SQL's")
        if listed and listed[0].reference not in html:
            problems.append(f"queue, {label}: the page does not show the first case")
        rows += [page, reads]
    return rows


def write(
    args: argparse.Namespace, rows: list[Row], context: dict[str, Any], problems: list[str]
) -> None:
    customers, contacts, cases = context["counts"]
    lines = [
        "# Read paths at the speed of their SQL",
        "",
        f"PostgreSQL, {customers:,} customers, {contacts:,} contacts, {cases:,} cases "
        f"(`--scale {args.scale}`), with {context['notes']:,} case notes added for the run. "
        f"Each path timed {args.repeat} times after a warm-up (the sampled customers share "
        "that many between them), next to hand-written SQL for the same answer, in the same "
        f"run on the same connection. Python {platform.python_version()} on "
        f"{platform.machine()}. Times in milliseconds.",
        "",
        "| what | median | p95 | queries | SQL median | SQL p95 | median / SQL | aim |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = statistics.median(row.path) / statistics.median(row.sql)
        queries = ", ".join(str(count) for count in sorted(row.queries))
        met = "met" if ratio <= row.aim else "not met"
        lines.append(
            f"| {row.what} | {statistics.median(row.path):.1f} | {p95(row.path):.1f} "
            f"| {queries} | {statistics.median(row.sql):.1f} | {p95(row.sql):.1f} "
            f"| {ratio:.1f}x | ≤ {row.aim:g}x: {met} |"
        )
    lines += [
        "",
        '"The whole page" is the request through Django\'s test client: session, signed-in '
        "check, the view's reads, the access-log entry (customer page) and the rendered page; its "
        "SQL is every statement the page needs, written by hand (including the access-log "
        'INSERT), returning raw rows. "The reads" are the selectors the view calls, returning '
        "model objects, next to the same SQL without the lists of teams and officers (queue).",
        "",
        "Every path gave the same answer as its SQL."
        if not problems
        else "Problems:\n\n" + "\n".join(f"- {problem}" for problem in problems),
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
