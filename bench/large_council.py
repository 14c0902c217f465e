"""A large council on PostgreSQL: the data the workspace and insight benchmarks run against.

``build(scale)`` makes sure the bench database (``BENCH_DATABASE_URL``, by default
``postgres://postgres@127.0.0.1:5432/civicdesk_bench``) exists, is migrated and holds, at scale
1, one large unitary council (and a small neighbour, so that organisation scoping has
something to leave out) with

- 500,000 customers, with 375,000 email addresses and 425,000 phone numbers,
- 2,000,000 contacts over two years on every channel,
- 300,000 cases across 16 teams (three of them sensitive services), with charter clocks,

and returns the database URL. Everything is written with set-based ``INSERT ... SELECT`` over
``generate_series`` (no row-by-row saves), from fixed formulas, so two builds at one scale
hold the same data. A build at the scale already present is skipped. The charter sweep bench
shares the database and empties it for its own data; each rebuilds when it finds the other's.

Run on its own: ``python bench/large_council.py --scale 0.1``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from charter_sweep import (
    DEFAULT_URL,
    database_name,
    ensure_database,
    execute,
    fetch,
    reference_sql,
    setup_django,
    vacuum,
)

CUSTOMERS, CONTACTS, CASES = 500_000, 2_000_000, 300_000
GENERATOR_VERSION = "2"
BUILT_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COUNCIL_SLUG = "bench-large"

FIRST_NAMES = [
    "Aaliyah",
    "Adam",
    "Aisha",
    "Alan",
    "Alice",
    "Amelia",
    "Amir",
    "Andrew",
    "Angela",
    "Ann",
    "Arthur",
    "Barbara",
    "Ben",
    "Bethany",
    "Brian",
    "Carol",
    "Charlotte",
    "Chloe",
    "Christine",
    "Daniel",
    "David",
    "Deborah",
    "Dylan",
    "Edward",
    "Eleanor",
    "Elizabeth",
    "Emily",
    "Emma",
    "Ethan",
    "Farah",
    "Fatima",
    "Freya",
    "George",
    "Grace",
    "Hannah",
    "Harpreet",
    "Harry",
    "Helen",
    "Iain",
    "Isabel",
    "Jack",
    "Jacob",
    "James",
    "Jane",
    "Jessica",
    "John",
    "Joseph",
    "Karen",
    "Kate",
    "Kevin",
    "Laura",
    "Leo",
    "Liam",
    "Lily",
    "Linda",
    "Lucy",
    "Mark",
    "Mary",
    "Matthew",
    "Mohammed",
    "Mia",
    "Michael",
    "Nadia",
    "Oliver",
    "Olivia",
    "Patricia",
    "Paul",
    "Peter",
    "Priya",
    "Rachel",
    "Raj",
    "Rebecca",
    "Richard",
    "Robert",
    "Ruby",
    "Ryan",
    "Sam",
    "Sarah",
    "Simon",
    "Sophie",
    "Stephen",
    "Susan",
    "Thomas",
    "Tom",
    "Victoria",
    "William",
    "Yusuf",
    "Zara",
    "Zoe",
]
LAST_NAMES = [
    "Adams",
    "Ahmed",
    "Ali",
    "Allen",
    "Anderson",
    "Atkinson",
    "Bailey",
    "Baker",
    "Barker",
    "Barnes",
    "Bell",
    "Bennett",
    "Brooks",
    "Brown",
    "Butler",
    "Campbell",
    "Carter",
    "Chapman",
    "Clark",
    "Clarke",
    "Collins",
    "Cook",
    "Cooper",
    "Cox",
    "Davies",
    "Davis",
    "Dixon",
    "Edwards",
    "Ellis",
    "Evans",
    "Fisher",
    "Fletcher",
    "Foster",
    "Fox",
    "Gibson",
    "Graham",
    "Gray",
    "Green",
    "Griffiths",
    "Hall",
    "Harris",
    "Harrison",
    "Harvey",
    "Hill",
    "Holmes",
    "Hughes",
    "Hunt",
    "Hussain",
    "Jackson",
    "James",
    "Jenkins",
    "Johnson",
    "Johnston",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "King",
    "Knight",
    "Lane",
    "Lee",
    "Lewis",
    "Lloyd",
    "Marshall",
    "Martin",
    "Mason",
    "Matthews",
    "Miller",
    "Mills",
    "Mitchell",
    "Moore",
    "Morgan",
    "Morris",
    "Murphy",
    "Murray",
    "Owen",
    "Palmer",
    "Parker",
    "Patel",
    "Pearson",
    "Phillips",
    "Poole",
    "Powell",
    "Price",
    "Reid",
    "Richards",
    "Richardson",
    "Roberts",
    "Robinson",
    "Rogers",
    "Rose",
    "Russell",
    "Saunders",
    "Scott",
    "Shaw",
    "Simpson",
    "Singh",
    "Smith",
    "Stevens",
    "Stewart",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Walsh",
    "Ward",
    "Watson",
    "Webb",
    "White",
    "Wilkinson",
    "Williams",
    "Wilson",
    "Wood",
    "Woods",
    "Wright",
    "Young",
]
STREET_STEMS = [
    "Abbey",
    "Ash",
    "Beech",
    "Birch",
    "Bridge",
    "Brook",
    "Castle",
    "Cedar",
    "Chapel",
    "Cherry",
    "Church",
    "Clifton",
    "Elm",
    "Field",
    "Forest",
    "Garden",
    "Grange",
    "Green",
    "Hawthorn",
    "Heath",
    "Highfield",
    "Hill",
    "Holly",
    "Kings",
    "Lark",
    "Lime",
    "Manor",
    "Maple",
    "Meadow",
    "Mill",
    "Oak",
    "Orchard",
    "Park",
    "Priory",
    "Queens",
    "Rectory",
    "School",
    "Spring",
    "Station",
    "Victoria",
]
STREET_KINDS = ["Road", "Street", "Lane", "Close", "Avenue", "Drive"]
TOWNS = ["Wellington", "Oakengates", "Madeley", "Dawley", "Newport", "Donnington"]
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
TEAMS = [
    ("Waste and recycling", False),
    ("Street cleansing", False),
    ("Highways", False),
    ("Street lighting", False),
    ("Parking", False),
    ("Council tax", False),
    ("Benefits", False),
    ("Housing repairs", False),
    ("Housing options and homelessness", True),
    ("Adult social care", True),
    ("Children's services", True),
    ("Environmental health", False),
    ("Planning", False),
    ("Licensing", False),
    ("Parks", False),
    ("Customer services", False),
]
CHANNELS = ["phone", "phone", "phone", "web", "web", "email", "email", "face_to_face", "chat"]
REASONS = ["new_request", "information", "information", "progress_chasing", "failure_demand"]


def build(scale: float = 1.0, database_url: str | None = None) -> str:
    """The URL of a database holding the large council at ``scale``, built if not already."""
    url = database_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url, database_name(url))
    setup_django(url)
    sizes = {
        "customers": max(100, int(CUSTOMERS * scale)),
        "contacts": max(400, int(CONTACTS * scale)),
        "cases": max(60, int(CASES * scale)),
    }
    if _is_built(sizes):
        print(f"The large council at scale {scale} is already built.")
        return url
    started = time.perf_counter()
    _fill(sizes)
    print(f"Built the large council at scale {scale} in {time.perf_counter() - started:.0f}s")
    return url


def _is_built(sizes: dict[str, int]) -> bool:
    execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    stored = dict(fetch("SELECT key, value FROM bench_meta"))
    wanted = {f"large_{key}": str(value) for key, value in sizes.items()}
    wanted["large_generator"] = GENERATOR_VERSION
    if any(stored.get(key) != value for key, value in wanted.items()):
        return False
    counted = fetch(
        "SELECT (SELECT count(*) FROM customers_customer), (SELECT count(*) FROM cases_case)"
    )[0]
    # The charter sweep bench empties the database for its own data; that must be rebuilt.
    return counted[0] >= sizes["customers"] and counted[1] == sizes["cases"]


def _fill(sizes: dict[str, int]) -> None:
    execute("DELETE FROM bench_meta")
    execute("TRUNCATE organisations_organisation, auth_user RESTART IDENTITY CASCADE")
    council_id, neighbour_id, teams = _fill_organisations()
    _blank_text_by_default("customers_customer", "cases_case", "contacts_contact")
    step = time.perf_counter()
    _fill_customers(sizes["customers"], council_id, neighbour_id)
    print(f"  {sizes['customers']:,} customers ({time.perf_counter() - step:.0f}s)")
    step = time.perf_counter()
    _fill_cases(sizes["cases"], sizes["customers"], council_id, teams)
    print(f"  {sizes['cases']:,} cases ({time.perf_counter() - step:.0f}s)")
    step = time.perf_counter()
    _fill_contacts(sizes["contacts"], sizes["customers"], sizes["cases"], council_id, neighbour_id)
    print(f"  {sizes['contacts']:,} contacts ({time.perf_counter() - step:.0f}s)")
    for table in ("customers_customer", "customers_contactdetail", "contacts_contact"):
        execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    execute(
        "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
        "(SELECT max(id) FROM cases_case))"
    )
    vacuum(
        "customers_customer",
        "customers_contactdetail",
        "contacts_contact",
        "cases_case",
    )
    execute(
        "INSERT INTO bench_meta VALUES ('large_customers', %s), ('large_contacts', %s), "
        "('large_cases', %s), ('large_generator', %s)",
        [str(sizes["customers"]), str(sizes["contacts"]), str(sizes["cases"]), GENERATOR_VERSION],
    )


def _blank_text_by_default(*tables: str) -> None:
    """Text columns added to these tables after the INSERTs below were written (which name
    only the columns they fill) default to '' in the bench database, as the models do."""
    for table, column in fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ANY(%s) AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_generated = 'NEVER' "
        "AND data_type IN ('character varying', 'text')",
        [list(tables)],
    ):
        execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT ''")


def _fill_organisations() -> tuple[int, int, list[tuple[int, int, bool]]]:
    """The council, its neighbour, teams, staff and catalogue, through the ORM (a few rows).

    Returns the two organisation ids and, per team, (team id, request type id, sensitive)."""
    from django.contrib.auth.models import User

    from civicdesk.catalogue.models import CharterTarget, RequestType, ServiceArea
    from civicdesk.organisations.choices import Role
    from civicdesk.organisations.models import Organisation, StaffMember, Team

    council = Organisation.objects.create(
        name="Large Unitary Council", slug=COUNCIL_SLUG, kind="unitary"
    )
    neighbour = Organisation.objects.create(
        name="Neighbouring Council", slug="bench-neighbour", kind="unitary"
    )
    planned = []
    for position, (name, sensitive) in enumerate(TEAMS):
        team = Team.objects.create(organisation=council, name=name, slug=f"team-{position}")
        area = ServiceArea.objects.create(
            organisation=council, name=name, slug=f"area-{position}", team=team
        )
        request_type = RequestType.objects.create(
            organisation=council,
            service_area=area,
            key=f"service-{position}",
            name=f"{name} request",
            kind="request",
            sensitive=sensitive,
        )
        CharterTarget.objects.create(
            request_type=request_type, amount=5, unit="working_days", summary="deal with it"
        )
        planned.append((team.pk, request_type.pk, sensitive))
        for role in (Role.TEAM_LEAD, Role.OFFICER):
            user = User.objects.create(username=f"{role}-{position}", password="!")  # noqa: S106
            StaffMember.objects.create(user=user, organisation=council, role=role).teams.add(team)
    adviser = User.objects.create(username="adviser", password="!")  # noqa: S106
    StaffMember.objects.create(user=adviser, organisation=council, role=Role.ADVISER)
    return council.pk, neighbour.pk, planned


def _text_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _fill_customers(customers: int, council_id: int, neighbour_id: int) -> None:
    """Names, addresses and postcodes from fixed formulas over the row number: common names
    recur as they do in a real council; one customer in fifty belongs to the neighbour."""
    first, last = _text_array(FIRST_NAMES), _text_array(LAST_NAMES)
    stems, kinds = _text_array(STREET_STEMS), _text_array(STREET_KINDS)
    execute(
        f"""
        INSERT INTO customers_customer (
            id, created_at, updated_at, organisation_id, kind, title, first_name, last_name,
            business_name, date_of_birth, address_line_1, address_line_2, town, postcode, uprn,
            preferred_channel, search_name, merged_into_id, merged_at, user_id,
            account_created_by_id
        )
        SELECT i, %(at)s, %(at)s,
               CASE WHEN i %% 50 = 0 THEN %(neighbour)s ELSE %(council)s END,
               'person', '', first_name, last_name, '',
               date '1940-01-01' + (i * 7919 %% 25000)::int,
               (i %% 180 + 1) || ' ' || street, '', ({_text_array(TOWNS)})[i %% 6 + 1],
               'TF' || (i * 31 %% 13 + 1) || ' ' || (i * 17 %% 10)
                   || substr('{POSTCODE_LETTERS}', (i * 13 %% 20 + 1)::int, 1)
                   || substr('{POSTCODE_LETTERS}', (i / 20 %% 20 + 1)::int, 1),
               (100000000000 + i)::text,
               (ARRAY['email', 'email', 'sms', 'letter', 'phone'])[i %% 5 + 1],
               lower(first_name || ' ' || last_name), NULL, NULL, NULL, NULL
        FROM generate_series(1::bigint, %(customers)s) AS i
        CROSS JOIN LATERAL (
            SELECT ({first})[i * 7 %% {len(FIRST_NAMES)} + 1] AS first_name,
                   ({last})[(i * 104729 / 11) %% {len(LAST_NAMES)} + 1] AS last_name,
                   ({stems})[i * 3 %% {len(STREET_STEMS)} + 1] || ' '
                       || ({kinds})[i / 7 %% {len(STREET_KINDS)} + 1] AS street
        ) AS parts
        """,
        {
            "at": BUILT_AT,
            "council": council_id,
            "neighbour": neighbour_id,
            "customers": customers,
        },
    )
    # Three in four have an email address and most a phone number, written as people do.
    execute(
        """
        INSERT INTO customers_contactdetail
            (customer_id, kind, value, normalised, label, is_primary, created_at)
        SELECT id, 'email', lower(first_name || '.' || last_name || id || '@example.com'),
               lower(first_name || '.' || last_name || id || '@example.com'), '', true, %(at)s
        FROM customers_customer WHERE id %% 4 <> 0
        UNION ALL
        SELECT id, 'phone',
               '07' || substr(number, 1, 3) || ' ' || substr(number, 4), '07' || number,
               'mobile', true, %(at)s
        FROM customers_customer
        CROSS JOIN LATERAL (SELECT lpad((id * 7 + 700000000)::text, 9, '0') AS number) AS n
        WHERE id %% 20 < 17
        """,
        {"at": BUILT_AT},
    )


def _case_customer(case: str, customers: int) -> str:
    """SQL for the customer of case ``case``: spread over the council's customers."""
    return f"(({case}) * 7919 %% {customers} + 1)"


