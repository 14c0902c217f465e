"""Benchmark: the periodic charter sweep over a large case table, ORM job against plain SQL.

Fills a dedicated PostgreSQL database with two councils, their teams and team leads, and
``--cases`` cases (1,000,000 by default) whose charter clocks are spread around the moment of
the sweep. Then, in the same run and on identical data, it times

- the job the worker runs, ``civicdesk.cases.charter_sweep.charter_sweep(now)``, and
- the same job written by hand in SQL: the two UPDATEs with the same conditions, then one
  INSERT ... SELECT that does the per-team aggregation, picks the first 20 flagged cases per
  team, finds the recipients the way ``_alert_team_leads`` does and writes the same alert
  messages (subject and body, word for word) into the outbox,

alternating which goes first. After every run the flagged rows are put back from a snapshot,
the alerts deleted and the tables vacuumed, so every run starts from the same data. The flags
(case id -> new clock state) and the alert messages of every run must be identical, or the
script exits with status 1.

Run it with ``make bench``; see bench/README.md. Results go to bench/results/charter_sweep.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "charter_sweep.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/civicdesk_bench"

# Bump when the generated data changes, so that an existing bench database is refilled.
GENERATOR_VERSION = "4"

LONDON = ZoneInfo("Europe/London")
# The sweep being measured. Clocks are generated as a sweep ``--window`` minutes earlier left
# them, so the cases whose due-soon or due moment fell in between change at SWEEP_AT. An hour
# gives the 1-3% of cases changing that the benchmark is about; the worker's usual 5 minutes
# gives far fewer.
SWEEP_AT = datetime(2026, 11, 25, 10, 5, tzinfo=LONDON)

# Shares of cases by clock, the rest have a running clock (on track or due soon).
NO_TARGET_SHARE = 0.02
PAUSED_SHARE = 0.05
STOPPED_SHARE = 0.03
ALREADY_OVERDUE_SHARE = 0.03
UNASSIGNED_SHARE = 0.01
CUSTOMERS_PER_CASE = 0.25

# The reference alphabet (civicdesk.core.references), repeated so the bench does not depend on
# Django being set up to build its SQL.
ALPHABET = "346789ACDEFGHJKMNPQRTWXY"
REFERENCE_MULTIPLIER = 1_000_003  # coprime with 24, so id -> reference is one to one

TEAM_NAMES = [
    "Waste and Recycling",
    "Street Cleansing",
    "Highways",
    "Street Lighting",
    "Parking Services",
    "Environmental Health",
    "Pest Control",
    "Housing Repairs",
    "Housing Options",
    "Council Tax",
    "Business Rates",
    "Benefits",
    "Planning Enforcement",
    "Building Control",
    "Licensing",
    "Parks and Open Spaces",
    "Trees and Woodland",
    "Fly-tipping",
    "Noise and Nuisance",
    "Anti-social Behaviour",
    "Drainage",
    "Grounds Maintenance",
    "Private Sector Housing",
    "Complaints",
]
ORGANISATIONS = [
    ("Northmoor Council", "northmoor", "unitary", 24),
    ("Eastbrook District Council", "eastbrook", "district", 16),
]
# (key suffix, name, kind, priority, target amount, unit, summary, nominal length in hours)
REQUEST_TYPES = [
    ("report", "Report a problem", "report", "standard", 5, "working_days", "put it right", 168),
    ("request", "Request a visit", "request", "standard", 10, "working_days", "visit", 336),
    ("urgent", "Report an urgent problem", "report", "urgent", 1, "working_days", "respond", 34),
    ("quick", "Ask for a quick fix", "request", "standard", 2, "working_days", "fix it", 67),
    ("complaint", "Make a complaint", "complaint", "standard", 20, "working_days", "reply", 672),
]
EMERGENCY_TYPE = (
    "emergency",
    "Report a dangerous problem",
    "report",
    "emergency",
    4,
    "calendar_hours",
    "make it safe",
    4,
)
DESCRIPTIONS = [
    "The bin was not emptied on collection day and is now overflowing onto the pavement.",
    "Large pothole outside number 14, cars are swerving to avoid it. It has got worse after "
    "the rain this week.",
    "Street light has been flickering for a week and is now completely out. The path is very "
    "dark at night.",
    "Fly-tipped mattress and bags of rubbish in the lane behind the shops.",
    "Water coming through the kitchen ceiling from the flat above whenever it rains.",
    "Loud music from the neighbouring property most nights until 2am.",
    "I was charged twice for my council tax instalment this month.",
    "Overgrown hedge blocking the footpath so pushchairs have to go into the road.",
]
STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Road", "The Green"]
FIRST_NAMES = ["Ann", "Ben", "Chloe", "David", "Emma", "Farah", "George", "Harpreet", "Iain"]
LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Evans"]
CHANNELS = ["phone", "web", "web", "web", "email", "app", "face_to_face", "chat"]


# Setting up


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to generate")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
        help="a PostgreSQL database used only for the bench (BENCH_DATABASE_URL)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument(
        "--window",
        type=int,
        default=60,
        help="minutes since the previous sweep, which sets how many cases change (default 60)",
    )
    parser.add_argument("--refill", action="store_true", help="regenerate the data even if current")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--drop", action="store_true", help="drop the bench database when finished")
    args = parser.parse_args(argv)
    if args.cases < 1_000:
        parser.error("--cases must be at least 1000")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not 1 <= args.window <= 24 * 60:
        parser.error("--window must be between 1 and 1440 minutes")
    return args


def database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        sys.exit("The bench needs PostgreSQL: give a postgres:// URL.")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        # The bench empties every table it fills; never let it loose on a real database.
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    return name


def ensure_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    print(f"Dropped database {name}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    # The job logs one line per sweep; keep the bench output to the figures.
    logging.getLogger("civicdesk").setLevel(logging.WARNING)
    call_command("migrate", interactive=False, verbosity=0)


def execute(statement: str, params: dict[str, Any] | list[Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


def fetch(
    statement: str, params: dict[str, Any] | list[Any] | None = None
) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall())


def vacuum(*tables: str) -> None:
    for table in tables:
        execute(f"VACUUM (ANALYZE) {table}")


def checkpoint() -> None:
    """Write out dirty pages now, so a checkpoint is unlikely to fall inside a timed run."""
    from django.db import DatabaseError

    # CHECKPOINT needs superuser or pg_checkpoint; without them the runs are a little noisier.
    with suppress(DatabaseError):
        execute("CHECKPOINT")


# Filling the database


def data_is_current(cases: int, window: int) -> bool:
    execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    stored = dict(fetch("SELECT key, value FROM bench_meta"))
    return stored == {"cases": str(cases), "window": str(window), "generator": GENERATOR_VERSION}


def fill(cases: int, window: int) -> None:
    started = time.perf_counter()
    execute("DELETE FROM bench_meta")
    # Everything the bench created hangs off organisations and users.
    execute("TRUNCATE organisations_organisation, auth_user RESTART IDENTITY CASCADE")
    request_types = _fill_organisations()
    print(f"  organisations, teams, staff and catalogue: {len(request_types)} request types")
    customers = max(1, int(cases * CUSTOMERS_PER_CASE))
    _fill_customers(customers)
    print(f"  {customers:,} customers")
    _fill_cases(cases, customers, request_types, SWEEP_AT - timedelta(minutes=window))
    print(f"  {cases:,} cases")
    vacuum(
        "auth_user",
        "organisations_team",
        "organisations_staffmember",
        "organisations_staffmember_teams",
        "customers_customer",
        "cases_case",
        "notifications_outboxmessage",
    )
    execute(
        "INSERT INTO bench_meta VALUES ('cases', %s), ('window', %s), ('generator', %s)",
        [str(cases), str(window), GENERATOR_VERSION],
    )
    print(f"  filled in {time.perf_counter() - started:.0f} s")


@dataclass
class PlannedType:
    position: int
    request_type_id: int
    organisation_index: int
    organisation_id: int
    team_id: int
    officer_ids: list[int]
    kind: str
    priority: str
    amount: int
    unit: str
    summary: str
    hours: int
    tickets: int


def _fill_organisations() -> list[PlannedType]:
    """The small tables, through the ORM: councils, teams, staff, service areas, request types.

    Team leads are set up so that every rule of ``_alert_recipients`` is used: most teams have
    one or two active leads with an email address, some also an inactive lead or a lead
    without an address, some have no lead but a shared inbox, and some have neither, so their
    alerts go to the council's active managers with an email address.
    """
    from django.contrib.auth.models import User

    from civicdesk.catalogue.models import CharterTarget, RequestType, ServiceArea
    from civicdesk.organisations.choices import Role
    from civicdesk.organisations.models import Organisation, StaffMember, Team

    planned: list[PlannedType] = []
    for organisation_index, (name, slug, kind, team_count) in enumerate(ORGANISATIONS):
        organisation = Organisation.objects.create(
            name=name, slug=slug, kind=kind, email_from=f"no-reply@{slug}.gov.example"
        )
        domain = f"{slug}.gov.example"
        teams = Team.objects.bulk_create(
            Team(
                organisation=organisation,
                name=TEAM_NAMES[position],
                slug=f"team-{position}",
                # Teams 3, 13, 23: no lead, a shared inbox. Teams 7, 17: neither.
                email=f"team{position}@{domain}" if position % 10 == 3 else "",
            )
            for position in range(team_count)
        )
        # (username, email, role, active, team position)
        people: list[tuple[str, str, str, bool, int | None]] = [
            (f"{slug}-manager-0", f"manager0@{domain}", Role.MANAGER, True, None),
            (f"{slug}-manager-1", f"manager1@{domain}", Role.MANAGER, True, None),
            (f"{slug}-manager-2", "", Role.MANAGER, True, None),
            (f"{slug}-manager-former", f"former.manager@{domain}", Role.MANAGER, False, None),
        ]
        for position in range(team_count):
            if position % 10 not in (3, 7):
                for lead in range(2 if position % 5 == 0 else 1):
                    email = f"lead{position}.{lead}@{domain}"
                    people.append(
                        (f"{slug}-lead-{position}-{lead}", email, Role.TEAM_LEAD, True, position)
                    )
            if position % 4 == 1:
                email = f"former.lead{position}@{domain}"
                people.append(
                    (f"{slug}-lead-{position}-former", email, Role.TEAM_LEAD, False, position)
                )
            if position % 6 == 2:
                people.append(
                    (f"{slug}-lead-{position}-noemail", "", Role.TEAM_LEAD, True, position)
                )
            for number in range(3):
                email = f"officer{position}.{number}@{domain}"
                people.append(
                    (f"{slug}-officer-{position}-{number}", email, Role.OFFICER, True, position)
                )
        users = User.objects.bulk_create(
            User(
                username=username,
                email=email,
                first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
                last_name=LAST_NAMES[number % len(LAST_NAMES)],
                password="!",  # noqa: S106 - an unusable password
            )
            for number, (username, email, _, _, _) in enumerate(people)
        )
        staff = StaffMember.objects.bulk_create(
            StaffMember(user=user, organisation=organisation, role=role, active=active)
            for user, (_, _, role, active, _) in zip(users, people, strict=True)
        )
        StaffMember.teams.through.objects.bulk_create(
            StaffMember.teams.through(staffmember_id=member.pk, team_id=teams[position].pk)
            for member, (_, _, _, _, position) in zip(staff, people, strict=True)
            if position is not None
        )
        officers: dict[int, list[int]] = {}
        for user, (_, _, role, _, team_position) in zip(users, people, strict=True):
            if role == Role.OFFICER and team_position is not None:
                officers.setdefault(team_position, []).append(user.pk)

        for position, team in enumerate(teams):
            area = ServiceArea.objects.create(
                organisation=organisation, name=team.name, slug=team.slug, team=team
            )
            offered = REQUEST_TYPES[: 3 + position % 3]
            if position % 8 == 2:
                offered = [*offered, EMERGENCY_TYPE]
            for key, label, request_kind, priority, amount, unit, summary, hours in offered:
                request_type = RequestType.objects.create(
                    organisation=organisation,
                    service_area=area,
                    key=f"{team.slug}-{key}",
                    name=f"{label}: {team.name.lower()}",
                    kind=request_kind,
                    emergency=priority == "emergency",
                )
                CharterTarget.objects.create(
                    request_type=request_type, amount=amount, unit=unit, summary=summary
                )
                planned.append(
                    PlannedType(
                        position=len(planned),
                        request_type_id=request_type.pk,
                        organisation_index=organisation_index,
                        organisation_id=organisation.pk,
                        team_id=team.pk,
                        officer_ids=officers[position],
                        kind="complaint" if request_kind == "complaint" else "request",
                        priority=priority,
                        amount=amount,
                        unit=unit,
                        summary=summary,
                        hours=hours,
                        # Emergencies are rare; every other request type about as common.
                        tickets=1 if priority == "emergency" else 20,
                    )
                )
    return planned


def _text_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _fill_customers(customers: int) -> None:
    """Customer i belongs to the first council when i is odd and the second when i is even."""
    organisation_ids = [row[0] for row in fetch("SELECT id FROM organisations_organisation")]
    execute(
        f"""
        INSERT INTO customers_customer (
            id, created_at, updated_at, organisation_id, kind, title, first_name, last_name,
            business_name, date_of_birth, address_line_1, address_line_2, town, postcode, uprn,
            preferred_channel, search_name, merged_into_id, merged_at
        )
        SELECT i, %(at)s, %(at)s, CASE WHEN i %% 2 = 1 THEN %(first)s ELSE %(second)s END,
               'person', '', first_name, last_name, '', NULL,
               (i %% 200 + 1) || ' ' || ({_text_array(STREETS)})[i %% {len(STREETS)} + 1], '',
               'Northmoor', 'NM' || (i %% 9 + 1) || ' ' || (i %% 10) || 'AB',
               (100000000000 + i)::text,
               (ARRAY['email', 'email', 'sms', 'letter', 'phone'])[i %% 5 + 1],
               lower(first_name || ' ' || last_name), NULL, NULL
        FROM generate_series(1, %(customers)s) AS i
        CROSS JOIN LATERAL (
            SELECT ({_text_array(FIRST_NAMES)})[i %% {len(FIRST_NAMES)} + 1] AS first_name,
                   ({_text_array(LAST_NAMES)})[i / 7 %% {len(LAST_NAMES)} + 1] AS last_name
        ) AS names
        """,
        {
            "at": SWEEP_AT - timedelta(days=400),
            "first": organisation_ids[0],
            "second": organisation_ids[1],
            "customers": customers,
        },
    )
    execute(
        "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
        "(SELECT max(id) FROM customers_customer))"
    )


def reference_sql(number: str) -> str:
    """SQL for a unique, valid case reference per id.

    The id is scrambled one to one (multiplied by a number coprime with 24, modulo 24 to the
    7th) into seven symbols of the reference alphabet, followed by the Luhn mod 24 check
    character, so every reference also passes ``reference_normalise``.
    """
    base = len(ALPHABET)
    scrambled = f"(({number}::bigint * {REFERENCE_MULTIPLIER}) %% {base**7})"

    def digit(k: int) -> str:  # k = 0 is the last of the seven symbols
        return f"(({scrambled} / {base**k}) %% {base})"

    def symbol(expression: str) -> str:
        return f"substr('{ALPHABET}', ({expression})::int + 1, 1)"

    # Luhn mod N from the right: the last symbol is doubled, then every other one.
    addends = [f"({2 if k % 2 == 0 else 1} * {digit(k)})" for k in range(7)]
    total = " + ".join(f"({a} / {base} + {a} %% {base})" for a in addends)
    check = f"(({base} - ({total}) %% {base}) %% {base})"
    symbols = [symbol(digit(k)) for k in range(6, -1, -1)]
    return " || ".join([*symbols[:4], "'-'", *symbols[4:], symbol(check)])


def _fill_cases(
    cases: int, customers: int, request_types: list[PlannedType], previous_sweep: datetime
) -> None:
    """Every case in one INSERT ... SELECT over generate_series, with a fixed random seed.

    Each case gets a request type (and so its council, team and charter target) and one of
    these clocks:

    - no target (2%): no due dates at all;
    - paused (5%) or stopped (3%): due dates around the sweep, many already passed;
    - already overdue (3%): flagged overdue by an earlier sweep;
    - running (87%): opened within the last target length, so the due moment lies between
      the previous sweep and one target length after it; on track, or due soon if the
      previous sweep already found it so.

    Due moments are unique (whole seconds, plus the id in microseconds), so "the first 20 by
    due date" in an alert is the same list however it is computed.
    """
    execute("CREATE TEMPORARY TABLE bench_ticket (ticket int PRIMARY KEY, position int)")
    execute(
        """
        CREATE TEMPORARY TABLE bench_request_type (
            position int PRIMARY KEY, request_type_id bigint, organisation_index int,
            organisation_id bigint, team_id bigint, officer_ids bigint[], kind text,
            priority text, amount int, unit text, summary text, hours int
        )
        """
    )
    tickets: list[int] = []
    for planned in request_types:
        tickets.extend([planned.position] * planned.tickets)
        execute(
            "INSERT INTO bench_request_type VALUES (" + ", ".join(["%s"] * 12) + ")",
            [
                planned.position,
                planned.request_type_id,
                planned.organisation_index,
                planned.organisation_id,
                planned.team_id,
                planned.officer_ids,
                planned.kind,
                planned.priority,
                planned.amount,
                planned.unit,
                planned.summary,
                planned.hours,
            ],
        )
    execute(
        "INSERT INTO bench_ticket SELECT ticket - 1, position "
        "FROM unnest(%s::int[]) WITH ORDINALITY AS t(position, ticket)",
        [tickets],
    )
    # Whole seconds, in steps of this many, so that adding the id in microseconds never
    # makes two due moments equal.
    step = -(-cases // 1_000_000)
    shares = [NO_TARGET_SHARE, PAUSED_SHARE, STOPPED_SHARE, ALREADY_OVERDUE_SHARE]
    limits = [sum(shares[: k + 1]) for k in range(len(shares))]
    execute("SELECT setseed(0.20261125)")
    execute(
        f"""
        INSERT INTO cases_case (
            id, created_at, updated_at, organisation_id, reference, kind, request_type_id,
            customer_id, channel, status, priority, team_id, assigned_to_id, description,
            answers, latitude, longitude, location_text, opened_at, target_amount, target_unit,
            target_summary, clock_started_at, due_at, due_soon_at, clock_state,
            clock_flagged_at, paused_at, resolved_at, closed_at, duplicate_of_id, version
        )
        SELECT
            i, opened_at, opened_at + interval '10 minutes', rt.organisation_id,
            {reference_sql("i")}, rt.kind, rt.request_type_id,
            CASE WHEN r_customer < 0.85 THEN
                2 * floor(r_customer / 0.85 * floor(%(customers)s / 2))::bigint
                + 1 + rt.organisation_index
            END,
            (%(channels)s::text[])[1 + floor(r_misc * {len(CHANNELS)})::int],
            CASE clock
                WHEN 'paused' THEN 'waiting'
                WHEN 'stopped' THEN CASE WHEN r_misc < 0.7 THEN 'resolved' ELSE 'closed' END
                ELSE (ARRAY['new', 'assigned', 'in_progress', 'in_progress', 'reopened'])
                    [1 + floor(r_misc * 5)::int]
            END,
            rt.priority,
            CASE WHEN r_misc >= %(unassigned)s THEN rt.team_id END,
            CASE WHEN r_misc >= 0.2 THEN rt.officer_ids[1 + floor(r_misc * 3)::int] END,
            (%(descriptions)s::text[])[1 + i %% {len(DESCRIPTIONS)}],
            jsonb_build_object('details', 'Reported by the resident', 'visits', i %% 3),
            52.68 + r_misc / 20, -2.52 + r_customer / 20,
            (i %% 120 + 1) || ' ' || (%(streets)s::text[])[1 + i %% {len(STREETS)}],
            opened_at,
            CASE WHEN clock <> 'no_target' THEN rt.amount END,
            CASE WHEN clock <> 'no_target' THEN rt.unit ELSE '' END,
            CASE WHEN clock <> 'no_target' THEN rt.summary ELSE '' END,
            CASE WHEN clock <> 'no_target' THEN opened_at END,
            due_at,
            due_soon_at,
            CASE
                WHEN clock = 'running' AND due_soon_at <= %(previous)s THEN 'due_soon'
                WHEN clock = 'running' THEN 'on_track'
                ELSE clock
            END,
            CASE
                WHEN clock = 'overdue' THEN least(due_at + interval '150 seconds', %(previous)s)
                WHEN clock = 'running' AND due_soon_at <= %(previous)s
                THEN least(due_soon_at + interval '150 seconds', %(previous)s)
            END,
            CASE WHEN clock = 'paused' THEN opened_at + (%(now)s - opened_at) * r_due END,
            CASE WHEN clock = 'stopped' THEN opened_at + (%(now)s - opened_at) * r_due END,
            CASE WHEN clock = 'stopped' AND r_misc >= 0.7
                THEN opened_at + (%(now)s - opened_at) * r_due END,
            NULL,
            1 + i %% 4
        FROM (
            -- Random draws in a subquery of their own, so each is made once per case.
            SELECT i, random() AS r_type, random() AS r_clock, random() AS r_due,
                   random() AS r_misc, random() AS r_customer
            FROM generate_series(1, %(cases)s) AS i
        ) AS draws
        JOIN bench_ticket AS ticket ON ticket.ticket = floor(r_type * %(tickets)s)::int
        JOIN bench_request_type AS rt ON rt.position = ticket.position
        CROSS JOIN LATERAL (
            SELECT CASE
                WHEN r_clock < {limits[0]} THEN 'no_target'
                WHEN r_clock < {limits[1]} THEN 'paused'
                WHEN r_clock < {limits[2]} THEN 'stopped'
                WHEN r_clock < {limits[3]} THEN 'overdue'
                ELSE 'running'
            END AS clock
        ) AS kind
        CROSS JOIN LATERAL (
            SELECT CASE clock
                WHEN 'running' THEN %(previous)s + interval '1 second'
                    + r_due * rt.hours * interval '1 hour'
                WHEN 'overdue' THEN %(previous)s - interval '1 second'
                    - r_due * least(rt.hours * 2, 336) * interval '1 hour'
                WHEN 'no_target' THEN NULL
                ELSE %(now)s + (r_due - 0.3) * rt.hours * interval '1 hour'
            END AS approximate_due
        ) AS approximate
        CROSS JOIN LATERAL (
            SELECT to_timestamp(
                       floor(extract(epoch FROM approximate_due) / {step}) * {step}
                   ) + i * interval '1 microsecond' AS due_at
        ) AS due
        CROSS JOIN LATERAL (
            SELECT due_at - rt.hours * interval '12 minutes' AS due_soon_at,  -- at 80%%
                   coalesce(due_at - rt.hours * interval '1 hour',
                            %(now)s - r_due * interval '20 days') AS opened_at
        ) AS derived
        ORDER BY i
        """,
        {
            "cases": cases,
            "customers": customers,
            "tickets": len(tickets),
            "now": SWEEP_AT,
            "previous": previous_sweep,
            "unassigned": UNASSIGNED_SHARE,
            "channels": CHANNELS,
            "descriptions": DESCRIPTIONS,
            "streets": STREETS,
        },
    )
    execute(
        "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
        "(SELECT max(id) FROM cases_case))"
    )
    execute("DROP TABLE bench_request_type, bench_ticket")
    # What the running clocks looked like before the sweep, to put flagged rows back from.
    execute("DROP TABLE IF EXISTS bench_clock_snapshot")
    execute(
        "CREATE TABLE bench_clock_snapshot AS SELECT id, clock_state, clock_flagged_at "
        "FROM cases_case WHERE clock_state IN ('on_track', 'due_soon')"
    )
    execute("ALTER TABLE bench_clock_snapshot ADD PRIMARY KEY (id)")
    execute("VACUUM (ANALYZE) bench_clock_snapshot")


# The job in hand-written SQL

OVERDUE_SQL = """
UPDATE cases_case SET clock_state = 'overdue', clock_flagged_at = %(now)s
WHERE clock_state IN ('on_track', 'due_soon') AND due_at <= %(now)s
"""

DUE_SOON_SQL = """
UPDATE cases_case SET clock_state = 'due_soon', clock_flagged_at = %(now)s
WHERE clock_state = 'on_track' AND due_soon_at <= %(now)s AND due_at > %(now)s
"""


def describe_deadline_sql(moment: str) -> str:
    """``describe_deadline`` in SQL: '5pm on Wednesday 25 November 2026', in UK time."""
    local = f"({moment} AT TIME ZONE 'Europe/London')"
    return (
        f"(CASE WHEN to_char({local}, 'HH24:MI') = '12:00' THEN 'midday'"
        f" WHEN to_char({local}, 'MI') = '00' THEN to_char({local}, 'FMHH12am')"
        f" ELSE to_char({local}, 'FMHH12:MIam') END"
        f" || ' on ' || to_char({local}, 'FMDay FMDD FMMonth YYYY'))"
    )


ALERTS_SQL = f"""
WITH flagged AS (
    SELECT id, organisation_id, team_id, clock_state, due_at, reference,
           row_number() OVER (PARTITION BY organisation_id, team_id ORDER BY due_at, id) AS place
    FROM cases_case
    WHERE clock_flagged_at = %(now)s
),
per_team AS (
    SELECT f.organisation_id, f.team_id,
           coalesce(max(team.name), 'Unassigned cases') AS team_name,
           coalesce(max(team.email), '') AS team_email,
           'Cases: ' || concat_ws(
               ' and ',
               nullif(count(*) FILTER (WHERE f.clock_state = 'overdue'), 0) || ' now overdue',
               nullif(count(*) FILTER (WHERE f.clock_state = 'due_soon'), 0) || ' due soon'
           ) AS summary,
           string_agg(
               f.reference || ': '
               || CASE f.clock_state WHEN 'due_soon' THEN 'due soon' ELSE f.clock_state END
               || ', due ' || {describe_deadline_sql("f.due_at")},
               E'\\n' ORDER BY f.due_at, f.id
           ) FILTER (WHERE f.place <= {{list_length}} AND f.due_at IS NOT NULL) AS case_list
    FROM flagged AS f
    LEFT JOIN organisations_team AS team ON team.id = f.team_id
    GROUP BY f.organisation_id, f.team_id
),
leads AS (
    SELECT member.team_id, u.email
    FROM organisations_staffmember_teams AS member
    JOIN organisations_staffmember AS staff ON staff.id = member.staffmember_id
    JOIN organisations_team AS lead_team ON lead_team.id = member.team_id
    JOIN auth_user AS u ON u.id = staff.user_id
    WHERE staff.role = 'team_lead' AND staff.active AND u.email <> ''
      AND staff.organisation_id = lead_team.organisation_id
),
managers AS (
    SELECT staff.organisation_id, u.email
    FROM organisations_staffmember AS staff
    JOIN auth_user AS u ON u.id = staff.user_id
    WHERE staff.role = 'manager' AND staff.active AND u.email <> ''
),
recipients AS (
    SELECT t.*, leads.email FROM per_team AS t JOIN leads ON leads.team_id = t.team_id
    UNION ALL
    SELECT t.*, t.team_email FROM per_team AS t
    WHERE t.team_id IS NOT NULL AND t.team_email <> ''
      AND NOT EXISTS (SELECT FROM leads WHERE leads.team_id = t.team_id)
    UNION ALL
    SELECT t.*, managers.email FROM per_team AS t
    JOIN managers ON managers.organisation_id = t.organisation_id
    WHERE t.team_email = '' AND NOT EXISTS (SELECT FROM leads WHERE leads.team_id = t.team_id)
)
INSERT INTO notifications_outboxmessage (
    organisation_id, customer_id, case_id, template, channel, recipient, address, subject,
    body, status, attempts, max_attempts, next_attempt_at, lease_token, lease_expires_at,
    gateway, provider_id, last_error, created_at, sent_at, delivered_at, failed_at
)
SELECT organisation_id, NULL, NULL, 'team_charter_alert', 'email', email, '[]',
       team_name || ': ' || summary,
       'The charter check at ' || {describe_deadline_sql("%(now)s::timestamptz")}
       || ' found cases in the ' || team_name || ' queue that need attention.'
       || E'\\n\\n' || summary || E'\\n\\n' || coalesce(case_list, ''),
       'queued', 0, %(max_attempts)s, now(), '', NULL, '', '', '', now(), NULL, NULL, NULL
