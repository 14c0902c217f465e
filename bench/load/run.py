"""Load test over HTTP: Locust against gunicorn and the worker, as deployed, for two councils.

For each council (``--councils``, the demo council and the large one by default):

1. ``bench/load/prepare.py`` makes its PostgreSQL database ready (the name must contain
   ``bench``) and writes the plan the simulated users follow;
2. static files are collected and Redis's database ``--redis-db`` is emptied, then gunicorn
   (``--workers`` sync workers, ``gunicorn.conf.py``) and ``manage.py run_worker`` start with
   ``config.settings.prod``: Redis as the cache, ``TRUSTED_PROXY_HOPS=1`` behind the proxy
   the load stands in for, a random secret key;
3. once the worker's first round of periodic jobs is over (it is idle), Locust runs headless
   for ``--duration`` seconds with ``--users`` users (see bench/load/locustfile.py), and again
   for each further number of users given (``--users 30,60,120``), to find where the server's
   answers start to slow down;
4. the servers stop and Locust's statistics become a table.

The tables for every council go to bench/results/load.md: requests per second and the 50th,
95th and 99th percentile per endpoint at the first number of users, the same for all endpoints
together at every number of users, and every failure. Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results" / "load.md"
URL_PATTERN = "postgres://postgres@127.0.0.1:5432/civicdesk_bench_load_{council}"
COUNCIL_NAMES = {"demo": "the demo council", "large": "the large council"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", default="demo,large", help="demo, large or both")
    parser.add_argument(
        "--users",
        type=user_counts,
        default=[30, 60, 120],
        help="simulated users at once; several, comma-separated, run one after another",
    )
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per council")
    # Over 30 s, so that the staff sign in again with a newer code from their authenticator
    # app (a code works once, and the warm-up's sign-ins used this step's).
    parser.add_argument(
        "--warm-up", type=int, default=40, help="seconds of load before, not counted (> 30)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn's sync workers")
    parser.add_argument("--scale", type=float, default=1.0, help="the large council's scale")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_LOAD_DATABASE_URL", URL_PATTERN),
        help="with {council} for the council's name",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rate: float
    p50: str
    p95: str
    p99: str


@dataclass
class Step:
    """All endpoints together at one number of users."""

    users: int
    total: Row
    failures: list[tuple[str, str, int]]
    load_average: tuple[float, float, float]


@dataclass
class Outcome:
    council: str
    counts: dict[str, int]
    rows: list[Row]
    steps: list[Step]
    warm_up_seconds: float

    @property
    def total(self) -> Row:
        return self.steps[0].total

    @property
    def failed(self) -> bool:
        return any(step.total.failures or step.failures for step in self.steps)


def user_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError("give one or more whole numbers over 0, such as 30,60")
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    councils = [name.strip() for name in args.councils.split(",") if name.strip()]
    if args.warm_up <= 30:
        raise SystemExit("--warm-up must be over 30 seconds: each sign-in code works once.")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="civicdesk-load-") as scratch:
        work = Path(scratch)
        for council in councils:
            url = args.database_url.format(council=council)
            if "bench" not in url.rsplit("/", 1)[-1]:
                raise SystemExit(f"Refusing {url}: the database's name must contain 'bench'.")
            outcomes.append(run_council(args, council=council, url=url, work=work))
    write_results(args, outcomes)
    print(f"Wrote {args.output}")
    return 1 if any(outcome.failed for outcome in outcomes) else 0


def run_council(args: argparse.Namespace, *, council: str, url: str, work: Path) -> Outcome:
    import json

    plan = work / f"plan-{council}.json"
    subprocess.run(
        [
            str(BIN / "python"),
            str(ROOT / "bench" / "load" / "prepare.py"),
            "--council",
            council,
            "--database-url",
            url,
            "--scale",
            str(args.scale),
            "--plan",
            str(plan),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        check=True,
    )
    port = free_port()
    environment = production_environment(args, url=url, port=port, var=work / "var")
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    redis_flush(args.redis_url, args.redis_db)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    worker = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "run_worker"], cwd=ROOT, env=environment
    )
    try:
        wait_for_health(port)
        warm_up = wait_until_idle(worker.pid)
        print(f"{council}: the worker is idle after {warm_up:.0f}s; load for {args.duration}s")
        # Each gunicorn worker imports, compiles templates and trains Ask's engine on its first
        # requests: a short run first, not counted, so the figures are those of a warm server.
        locust(
            args,
            port=port,
            plan=plan,
            users=args.users[0],
            seconds=args.warm_up,
            prefix=work / "warm-up",
        )
        steps = []
        for users in args.users:
            prefix = work / f"stats-{council}-{users}"
            locust(args, port=port, plan=plan, users=users, seconds=args.duration, prefix=prefix)
            steps.append((users, prefix, os.getloadavg()))
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    measured = [
        Step(
            users=users,
            total=read_stats(Path(f"{prefix}_stats.csv"))[1],
            failures=read_failures(Path(f"{prefix}_failures.csv")),
            load_average=load_average,
        )
        for users, prefix, load_average in steps
    ]
    first_prefix = steps[0][1]
    return Outcome(
        council=council,
        counts=json.loads(plan.read_text(encoding="utf-8"))["counts"],
        rows=read_stats(Path(f"{first_prefix}_stats.csv"))[0],
        steps=measured,
        warm_up_seconds=warm_up,
    )


def locust(
    args: argparse.Namespace, *, port: int, plan: Path, users: int, seconds: int, prefix: Path
) -> None:
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "load" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_PLAN": str(plan)},
        check=False,
    )


def production_environment(
    args: argparse.Namespace, *, url: str, port: int, var: Path
) -> dict[str, str]:
    """The production settings as deploy/civicdesk.env.example sets them, on this machine."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TZ"}
    return {
        **{name: value for name, value in os.environ.items() if name in keep},
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": url,
        "CIVICDESK_VAR_DIR": str(var),
        "REDIS_URL": f"{args.redis_url}/{args.redis_db}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}",
        "TRUSTED_PROXY_HOPS": "1",
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_flush(url: str, database: int) -> None:
    """Empty the cache's database, so that no count from an earlier run carries over."""
    import redis

    redis.Redis.from_url(f"{url}/{database}").flushdb()


def wait_for_health(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def wait_until_idle(pid: int, *, quiet_seconds: int = 5, limit: int = 900) -> float:
    """Seconds until the worker has used under 5% of a core for ``quiet_seconds`` in a row:
    its first round of periodic jobs (each runs when the worker starts) is then over."""
    import psutil

    process = psutil.Process(pid)
    started = time.monotonic()
    quiet = 0
    process.cpu_percent(None)
    while time.monotonic() - started < limit:
        time.sleep(1)
        quiet = quiet + 1 if process.cpu_percent(None) < 5 else 0
        if quiet >= quiet_seconds:
            break
    return time.monotonic() - started - quiet_seconds


def _milliseconds(value: str) -> str:
    return "" if value in {"", "N/A"} else f"{float(value):,.0f}"


def read_stats(path: Path) -> tuple[list[Row], Row]:
    rows = []
    total = None
    with path.open(encoding="utf-8") as stats:
        for line in csv.DictReader(stats):
            row = Row(
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rate=float(line["Requests/s"]),
                p50=_milliseconds(line["50%"]),
                p95=_milliseconds(line["95%"]),
                p99=_milliseconds(line["99%"]),
            )
            if line["Name"] == "Aggregated":
                total = row
            else:
                rows.append(row)
    if total is None:
        raise SystemExit(f"{path} has no Aggregated line")
    return sorted(rows, key=lambda row: row.name), total


def read_failures(path: Path) -> list[tuple[str, str, int]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as failures:
        return [
            (line["Name"], line["Error"], int(line["Occurrences"]))
            for line in csv.DictReader(failures)
        ]


def commit() -> str:
    found = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True, text=True
    )
    return found.stdout.strip() or "unknown"


def write_results(args: argparse.Namespace, outcomes: list[Outcome]) -> None:
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        "# Load test over HTTP",
        "",
        f"Run {when} at commit {commit()} (Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores shared with the load generator and the database). "
        f"Each council: {', then '.join(str(users) for users in args.users)} simulated users, "
        f"started {args.spawn_rate:g} a second, for {args.duration} s each; "
        f"gunicorn with {args.workers} sync workers and the worker, "
        "with `config.settings.prod`, Redis as the cache and `TRUSTED_PROXY_HOPS=1`. "
        "Times in milliseconds, from the load generator (which runs on the same cores).",
        "",
    ]
    for outcome in outcomes:
        counts = outcome.counts
        lines += [
            f"## {COUNCIL_NAMES.get(outcome.council, outcome.council).capitalize()}",
            "",
            f"Telford & Wrekin with {counts['customers']:,} customers, {counts['cases']:,} "
            f"cases and {counts['contacts']:,} contacts. The worker's first round of periodic "
            f"jobs took {outcome.warm_up_seconds:.0f} s before the load began; load average "
            f"at the end of the first step {outcome.steps[0].load_average[0]:.1f}. Per endpoint, "
            f"with {outcome.steps[0].users} users:",
            "",
            "| endpoint | requests | per second | p50 | p95 | p99 | failures |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in [*outcome.rows, outcome.total]:
            name = "**all**" if row is outcome.total else row.name
            lines.append(
                f"| {name} | {row.requests:,} | {row.rate:.1f} | {row.p50} | {row.p95} | "
                f"{row.p99} | {row.failures} |"
            )
        lines.append("")
        if len(outcome.steps) > 1:
            lines += [
                "All endpoints together as the users grow:",
                "",
                "| users | requests | per second | p50 | p95 | p99 | failures | load average |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            lines += [
                f"| {step.users} | {step.total.requests:,} | {step.total.rate:.1f} | "
                f"{step.total.p50} | {step.total.p95} | {step.total.p99} | "
                f"{step.total.failures} | {step.load_average[0]:.1f} |"
                for step in outcome.steps
            ]
            lines.append("")
        for step in outcome.steps:
            if step.failures:
                lines += [f"Failures with {step.users} users:", ""]
                lines += [f"- {name}: {error} ({count})" for name, error, count in step.failures]
                lines.append("")
    if len(outcomes) == 2:
        lines += comparison(outcomes[0], outcomes[1])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def comparison(first: Outcome, second: Outcome) -> list[str]:
    later = {row.name: row for row in second.rows}
    lines = [
        f"## From {COUNCIL_NAMES.get(first.council, first.council)} to "
        f"{COUNCIL_NAMES.get(second.council, second.council)}",
        "",
        f"| endpoint | p50 {first.council} | p50 {second.council} | p95 {first.council} | "
        f"p95 {second.council} |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in [*first.rows, first.total]:
        other = second.total if row is first.total else later.get(row.name)
        if other is None:
            continue
        name = "**all**" if row is first.total else row.name
        lines.append(f"| {name} | {row.p50} | {other.p50} | {row.p95} | {other.p95} |")
    lines += [
        "",
        f"Requests per second, all endpoints: {first.total.rate:.1f} for {first.council}, "
        f"{second.total.rate:.1f} for {second.council}.",
        "",
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())