def _fill_cases(
    cases: int, customers: int, council_id: int, teams: list[tuple[int, int, bool]]
) -> None:
    team_ids = "(ARRAY[" + ", ".join(str(team) for team, _, _ in teams) + "]::bigint[])"
    type_ids = "(ARRAY[" + ", ".join(str(kind) for _, kind, _ in teams) + "]::bigint[])"
    execute(
        f"""
        INSERT INTO cases_case (
            id, created_at, updated_at, organisation_id, reference, kind, request_type_id,
            customer_id, channel, status, priority, team_id, assigned_to_id, description,
            public_description, answers, latitude, longitude, location_text, opened_at,
            target_amount, target_unit, target_summary, clock_started_at, due_at, due_soon_at,
            clock_state, clock_flagged_at, paused_at, resolved_at, closed_at, duplicate_of_id,
            version
        )
        SELECT c, opened_at, opened_at, %(council)s, {reference_sql("c")}, 'request',
               {type_ids}[c %% {len(teams)} + 1],
               CASE WHEN {_case_customer("c", customers)} %% 50 = 0 THEN NULL
                    ELSE {_case_customer("c", customers)} END,
               (%(channels)s::text[])[c %% {len(CHANNELS)} + 1],
               status, 'standard', {team_ids}[c %% {len(teams)} + 1], NULL,
               'Reported by the resident', 'Reported by the resident', '{{}}'::jsonb, NULL, NULL,
               '', opened_at,
               5, 'working_days', 'deal with it', opened_at,
               opened_at + interval '7 days', opened_at + interval '5 days',
               CASE WHEN status IN ('resolved', 'closed') THEN 'stopped'
                    WHEN status = 'waiting' THEN 'paused'
                    WHEN opened_at + interval '7 days' < %(now)s THEN 'overdue'
                    WHEN opened_at + interval '5 days' < %(now)s THEN 'due_soon'
                    ELSE 'on_track' END,
               NULL,
               CASE WHEN status = 'waiting' THEN opened_at + interval '2 days' END,
               CASE WHEN status IN ('resolved', 'closed') THEN opened_at + interval '4 days' END,
               CASE WHEN status = 'closed' THEN opened_at + interval '6 days' END,
               NULL, 1
        FROM generate_series(1::bigint, %(cases)s) AS c
        CROSS JOIN LATERAL (
            SELECT %(now)s - (c * 7907 %% 730 * interval '1 day')
                       - (c %% 480 * interval '1 minute') AS opened_at,
                   CASE WHEN c * 7907 %% 730 < 30 THEN (%(open)s::text[])[c %% 4 + 1]
                        WHEN c %% 40 = 0 THEN 'in_progress'
                        WHEN c %% 3 = 0 THEN 'resolved'
                        ELSE 'closed' END AS status
        ) AS drawn
        """,
        {
            "council": council_id,
            "cases": cases,
            "now": BUILT_AT,
            "channels": CHANNELS,
            "open": ["new", "assigned", "in_progress", "waiting"],
        },
    )