FROM recipients
"""


# Measuring


@dataclass
class Outcome:
    """What a run changed: the flags it set and the alerts it wrote."""

    overdue: int
    due_soon: int
    alerts: int
    flags: dict[int, str]
    messages: list[tuple[Any, ...]]


@dataclass
class Timings:
    total: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)

    def add_part(self, name: str, seconds: float) -> None:
        self.parts.setdefault(name, []).append(seconds)


def run_orm(now: datetime) -> tuple[float, tuple[int, int, int], dict[str, float]]:
    from civicdesk.cases.charter_sweep import charter_sweep

    started = time.perf_counter()
    result = charter_sweep(now)
    elapsed = time.perf_counter() - started
    return elapsed, (result.overdue, result.due_soon, result.alerts), {}


def run_sql(now: datetime) -> tuple[float, tuple[int, int, int], dict[str, float]]:
    from django.conf import settings
    from django.db import connection, transaction

    from civicdesk.cases.charter_sweep import ALERT_CASE_LIST_LENGTH

    params: dict[str, Any] = {"now": now, "max_attempts": settings.NOTIFICATION_MAX_ATTEMPTS}
    alerts_sql = ALERTS_SQL.replace("{list_length}", str(ALERT_CASE_LIST_LENGTH))
    parts: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(OVERDUE_SQL, params)
        overdue = cursor.rowcount
        parts["UPDATE overdue"] = time.perf_counter() - started
        mark = time.perf_counter()
        cursor.execute(DUE_SOON_SQL, params)
        due_soon = cursor.rowcount
        parts["UPDATE due soon"] = time.perf_counter() - mark
        mark = time.perf_counter()
        alerts = 0
        if overdue or due_soon:
            cursor.execute(alerts_sql, params)
            alerts = cursor.rowcount
        parts["alerts"] = time.perf_counter() - mark
    elapsed = time.perf_counter() - started
    parts["commit"] = elapsed - sum(parts.values())
    return elapsed, (overdue, due_soon, alerts), parts


JOBS: dict[str, Callable[[datetime], tuple[float, tuple[int, int, int], dict[str, float]]]] = {
    "orm": run_orm,
    "sql": run_sql,
}


def clock_fingerprint() -> list[tuple[Any, ...]]:
    return fetch(
        "SELECT clock_state, count(*), count(clock_flagged_at), max(clock_flagged_at) "
        "FROM cases_case GROUP BY clock_state ORDER BY clock_state"
    )


def capture(now: datetime, counts: tuple[int, int, int]) -> Outcome:
    flags = dict(fetch("SELECT id, clock_state FROM cases_case WHERE clock_flagged_at = %s", [now]))
    messages = sorted(
        fetch(
            "SELECT organisation_id, recipient, subject, body, channel, status, max_attempts, "
            "customer_id, case_id, address::text FROM notifications_outboxmessage "
            "WHERE template = 'team_charter_alert'"
        )
    )
    overdue, due_soon, alerts = counts
    return Outcome(overdue, due_soon, alerts, flags, messages)


def reset(now: datetime, fingerprint: list[tuple[Any, ...]] | None) -> None:
    """Put the flagged rows back as they were, delete the alerts and vacuum, then check."""
    execute(
        "UPDATE cases_case AS c SET clock_state = s.clock_state, "
        "clock_flagged_at = s.clock_flagged_at FROM bench_clock_snapshot AS s "
        "WHERE c.clock_flagged_at = %s AND s.id = c.id",
        [now],
    )
    execute("DELETE FROM notifications_outboxmessage WHERE template = 'team_charter_alert'")
    vacuum("cases_case", "notifications_outboxmessage")
    checkpoint()
    if fingerprint is not None and clock_fingerprint() != fingerprint:
        sys.exit("The case table did not return to its starting state after a run.")


@contextmanager
def rolled_back() -> Iterator[None]:
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def explain(statement: str, params: dict[str, Any] | None = None) -> list[str]:
    return [row[0] for row in fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)]


def plan_summary(plan: list[str]) -> str:
    """The scan nodes with their index, the rows they found, buffers and execution time."""
    nodes = []
    for line in plan:
        text = line.strip().removeprefix("->  ")
        if "Scan" in text:
            node = text.split("  (")[0]
            rows = text.split("rows=")[-1].split()[0] if "actual" in text else "?"
            nodes.append(f"{node} ({rows} rows)")
    buffers = next((line.strip() for line in plan if "Buffers:" in line), "")
    timing = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
    return "; ".join([*nodes, buffers.removeprefix("Buffers: "), timing])


def orm_query_profile(
    now: datetime,
) -> tuple[tuple[int, int, int], int, dict[str, float], list[str]]:
    """One ORM run under CaptureQueriesContext.

    Returns its counts, the number of queries, the database time by kind of statement and
    the SQL of the UPDATEs it sent.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _, counts, _ = run_orm(now)
    by_kind: dict[str, float] = {}
    updates = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith('UPDATE "cases_case"'):
            kind = "UPDATE"
            updates.append(sql)
        else:
            kind = sql.split()[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + float(query["time"])
    return counts, len(captured.captured_queries), by_kind, updates


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


@dataclass
class Report:
    cases: int
    window: int
    started: datetime
    server: str
    settings: str
    table_size: str
    states: list[tuple[Any, ...]]
    reference_sample: list[str]
    outcome: Outcome
    timings: dict[str, Timings]
    flags_match: bool
    messages_match: bool
    mismatches: list[str]
    query_count: int
    query_time: dict[str, float]
    plans: list[tuple[str, list[str]]]

    def ratio(self) -> float:
        return statistics.median(self.timings["orm"].total) / statistics.median(
            self.timings["sql"].total
        )

    def markdown(self) -> str:
        orm, sql = self.timings["orm"], self.timings["sql"]
        outcome = self.outcome
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        machine = (
            f"{platform.system()} {platform.release()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, {memory:.0f} GiB RAM, Python {platform.python_version()}"
        )
        flagged = len(outcome.flags)
        lines = [
            "# Charter sweep benchmark",
            "",
            "The periodic charter job (`charter_sweep`) against the same job in hand-written "
            "SQL, in one run on identical data. Written by `bench/charter_sweep.py`; see "
            "`bench/README.md`.",
            "",
            "| | |",
            "| --- | --- |",
            f"| date | {self.started:%Y-%m-%d %H:%M} UTC |",
            f"| machine | {machine} |",
            f"| PostgreSQL | {self.server} ({self.settings}) |",
            f"| cases | {self.cases:,} ({self.table_size}) |",
            f"| previous sweep | {self.window} minutes before |",
            f"| rows flagged | {flagged:,} ({flagged / self.cases:.1%}): "
            f"{outcome.overdue:,} overdue, {outcome.due_soon:,} due soon |",
            f"| alerts written | {outcome.alerts} |",
            f"| ORM job, median / min | {milliseconds(statistics.median(orm.total))} / "
            f"{milliseconds(min(orm.total))} |",
            f"| hand-written SQL, median / min | {milliseconds(statistics.median(sql.total))}"
            f" / {milliseconds(min(sql.total))} |",
            f"| ratio ORM / SQL (medians) | {self.ratio():.2f} |",
            f"| flags match | {'yes' if self.flags_match else 'NO'} |",
            f"| alert messages match | {'yes' if self.messages_match else 'NO'} |",
            "",
            f"Runs: {len(orm.total)} of each, alternating which goes first, after one untimed "
            "run of each. Every run starts from the same data: flagged rows are restored from "
            "a snapshot, the alerts deleted, then `VACUUM (ANALYZE)` and `CHECKPOINT`.",
            "",
            "| run | " + " | ".join(str(n + 1) for n in range(len(orm.total))) + " |",
            "| --- |" + " --- |" * len(orm.total),
            "| ORM | " + " | ".join(milliseconds(t) for t in orm.total) + " |",
            "| SQL | " + " | ".join(milliseconds(t) for t in sql.total) + " |",
            "",
            "## What is compared",
            "",
            "- ORM: `civicdesk.cases.charter_sweep.charter_sweep(now)`, as the worker calls it, "
            "including its transaction and commit.",
            "- SQL, in one transaction on the same connection: the two UPDATEs with the same "
            "conditions, then one `INSERT ... SELECT` that counts the flagged cases per council "
            "and team, lists the first 20 by due date, finds the recipients as "
            "`_alert_recipients` does (active team leads with an email address, else the "
            "team's inbox, else the council's active managers) and writes the same "
            "`team_charter_alert` messages, subject and body word for word, into the outbox.",
            "- Checked after every run: the flags (case id -> new clock state) and the alert "
            "messages (council, recipient, subject, body, channel, status) are identical to "
            "those of the first ORM run.",
            "",
            "SQL time by statement (median): "
            + ", ".join(
                f"{name} {milliseconds(statistics.median(values))}"
                for name, values in sql.parts.items()
            )
            + ".",
            "",
            f"ORM queries in one run: {self.query_count}; database time by statement kind: "
            + ", ".join(f"{kind} {milliseconds(t)}" for kind, t in self.query_time.items())
            + " (measured in a separate, untimed run).",
            "",
            "## Data",
            "",
            "Two councils (24 and 16 teams), 1 or 2 team leads per team with some inactive or "
            "without an email address, teams with only a shared inbox and teams with neither, "
            f"3 to 6 request types per team with charter targets from 4 hours to 20 working "
            f"days, {int(self.cases * CUSTOMERS_PER_CASE):,} customers. Cases are generated "
            "with one `INSERT ... SELECT` over `generate_series` with a fixed seed. The sweep "
            f"runs at {SWEEP_AT:%Y-%m-%d %H:%M} London time; clocks are as the previous sweep, "
            f"{self.window} minutes earlier, left them, so the cases whose due-soon or due "
            "moment fell in between change state.",
            "",
            "Cases by clock state before the sweep:",
            "",
            "| clock state | cases |",
            "| --- | --- |",
            *(f"| {state} | {count:,} |" for state, count in self.states),
            "",
            "References are unique and valid: the case id scrambled one to one (times "
            f"{REFERENCE_MULTIPLIER:,}, modulo 24^7) into seven symbols of the reference "
            "alphabet plus the Luhn check character, e.g. "
            + ", ".join(f"`{r}`" for r in self.reference_sample)
            + ". Due moments are unique, so the lists in the alerts have one right order.",
            "",
            "## Plans of the two UPDATEs",
            "",
            "`EXPLAIN (ANALYZE, BUFFERS)` of the statements the ORM sent, run in a transaction "
            "that is rolled back, overdue first:",
            "",
        ]
        for title, plan in self.plans:
            lines += [f"- {title}: {plan_summary(plan)}"]
        for title, plan in self.plans[:2]:
            lines += ["", f"{title}:", "", "```", *plan, "```"]
        if self.mismatches:
            lines += ["", "## Mismatches", "", *(f"- {m}" for m in self.mismatches)]
        return "\n".join(lines) + "\n"


def compare(reference: Outcome, other: Outcome, label: str) -> tuple[bool, bool, list[str]]:
    problems: list[str] = []
    flags_match = reference.flags == other.flags
    if not flags_match:
        missing = reference.flags.keys() - other.flags.keys()
        extra = other.flags.keys() - reference.flags.keys()
        both = reference.flags.keys() & other.flags.keys()
        changed = {k for k in both if reference.flags[k] != other.flags[k]}
        problems.append(
            f"{label}: flags differ ({len(missing)} missing, {len(extra)} extra, "
            f"{len(changed)} with another state)"
        )
    messages_match = reference.messages == other.messages
    if not messages_match:
        problems.append(
            f"{label}: alert messages differ ({len(reference.messages)} against "
            f"{len(other.messages)})"
        )
    counts = (reference.overdue, reference.due_soon, reference.alerts)
    if counts != (other.overdue, other.due_soon, other.alerts):
        problems.append(f"{label}: counts differ")
        flags_match = False
    return flags_match, messages_match, problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    name = database_name(args.database_url)
    ensure_database(args.database_url, name)
    setup_django(args.database_url)
    from django.db import connection

    started = datetime.now(UTC)
    if args.refill or not data_is_current(args.cases, args.window):
        print(f"Filling {name} with {args.cases:,} cases")
        fill(args.cases, args.window)
    else:
        print(f"Reusing the {args.cases:,} cases in {name} (--refill to regenerate)")
    now = SWEEP_AT
    reset(now, None)  # in case an earlier run was interrupted
    fingerprint = clock_fingerprint()

    from civicdesk.core.references import reference_normalise

    sample = [row[0] for row in fetch("SELECT reference FROM cases_case WHERE id IN (1, 2, 3)")]
    if any(reference_normalise(reference) != reference for reference in sample):
        sys.exit(f"Generated references are not valid: {sample}")

    print("Untimed runs")
    counts, query_count, query_time, orm_updates = orm_query_profile(now)
    outcome = capture(now, counts)
    reset(now, fingerprint)
    _, counts, _ = run_sql(now)
    mismatches: list[str] = []
    flags_match, messages_match, problems = compare(outcome, capture(now, counts), "untimed SQL")
    mismatches += problems
    reset(now, fingerprint)

    timings = {"orm": Timings(), "sql": Timings()}
    for repetition in range(args.repeat):
        order = ["orm", "sql"] if repetition % 2 == 0 else ["sql", "orm"]
        for kind in order:
            elapsed, counts, parts = JOBS[kind](now)
            timings[kind].total.append(elapsed)
            for part, seconds in parts.items():
                timings[kind].add_part(part, seconds)
            flags_ok, messages_ok, problems = compare(
                outcome, capture(now, counts), f"run {repetition + 1} {kind.upper()}"
            )
            flags_match &= flags_ok
            messages_match &= messages_ok
            mismatches += problems
            reset(now, fingerprint)
            print(f"  run {repetition + 1} {kind.upper()}: {milliseconds(elapsed)}")

    plans: list[tuple[str, list[str]]] = []
    with rolled_back():
        for title, statement in zip(("ORM overdue", "ORM due soon"), orm_updates, strict=True):
            plans.append((title, explain(statement)))
    reset(now, fingerprint)
    with rolled_back():
        for title, statement in (("SQL overdue", OVERDUE_SQL), ("SQL due soon", DUE_SOON_SQL)):
            plans.append((title, explain(statement, {"now": now})))
    reset(now, fingerprint)

    report = Report(
        cases=args.cases,
        window=args.window,
        started=started,
        server=fetch("SHOW server_version")[0][0],
        settings=", ".join(
            f"{setting} {fetch(f'SHOW {setting}')[0][0]}"
            for setting in ("shared_buffers", "work_mem", "synchronous_commit")
        ),
        table_size=fetch("SELECT pg_size_pretty(pg_total_relation_size('cases_case'))")[0][0]
        + " with indexes",
        states=[(row[0], row[1]) for row in fingerprint],
        reference_sample=sample,
        outcome=outcome,
        timings=timings,
        flags_match=flags_match,
        messages_match=messages_match,
        mismatches=mismatches,
        query_count=query_count,
        query_time=query_time,
        plans=plans,
    )
    text = report.markdown()
    connection.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_suffix(".tmp")
    partial.write_text(text)
    partial.replace(args.output)
    print()
    print(text)
    print(f"Written to {args.output}")
    if args.drop:
        drop_database(args.database_url, name)
    if not (flags_match and messages_match):
        print("FAILED: the ORM job and the SQL did not make the same changes.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
