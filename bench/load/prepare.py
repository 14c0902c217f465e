"""Make a load test's database ready and write the plan the load's simulated users follow.

Run by ``bench/load/run.py`` in a process of its own for each council (Django is set up once
per process, on that council's database):

- ``demo``: the demo councils as ``manage.py load_demo`` loads them;
- ``large``: the large council of ``bench/large_council.py`` (its set-based filler), then the
  demo councils, then the large council's customers, cases and contacts moved into Telford &
  Wrekin with set-based UPDATEs, so that one council has both the demo's catalogue, staff,
  keys and boundary and the large council's volume.

Either way the dashboard's summaries are built in full, as a council that has been live has
them. A database already prepared the same way is reused (the rows earlier runs' load wrote
stay; they are a few thousand among millions).

Then, every run, the bench's own set-up, as the council's administrators would do it: the
staff the load signs in as get an authenticator secret (each member of staff is signed in by
one simulated user only, as each code works once), and a back-office system gets an API key
for case updates. The plan (JSON) names the council, its services, cases residents track with
their email address, customers, staff with their secrets, and the API keys.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from charter_sweep import database_name, ensure_database, execute, fetch, setup_django, vacuum

COUNCIL = "telford-wrekin"
PREPARED_VERSION = "1"
SEED = 18
# Report journeys the load walks: services with a choice, a place, a date and free text.
REPORT_SERVICES = ["missed-bin", "pothole", "fly-tipping"]
ASK_QUESTIONS = [
    "When is my bin collected?",
    "My recycling was not picked up",
    "How do I pay my council tax?",
    "There is a pothole on my road",
    "I need a new bin",
    "Someone dumped rubbish in the lane",
    "How do I apply for a parking permit?",
    "Where is my nearest library?",
    "Streetlight not working outside my house",
    "Can I get help with my rent?",
]
BACK_OFFICE_CLIENT = "Highways back office (load test)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--council", choices=["demo", "large"], required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="the large council's scale")
    parser.add_argument("--staff", type=int, default=12, help="members of staff of each role")
    parser.add_argument("--plan", type=Path, required=True, help="where to write the plan")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    marker = f"{args.council}-{args.scale}-{PREPARED_VERSION}"
    started = time.perf_counter()
    if args.council == "large":
        from large_council import build

        if not _prepared_as(url, marker):
            build(args.scale, url)
            _demo_load()
            _fold_large_council_into_demo()
            _finish_preparing(marker)
        else:
            setup_django(url)
    else:
        ensure_database(url, database_name(url))
        setup_django(url)
        if not _marker_is(marker):
            _demo_load()
            _finish_preparing(marker)
    # Earlier runs' writes are in the tables: the load is planned with statistics that know
    # them, as on a server whose autovacuum is on (a bench machine's may be off).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Database ready in {time.perf_counter() - started:.0f}s")
    plan = _plan(staff_per_role=args.staff)
    args.plan.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    return 0


def _prepared_as(url: str, marker: str) -> bool:
    """Whether the database exists and was prepared as ``marker`` (without building it)."""
    import psycopg

    name = database_name(url)
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT to_regclass('bench_meta')").fetchone()
        if not found or found[0] is None:
            return False
        row = conn.execute("SELECT value FROM bench_meta WHERE key = 'load_prepared'").fetchone()
        return bool(row and row[0] == marker)


def _marker_is(marker: str) -> bool:
    execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    stored = dict(fetch("SELECT key, value FROM bench_meta"))
    return stored.get("load_prepared") == marker


def _demo_load() -> None:
    from django.core.management import call_command

    from civicdesk.demo.loader import demo_exists

    if not demo_exists():
        call_command("load_demo", force=True)


def _finish_preparing(marker: str) -> None:
    from civicdesk.insight.services import insight_refresh

    step = time.perf_counter()
    insight_refresh(full=True)
    print(f"  dashboard summaries built in {time.perf_counter() - step:.0f}s")
    execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    execute("DELETE FROM bench_meta WHERE key = 'load_prepared'")
    execute("INSERT INTO bench_meta VALUES ('load_prepared', %s)", [marker])


def _fold_large_council_into_demo() -> None:
    """Move the large council's customers, cases and contacts into Telford & Wrekin.

    Each of the large council's services becomes one of Telford & Wrekin's with its team,
    sensitive for sensitive, so that the cases sit in the demo's queues and its sensitive
    services stay hidden from staff outside their teams."""
    from civicdesk.catalogue.models import RequestType
    from civicdesk.organisations.models import Organisation

    step = time.perf_counter()
    large = Organisation.objects.get(slug="bench-large")
    council = Organisation.objects.get(slug=COUNCIL)
    targets = {
        sensitive: list(
            RequestType.objects.filter(
                organisation=council, sensitive=sensitive, service_area__team__isnull=False
            )
            .order_by("key")
            .values_list("pk", "service_area__team_id")
        )
        for sensitive in (False, True)
    }
    mapping = []
    for position, old in enumerate(
        RequestType.objects.filter(organisation=large).order_by("pk").values("pk", "sensitive")
    ):
        pool = targets[old["sensitive"]] or targets[False]
        new_type, new_team = pool[position % len(pool)]
        mapping.append((old["pk"], new_type, new_team))
    values = ", ".join(f"({old}, {new}, {team})" for old, new, team in mapping)
    execute(
        f"""
        UPDATE cases_case AS c
        SET organisation_id = %(council)s, request_type_id = m.new_type, team_id = m.new_team
        FROM (VALUES {values}) AS m (old_type, new_type, new_team)
        WHERE c.organisation_id = %(large)s AND c.request_type_id = m.old_type
        """,
        {"council": council.pk, "large": large.pk},
    )
    for table in ("customers_customer", "contacts_contact"):
        execute(
            f"UPDATE {table} SET organisation_id = %(council)s WHERE organisation_id = %(large)s",
            {"council": council.pk, "large": large.pk},
        )
    vacuum("customers_customer", "customers_contactdetail", "contacts_contact", "cases_case")
    print(f"  the large council moved into {council.name} in {time.perf_counter() - step:.0f}s")


def _plan(*, staff_per_role: int) -> dict[str, Any]:
    from civicdesk.demo.integrations import demo_doors
    from civicdesk.demo.loader import DEMO_PASSWORD
    from civicdesk.organisations.models import Organisation

    council = Organisation.objects.get(slug=COUNCIL)
    rng = random.Random(SEED)
    door = next(door for door in demo_doors() if door.council == council.name)
    return {
        "council": COUNCIL,
        "council_name": council.name,
        "counts": _counts(council.pk),
        "services": _services(council.pk),
        "report_services": [
            key for key in REPORT_SERVICES if key in set(_services(council.pk, kind="report"))
        ],
        "tracking": _tracking(council.pk, rng),
        "customers": _customers(council.pk, rng),
        "ask_questions": ASK_QUESTIONS,
        "staff": _staff(council, staff_per_role=staff_per_role, password=DEMO_PASSWORD),
        "open311": {"jurisdiction_id": door.jurisdiction_id, "api_key": door.api_key},
        "back_office": _back_office(council, rng),
    }


def _counts(council_id: int) -> dict[str, int]:
    counted = fetch(
        """
        SELECT (SELECT count(*) FROM customers_customer WHERE organisation_id = %(id)s),
               (SELECT count(*) FROM cases_case WHERE organisation_id = %(id)s),
               (SELECT count(*) FROM contacts_contact WHERE organisation_id = %(id)s)
        """,
        {"id": council_id},
    )[0]
    return {"customers": counted[0], "cases": counted[1], "contacts": counted[2]}


def _services(council_id: int, kind: str | None = None) -> list[str]:
    from civicdesk.catalogue.models import RequestType

    found = RequestType.objects.filter(organisation_id=council_id, active=True, sensitive=False)
    if kind:
        found = found.filter(kind=kind)
    return list(found.order_by("key").values_list("key", flat=True))


def _tracking(council_id: int, rng: random.Random) -> list[dict[str, str]]:
    """Cases with the email address their customer would type on the tracking page."""
    rows = fetch(
        """
        SELECT c.reference, d.value FROM cases_case AS c
        JOIN customers_contactdetail AS d ON d.customer_id = c.customer_id AND d.kind = 'email'
        JOIN catalogue_requesttype AS t ON t.id = c.request_type_id AND NOT t.sensitive
        WHERE c.organisation_id = %(id)s AND c.id %% 7 = 0
        ORDER BY c.id DESC LIMIT 2000
        """,
        {"id": council_id},
    )
    chosen = rng.sample(rows, min(300, len(rows)))
    return [{"reference": reference, "email": email} for reference, email in chosen]


def _customers(council_id: int, rng: random.Random) -> list[dict[str, Any]]:
    """Customers an adviser looks up: the id, and what the caller gives (surname, postcode)."""
    rows = fetch(
        """
        SELECT id, first_name, last_name, postcode FROM customers_customer
        WHERE organisation_id = %(id)s AND merged_into_id IS NULL AND kind = 'person'
          AND id %% 11 = 0
        ORDER BY id DESC LIMIT 5000
        """,
        {"id": council_id},
    )
    chosen = rng.sample(rows, min(300, len(rows)))
    return [
        {"id": pk, "name": f"{first} {last}", "surname": last, "postcode": postcode}
        for pk, first, last, postcode in chosen
    ]


def _staff(council: Any, *, staff_per_role: int, password: str) -> dict[str, list[dict[str, str]]]:
    """Members of staff of each role the load signs in as, enrolled with a fresh secret and
    their password hashed as production hashes it."""
    import pyotp
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.utils import timezone

    from civicdesk.organisations.choices import Role
    from civicdesk.organisations.models import StaffMember

    chosen: dict[str, list[dict[str, str]]] = {}
    for label, roles in (
        ("adviser", [Role.ADVISER]),
        ("officer", [Role.OFFICER, Role.TEAM_LEAD]),
        ("manager", [Role.MANAGER, Role.TEAM_LEAD]),
    ):
        taken = {entry["username"] for entries in chosen.values() for entry in entries}
        members = [
            member
            for member in StaffMember.objects.filter(
                organisation=council, role__in=roles, user__is_active=True
            )
            .select_related("user")
            .order_by("role", "pk")
            if member.user.username not in taken
        ][:staff_per_role]
        entries = []
        for member in members:
            member.totp_secret = pyotp.random_base32()
            member.totp_confirmed_at = timezone.now()
            member.totp_last_step = None
            member.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
            # The demo was loaded with the test settings' quick hasher; production's is PBKDF2.
            hasher = PBKDF2PasswordHasher()
            member.user.password = hasher.encode(password, hasher.salt())
            member.user.save(update_fields=["password"])
            entries.append(
                {
                    "username": member.user.username,
                    "password": password,
                    "totp_secret": member.totp_secret,
                    "role": member.role,
                }
            )
        chosen[label] = entries
    return chosen


def _back_office(council: Any, rng: random.Random) -> dict[str, Any]:
    """A key for a back-office system's updates, and open cases in the services it serves."""
    from django.utils import timezone

    from civicdesk.integrations.choices import Scope
    from civicdesk.integrations.models import ApiClient
    from civicdesk.integrations.services import api_client_create

    ApiClient.objects.filter(
        organisation=council, name=BACK_OFFICE_CLIENT, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    _, key = api_client_create(
        organisation=council,
        name=BACK_OFFICE_CLIENT,
        scopes=[Scope.CASES_READ, Scope.CASES_UPDATE],
    )
    rows = fetch(
        """
        SELECT c.reference FROM cases_case AS c
        JOIN catalogue_requesttype AS t ON t.id = c.request_type_id AND NOT t.sensitive
        WHERE c.organisation_id = %(id)s AND c.status IN ('new', 'assigned', 'in_progress')
        ORDER BY c.id DESC LIMIT 3000
        """,
        {"id": council.pk},
    )
    references = [reference for (reference,) in rows]
    return {"api_key": key, "references": rng.sample(references, min(500, len(references)))}


if __name__ == "__main__":
    sys.exit(main())
