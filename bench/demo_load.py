"""How long `manage.py load_demo` takes on a fresh SQLite database, as `make run` does it.

    python bench/demo_load.py              # the full demo, once
    python bench/demo_load.py --repeat 3   # three fresh databases; median and minimum
    python bench/demo_load.py --scale 0.1

Each run migrates a new database in a temporary folder, then times `load_demo` in a process
of its own: the wall-clock time and the processor time it used (user and system), so that a
run on a busy machine can still be compared with one on a quiet machine. Results are printed
and written to bench/results/demo_load.md (under "Latest run"); the before-and-after figures
above that heading are kept.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "demo_load.md"
LATEST = "## Latest run"


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float


def run_once(*, scale: float) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.sqlite3'}",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=environment, check=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [*manage, "load_demo", "--scale", str(scale)],
            env=environment,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall=wall, cpu=cpu)


def report(runs: list[Run], *, scale: float) -> str:
    walls = [run.wall for run in runs]
    cpus = [run.cpu for run in runs]
    return (
        f"{LATEST}\n\n"
        f"`load_demo --scale {scale:g}` on a fresh SQLite database, {len(runs)} run(s), "
        f"{os.cpu_count()} processor(s), load average {os.getloadavg()[0]:.1f} at the end.\n\n"
        "| | median | minimum |\n|---|---|---|\n"
        f"| wall clock | {statistics.median(walls):.1f} s | {min(walls):.1f} s |\n"
        f"| processor time (user + system) | {statistics.median(cpus):.1f} s "
        f"| {min(cpus):.1f} s |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    runs = [run_once(scale=options.scale) for _ in range(options.repeat)]
    text = report(runs, scale=options.scale)
    print(text)
    kept = RESULTS.read_text(encoding="utf-8").split(LATEST)[0] if RESULTS.exists() else ""
    RESULTS.write_text(kept.rstrip() + "\n\n" + text if kept else text, encoding="utf-8")


if __name__ == "__main__":
    main()
