"""Benchmark: intake through the APIs against raw inserts of the same rows.

Starts gunicorn (two sync workers a core, as deployed) on a PostgreSQL database of its own
and, in the same run,

- posts ``--requests`` new cases to ``POST /api/v1/cases`` (JSON, a Bearer key, an
  Idempotency-Key each) and the same number to Open311 ``POST /open311/v2/requests.xml``
  (a FixMyStreet-style form with the key as a field), from ``--clients`` threads, each with
  its own keep-alive connection;
- inserts the very rows one accepted request wrote (the customer and contact detail, the case,
  its audit entries, the contact, the acknowledgement in the outbox, and for the REST API the
  idempotency record) again, ``--requests`` times, with psycopg from the same number of
  threads, one transaction per case, as the floor any intake path could reach.

It prints and writes to bench/results/intake.md the requests (or cases) per second, the
p50 and p99 time per request, the ratio of each API to its raw inserts, and how many SQL
statements one request of each API sends, next to the raw line's.

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
# The share of the raw rate the APIs should reach (issue 18).
TARGET_SHARE_OF_RAW = 0.25


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per API and for raw inserts")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_INTAKE_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: a free one)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="gunicorn's sync workers (default two a core, as deploy/civicdesk-web.service runs)",
    )
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


@dataclass(frozen=True)
class Statements:
    rest: int
    open311: int


def statements_per_request(council: Council) -> Statements:
    """The SQL statements one request sends, counted in this process through Django's test
    client against the same database: the second request of each kind, once the first has
    filled what each process keeps (ADR 43)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    rest, open311 = (
        rest_caller_with(client.post, council.rest_key, "count"),
        open311_caller_with(client.post, council.open311_key),
    )
    counts = []
    for call in (rest, open311):
        call(-1)
        with CaptureQueriesContext(connection) as captured:
            if not call(-2):
                raise SystemExit("A request to count statements failed")
        counts.append(len(captured.captured_queries))
    return Statements(rest=counts[0], open311=counts[1])


def rest_caller_with(post: Callable[..., Any], key: str, run: str) -> Callable[[int], bool]:
    def call(index: int) -> bool:
        response = post(
            "/api/v1/cases",
            data=json.dumps(rest_body(index)),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"{run}-{index}"},
        )
        return int(response.status_code) == 201

    return call


def open311_caller_with(post: Callable[..., Any], key: str) -> Callable[[int], bool]:
    def call(index: int) -> bool:
        response = post("/open311/v2/requests.xml", data=open311_form(key, index))
        return int(response.status_code) == 200 and b"service_request_id" in response.content

    return call


def rest_body(index: int) -> dict[str, Any]:
    return {
        "service": "missed-bin",
        "channel": "web",
        "description": f"Bin not emptied, report {index}",
        "answers": {"bin": "Recycling"},
        "customer": {"name": "Pat Resident", "email": f"pat{index}@example.com"},
    }


def open311_form(key: str, index: int) -> dict[str, str]:
    return {
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
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
            str(workers),
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


def workers_cpu_seconds(master_pid: int) -> float:
    """User and system CPU time the server's workers have used so far (Linux's /proc), which
    other work on the machine does not inflate as it does the time per request."""
    used = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, parent's id, ... user time (14th field), system time (15th).
        if int(fields[1]) == master_pid:
            used += int(fields[11]) + int(fields[12])
    return used / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    seconds: float
    latencies: list[float]
    failures: int
    cpu_seconds: float | None = None

    @property
    def cpu_ms_per_request(self) -> str:
        if self.cpu_seconds is None or not self.latencies:
            return ""
        return f"{self.cpu_seconds / len(self.latencies) * 1000:.1f}"

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
            body = json.dumps(rest_body(index))
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
            body = urllib.parse.urlencode(open311_form(key, index))
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
    share = through_api.rate / raw.rate
    target = "meets" if share >= TARGET_SHARE_OF_RAW else "misses"
    return (
        f"{raw.rate / through_api.rate:.1f}x; the API runs at {share:.2f} of the raw rate "
        f"({target} the {TARGET_SHARE_OF_RAW} target)"
    )


def raw_statements(template: Template) -> int:
    """BEGIN, one INSERT per row, COMMIT: what the raw line sends per case."""
    rows = 2 + len(template.details) + len(template.audits) + len(template.contacts)
    return 2 + rows + len(template.outbox) + len(template.idempotency)


def report(
    results: dict[str, Measured],
    args: argparse.Namespace,
    version: str,
    load: float,
    statements: Statements,
    floors: Statements,
) -> str:
    lines = [
        "# Intake: the APIs against raw inserts of the same rows",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"Python {platform.python_version()}, PostgreSQL {version}, "
        f"{os.cpu_count()} CPUs; gunicorn with {args.workers} sync workers; "
        f"{args.requests} requests per line from {args.clients} concurrent connections; "
        f"load average {load:.2f} before the run (other work on the machine slows every line).",
        "",
        "| intake | per second | p50 ms | p99 ms | failed | server CPU ms per request |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, measured in results.items():
        lines.append(
            f"| {name} | {measured.rate:,.0f} | {measured.percentile(0.5):.1f} | "
            f"{measured.percentile(0.99):.1f} | {measured.failures} | "
            f"{measured.cpu_ms_per_request} |"
        )
    lines += [
        "",
        "Ratio of raw inserts to the API (how many times faster the floor is):",
        "",
        f"- REST `POST /api/v1/cases`: {_ratio(results, 'REST')}",
        f"- Open311 `POST requests.xml`: {_ratio(results, 'Open311')}",
        "",
        "Server CPU ms per request: the CPU time gunicorn's workers used over the line, per",
        "request, which the machine's other work does not inflate as it does the rates.",
        "",
        "SQL statements per request (BEGIN and COMMIT included; counted through Django's test",
        "client on the same database, the second request of each kind in one process):",
        "",
        f"- REST: {statements.rest} (the raw line: {floors.rest})",
        f"- Open311: {statements.open311} (the raw line: {floors.open311})",
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
    statements = statements_per_request(council)
    port = args.port or free_port()
    server = start_gunicorn(args.database_url, port, args.workers)
    results: dict[str, Measured] = {}
    try:
        # A short warm-up, so every worker has loaded the code and opened a connection.
        run_threads(50, args.clients, rest_caller(port, council.rest_key, "warm"))
        run_threads(50, args.clients, open311_caller(port, council.open311_key))
        before = workers_cpu_seconds(server.pid)
        results["REST POST /api/v1/cases"] = run_threads(
            args.requests, args.clients, rest_caller(port, council.rest_key, "run")
        )
        middle = workers_cpu_seconds(server.pid)
        results["REST POST /api/v1/cases"].cpu_seconds = middle - before
        results["Open311 POST requests.xml"] = run_threads(
            args.requests, args.clients, open311_caller(port, council.open311_key)
        )
        results["Open311 POST requests.xml"].cpu_seconds = workers_cpu_seconds(server.pid) - middle
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
    floors = Statements(
        rest=raw_statements(rest_template), open311=raw_statements(open311_template)
    )
    text = report(results, args, version, load, statements, floors)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 1 if any(measured.failures for measured in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