def _fill_contacts(
    contacts: int, customers: int, cases: int, council_id: int, neighbour_id: int
) -> None:
    """The first contact of each case raised it; one contact in five chases a case; the rest
    are questions answered there and then, by customers chosen by formula."""
    execute(
        f"""
        INSERT INTO contacts_contact (
            organisation_id, customer_id, case_id, request_type_id, channel, direction,
            handled_by_id, started_at, duration_seconds, reason, outcome, is_repeat, assisted,
            summary, signposted_to, recorded_at
        )
        SELECT CASE WHEN customer_id %% 50 = 0 THEN %(neighbour)s ELSE %(council)s END,
               customer_id, case_id, NULL,
               (%(channels)s::text[])[k %% {len(CHANNELS)} + 1], 'inbound', NULL,
               started_at, 60 + k %% 600, reason, outcome, reason = 'progress_chasing',
               k %% 40 = 0, '', '', started_at
        FROM generate_series(1::bigint, %(contacts)s) AS k
        CROSS JOIN LATERAL (
            SELECT CASE WHEN k <= %(cases)s THEN k
                        WHEN k %% 5 = 0 THEN k * 31 %% %(cases)s + 1 END AS case_id
        ) AS linked
        CROSS JOIN LATERAL (
            SELECT CASE WHEN case_id IS NULL THEN k * 104723 %% %(customers)s + 1
                        WHEN {_case_customer("case_id", customers)} %% 50 <> 0
                        THEN {_case_customer("case_id", customers)} END AS customer_id,
                   CASE WHEN k <= %(cases)s THEN 'new_request'
                        WHEN case_id IS NOT NULL THEN 'progress_chasing'
                        ELSE (%(reasons)s::text[])[k %% {len(REASONS)} + 1] END AS reason,
                   CASE WHEN k <= %(cases)s THEN 'case_created'
                        WHEN case_id IS NOT NULL THEN 'linked_to_case'
                        ELSE 'resolved_first_contact' END AS outcome,
                   %(now)s - (k * 7901 %% 730 * interval '1 day')
                       - (k %% 540 * interval '1 minute') AS started_at
        ) AS drawn
        """,
        {
            "council": council_id,
            "neighbour": neighbour_id,
            "contacts": contacts,
            "cases": cases,
            "customers": customers,
            "channels": CHANNELS,
            "reasons": REASONS,
            "now": BUILT_AT,
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 500,000 customers")
    parser.add_argument("--database-url", default=None, help="the bench database")
    args = parser.parse_args(argv)
    print(build(args.scale, args.database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
