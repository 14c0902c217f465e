"""Benchmark: intake through the APIs against raw inserts of the same rows.

Starts gunicorn with 2 workers on a PostgreSQL database of its own and, in the same run,

- posts ``--requests`` new cases to ``POST /api/v1/cases`` (JSON, a Bearer key, an
  Idempotency-Key each) and the same number to Open311 ``POST /open311/v2/requests.xml``
  (a FixMyStreet-style form with the key as a field), from ``--clients`` threads, each with
  its own keep-alive connection;
- inserts the very rows one accepted request wrote (the customer and contact detail, the case,
  its audit entries, the contact, the acknowledgement in the outbox, and for the REST API the
  idempotency record) again, ``--requests`` times, with psycopg from the same number of
  threads, one transaction per case, as the floor any intake path could reach.

It prints and writes to bench/results/intake.md the requests (or cases) per second, the
p50 and p99 time per request, and the ratio of each API to its raw inserts.

The database (``BENCH_INTAKE_DATABASE_URL``, by default
``postgres://postgres@127.0.0.1:5432/civicdesk_bench_intake``) is dropped and created afresh
every run; the script refuses a database whose name does not contain ``bench``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "intake.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/civicdesk_bench_intake"
JURISDICTION = "bench.example"
# The channel each API's cases are recorded with, which tells their rows apart afterwards.
REST_CHANNEL = "web"
OPEN311_CHANNEL = "app"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per API and for raw inserts")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_INTAKE_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: a free one)")
    return parser.parse_args(argv)


def database_name(url: str) -> str:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    return name


def recreate_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


@dataclass(frozen=True)
class Council:
    rest_key: str
    open311_key: str


def council_create() -> Council:
    """One council with a missed-bin service (a choice question, a charter target) and keys."""
    from civicdesk.catalogue.models import CharterTarget, Question, RequestType, ServiceArea
    from civicdesk.integrations.choices import Scope
    from civicdesk.integrations.models import ApiClient, Open311Jurisdiction
    from civicdesk.integrations.services import api_client_create
    from civicdesk.organisations.models import Organisation, Team

    organisation = Organisation.objects.create(name="Bench Council", slug="bench", kind="unitary")
    team = Team.objects.create(organisation=organisation, name="Waste", slug="waste")
    area = ServiceArea.objects.create(
        organisation=organisation, name="Waste", slug="waste", team=team
    )
    request_type = RequestType.objects.create(
        organisation=organisation,
        service_area=area,
        key="missed-bin",
        name="Report a missed bin collection",
        kind="report",
    )
    Question.objects.create(
        request_type=request_type,
        key="bin",
        label="Which bin was missed?",
        kind="choice",
        choices=["General waste", "Recycling", "Garden waste"],
    )
    CharterTarget.objects.create(
        request_type=request_type, amount=2, unit="working_days", summary="collect your bin"
    )
    Open311Jurisdiction.objects.create(organisation=organisation, jurisdiction_id=JURISDICTION)
    rest, rest_key = api_client_create(
        organisation=organisation, name="Rounds", scopes=[Scope.CASES_CREATE]
    )
    open311, open311_key = api_client_create(
        organisation=organisation, name="FixMyStreet", scopes=[Scope.OPEN311]
    )
    ApiClient.objects.filter(pk__in=[rest.pk, open311.pk]).update(requests_per_minute=10**9)
    return Council(rest_key=rest_key, open311_key=open311_key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


@dataclass
class Measured:
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def run_threads(count: int, clients: int, work: Callable[[], Callable[[int], bool]]) -> Measured:
    """``count`` calls spread over ``clients`` threads; ``work()`` gives each thread its caller."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    next_index = iter(range(count))
    start = threading.Barrier(clients + 1)

    def worker() -> None:
        nonlocal failures
        call = work()
        start.wait()
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            began = time.perf_counter()
            try:
                ok = call(index)
            except Exception as problem:
                print(f"Request {index} failed: {problem}", file=sys.stderr)
                ok = False
            took = time.perf_counter() - began
            with lock:
                if ok:
                    latencies.append(took)
                else:
                    failures += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return Measured(time.perf_counter() - began, latencies, failures)


