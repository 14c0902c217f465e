"""Benchmark: bringing a council's customers and cases over from its old system.

In a directory of its own, on SQLite (the slower case for writes: one writer at a time), it
creates a council with the starter catalogue, writes synthetic exports of ``--customers``
customers and ``--cases`` cases (open and closed, over the past year, four in ten without a
customer), then times ``manage.py legacy_import``: the dry run (reading and checking every
line), the import, and the same import again (which must find everything and write nothing).
It reports lines per second and the longest write transaction the import held, against the aim
of 200 ms (ADR 23).

    python bench/legacy_import.py --customers 10000 --cases 10000

Results are printed and written to bench/results/legacy_import.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "legacy_import.md"
BOUNDARY = ROOT / "tests" / "data" / "millbrook-boundary.geojson"
AIM_MS = 200.0
STREETS = ["Mill Lane", "Station Road", "High Street", "Church View", "Ashover Road", "Dale Road"]
FIRST = ["Joan", "Dev", "Peter", "Amira", "Tom", "Grace", "Olu", "Sam", "Priya", "Ewan"]
LAST = ["Hartley", "Okafor", "Lunn", "Begum", "Price", "Kim", "Adeyemi", "Patel", "Shaw", "Ross"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=10_000)
    return parser.parse_args(argv)


def manage(env: dict[str, str], *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return out, time.perf_counter() - started


def exports_write(folder: Path, customers: int, cases: int, services: list[str]) -> None:
    rng = random.Random(19)
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "id",
                "first_name",
                "last_name",
                "address_line_1",
                "town",
                "postcode",
                "email",
                "phone",
            ]
        )
        for number in range(customers):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            writer.writerow(
                [
                    f"C{number:07d}",
                    first,
                    last,
                    f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
                    "Millbrook",
                    f"DE4 {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('ABDEFGHJ')}",
                    f"{first}.{last}.{number}@example.com".lower() if rng.random() < 0.7 else "",
                    f"07700 900{number % 1000:03d}" if rng.random() < 0.6 else "",
                ]
            )
    now = datetime.now(UTC)
    with (folder / "cases.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["reference", "service", "status", "received", "closed", "customer_id", "notes"]
        )
        for number in range(cases):
            received = now - timedelta(days=rng.uniform(1, 365))
            is_open = rng.random() < 0.3
            closed = received + timedelta(days=rng.uniform(0, 20))
            if closed >= now:
                is_open = True
            writer.writerow(
                [
                    f"OLD/{number:07d}",
                    rng.choice(services),
                    "in_progress" if is_open else "closed",
                    received.strftime("%Y-%m-%d %H:%M"),
                    "" if is_open else closed.strftime("%Y-%m-%d %H:%M"),
                    f"C{rng.randrange(customers):07d}" if rng.random() < 0.6 else "",
                    "Passed to the crew." if rng.random() < 0.5 else "",
                ]
            )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="civicdesk-legacy-bench-") as directory:
        folder = Path(directory)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.dev",
            CIVICDESK_VAR_DIR=str(folder),
            PYTHONPATH=str(ROOT),
        )
        manage(env, "migrate", "--noinput", "-v0")
        manage(
            env,
            "council_create",
            "--slug=millbrook",
            "--name=Millbrook Borough Council",
            "--kind=unitary",
            "--nation=england",
            f"--boundary={BOUNDARY}",
        )
        manage(env, "catalogue_export", "--starter", str(folder / "catalogue.csv"))
        manage(env, "catalogue_import", "--council=millbrook", str(folder / "catalogue.csv"))
        with (folder / "catalogue.csv").open(newline="", encoding="utf-8") as file:
            services = [row["key"] for row in csv.DictReader(file) if row["kind"] != "information"]
        exports_write(folder, args.customers, args.cases, services)
        files = [
            "--council=millbrook",
            f"--customers={folder / 'customers.csv'}",
            f"--cases={folder / 'cases.csv'}",
        ]
        _, checked = manage(env, "legacy_import", *files, "--dry-run")
        printed, imported = manage(env, "legacy_import", *files)
        again_printed, again = manage(env, "legacy_import", *files)
    found = re.search(
        r"in ([\d,]+) transactions? taking lines for up to (\d+) ms each "
        r"\(the longest was open (\d+) ms\)",
        printed,
    )
    assert found, printed
    assert "there was nothing new to write" in again_printed, again_printed
    transactions, batch, longest = found.group(1), found.group(2), int(found.group(3))
    lines = args.customers + args.cases
    report = "\n".join(
        [
            "# Moving in from the old system",
            "",
            "`manage.py legacy_import` on synthetic exports, on SQLite (WAL, synchronous NORMAL),"
            " in a fresh database with the starter catalogue. Written by"
            " `bench/legacy_import.py`.",
            "",
            "| | |",
            "| --- | --- |",
            f"| date | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC |",
            f"| machine | {platform.system()} {platform.release()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()} |",
            f"| lines | {args.customers:,} customers and {args.cases:,} cases |",
            f"| dry run (read and check every line) | {checked:.1f} s |",
            f"| import | {imported:.1f} s, {lines / imported:,.0f} lines a second |",
            f"| transactions | {transactions}, each taking lines for up to {batch} ms |",
            f"| longest write transaction | {longest} ms (aim {AIM_MS:.0f} ms): "
            f"{'within' if longest <= AIM_MS else 'OVER'} |",
            f"| the same import again | {again:.1f} s, nothing written |",
            "",
            "Times include starting `manage.py` (a second or two). The import's own report:",
            "",
            "```",
            printed.strip(),
            "```",
            "",
        ]
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