def rest_caller(port: int, key: str, run: str) -> Callable[[], Callable[[int], bool]]:
    def make() -> Callable[[int], bool]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def call(index: int) -> bool:
            body = json.dumps(
                {
                    "service": "missed-bin",
                    "channel": "web",
                    "description": f"Bin not emptied, report {index}",
                    "answers": {"bin": "Recycling"},
                    "customer": {"name": "Pat Resident", "email": f"pat{index}@example.com"},
                }
            )
            connection.request(
                "POST",
                "/api/v1/cases",
                body=body,
                headers={
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"{run}-{index}",
                },
            )
            response = connection.getresponse()
            response.read()
            return response.status == 201

        return call

    return make


def open311_caller(port: int, key: str) -> Callable[[], Callable[[int], bool]]:
    def make() -> Callable[[int], bool]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def call(index: int) -> bool:
            body = urllib.parse.urlencode(
                {
                    "jurisdiction_id": JURISDICTION,
                    "api_key": key,
                    "service_code": "missed-bin",
                    "lat": "52.700512",
                    "long": "-2.516378",
                    "description": f"Missed bin\r\nReport {index}",
                    "email": f"reporter{index}@example.com",
                    "first_name": "Pat",
                    "last_name": "Reporter",
                    "attribute[bin]": "Recycling",
                }
            )
            connection.request(
                "POST",
                "/open311/v2/requests.xml",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            content = response.read()
            return response.status == 200 and b"service_request_id" in content

        return call

    return make


# The raw floor: the rows one accepted request wrote, inserted again with psycopg.


@dataclass
class Template:
    customer: dict[str, Any]
    details: list[dict[str, Any]]
    case: dict[str, Any]
    audits: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    outbox: list[dict[str, Any]]
    idempotency: list[dict[str, Any]]


def template_of(url: str, channel: str) -> Template:
    """Every row written for the newest case that came in on ``channel``."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        generated = {
            (row["table_name"], row["column_name"])
            for row in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE is_generated = 'ALWAYS'"
            ).fetchall()
        }

        def rows(query: str, *params: Any) -> list[dict[str, Any]]:
            """The rows without their generated columns (the database fills those in)."""
            table = query.split(" FROM ", 1)[1].split()[0]
            return [
                {key: value for key, value in row.items() if (table, key) not in generated}
                for row in conn.execute(query, params).fetchall()
            ]

        case = rows(
            "SELECT * FROM cases_case WHERE channel = %s ORDER BY id DESC LIMIT 1", channel
        )[0]
        customer_id = case["customer_id"]
        return Template(
            customer=rows("SELECT * FROM customers_customer WHERE id = %s", customer_id)[0],
            details=rows(
                "SELECT * FROM customers_contactdetail WHERE customer_id = %s", customer_id
            ),
            case=case,
            audits=rows(
                "SELECT * FROM core_auditevent WHERE (subject_type = 'case' AND subject_id = %s)"
                " OR (subject_type = 'customer' AND subject_id = %s)",
                case["id"],
                customer_id,
            ),
            contacts=rows("SELECT * FROM contacts_contact WHERE case_id = %s", case["id"]),
            outbox=rows("SELECT * FROM notifications_outboxmessage WHERE case_id = %s", case["id"]),
            idempotency=(
                rows("SELECT * FROM integrations_idempotencyrecord ORDER BY id DESC LIMIT 1")
                if channel == REST_CHANNEL
                else []
            ),
        )


def _insert(conn: Any, table: str, row: dict[str, Any], **changes: Any) -> int:
    from psycopg.types.json import Jsonb

    values = {**{k: v for k, v in row.items() if k != "id"}, **changes}
    columns = list(values)
    placeholders = ", ".join(["%s"] * len(columns))
    params = [Jsonb(v) if isinstance(v, dict | list) else v for v in values.values()]
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING id"
    return int(conn.execute(statement, params).fetchone()[0])


def raw_caller(url: str, template: Template, label: str) -> Callable[[], Callable[[int], bool]]:
    def make() -> Callable[[int], bool]:
        import psycopg

        conn = psycopg.connect(url)

        def call(index: int) -> bool:
            with conn.transaction():
                customer_id = _insert(conn, "customers_customer", template.customer)
                for detail in template.details:
                    _insert(
                        conn,
                        "customers_contactdetail",
                        detail,
                        customer_id=customer_id,
                        value=f"raw{label}{index}@example.com",
                        normalised=f"raw{label}{index}@example.com",
                    )
                case_id = _insert(
                    conn,
                    "cases_case",
                    template.case,
                    customer_id=customer_id,
                    reference=f"{label}{index:08d}",
                )
                for audit in template.audits:
                    subject = case_id if audit["subject_type"] == "case" else customer_id
                    _insert(conn, "core_auditevent", audit, subject_id=subject)
                for contact in template.contacts:
                    _insert(
                        conn, "contacts_contact", contact, case_id=case_id, customer_id=customer_id
                    )
                for message in template.outbox:
                    _insert(
                        conn,
                        "notifications_outboxmessage",
                        message,
                        case_id=case_id,
                        customer_id=customer_id,
                    )
                for record in template.idempotency:
                    _insert(conn, "integrations_idempotencyrecord", record, key=f"raw-{index}")
            return True

        return call

    return make


def _ratio(results: dict[str, Measured], api: str) -> str:
    through_api = next(m for name, m in results.items() if name.startswith(api))
    raw = results[f"raw inserts ({api} rows)"]
    if not through_api.latencies or not raw.latencies:
        return "not measured (requests failed)"
    return f"{raw.rate / through_api.rate:.1f}x"


def report(
    results: dict[str, Measured], args: argparse.Namespace, version: str, load: float
) -> str:
    lines = [
        "# Intake: the APIs against raw inserts of the same rows",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"Python {platform.python_version()}, PostgreSQL {version}, "
        f"{os.cpu_count()} CPUs; gunicorn with 2 sync workers; "
        f"{args.requests} requests per line from {args.clients} concurrent connections; "
        f"load average {load:.2f} before the run (other work on the machine slows every line).",
        "",
        "| intake | per second | p50 ms | p99 ms | failed |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, measured in results.items():
        lines.append(
            f"| {name} | {measured.rate:,.0f} | {measured.percentile(0.5):.1f} | "
            f"{measured.percentile(0.99):.1f} | {measured.failures} |"
        )
    lines += [
        "",
        "Ratio of raw inserts to the API (how many times faster the floor is):",
        "",
        f"- REST `POST /api/v1/cases`: {_ratio(results, 'REST')}",
        f"- Open311 `POST requests.xml`: {_ratio(results, 'Open311')}",
        "",
        "Each API request checks the key, the rate limit and the answers, opens the case with",
        "its charter clock, audit entries, contact and acknowledgement, and (REST) stores the",
        "idempotent response, in one transaction; the raw line inserts the same rows and",
        "nothing else.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0]
    name = database_name(args.database_url)
    recreate_database(args.database_url, name)
    setup_django(args.database_url)
    council = council_create()
    port = args.port or free_port()
    server = start_gunicorn(args.database_url, port)
    results: dict[str, Measured] = {}
    try:
        # A short warm-up, so both workers have loaded the code and opened a connection.
        run_threads(50, args.clients, rest_caller(port, council.rest_key, "warm"))
        run_threads(50, args.clients, open311_caller(port, council.open311_key))
        results["REST POST /api/v1/cases"] = run_threads(
            args.requests, args.clients, rest_caller(port, council.rest_key, "run")
        )
        results["Open311 POST requests.xml"] = run_threads(
            args.requests, args.clients, open311_caller(port, council.open311_key)
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    rest_template = template_of(args.database_url, REST_CHANNEL)
    results["raw inserts (REST rows)"] = run_threads(
        args.requests, args.clients, raw_caller(args.database_url, rest_template, "R")
    )
    open311_template = template_of(args.database_url, OPEN311_CHANNEL)
    results["raw inserts (Open311 rows)"] = run_threads(
        args.requests, args.clients, raw_caller(args.database_url, open311_template, "O")
    )
    import psycopg

    with psycopg.connect(args.database_url) as conn:
        version = str(conn.execute("SHOW server_version").fetchone()[0])
    text = report(results, args, version, load)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 1 if any(measured.failures for measured in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
