"""Benchmark: the loose street search residents reach without signing in.

``places_match`` is called by the bin day page and the report location question, for anyone on
the internet. This times the two costly cases, where the strict search finds nothing and the
loose reading runs: a miss (no street named at all) and a typo in a street's name, for a council
of 4,000 and of 20,000 streets imported through ``streets_import``. Each is called ``--repeat``
times after one untimed warm-up; the median is reported, with the number of queries. It runs in
a throwaway test database. Results go to ``bench/results/place_matching.md`` (``--label`` names
the run, so that a run before a change and one after sit side by side).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from civicdesk.geo.place_matching import places_match  # noqa: E402
from civicdesk.geo.services import streets_import  # noqa: E402
from civicdesk.organisations.models import Organisation  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "place_matching.md"
SIZES = (4_000, 20_000)
_FIRST = [
    "Abbey",
    "Ash",
    "Beech",
    "Birch",
    "Bridge",
    "Castle",
    "Cherry",
    "Church",
    "Elm",
    "Forge",
    "Glebe",
    "Hawthorn",
    "Heath",
]
_SECOND = [
    "Mill",
    "Oak",
    "Orchard",
    "Park",
    "Priory",
    "Quarry",
    "Rowan",
    "Spring",
    "Station",
    "Tanners",
    "Vicarage",
    "Well",
]
_KIND = [
    "Road",
    "Street",
    "Lane",
    "Close",
    "Drive",
    "Avenue",
    "Way",
    "Gardens",
    "Crescent",
    "Place",
]
_TOWNS = [f"Town {letter}" for letter in "ABCDEFGHIJKLMNOPQRST"]
MISS = "there is rubbish dumped behind the old gasworks near the canal towpath"
TYPO = "fly tipping on Hawthron Orchad Lane"


def _rows(count: int) -> list[dict[str, str]]:
    picker = random.Random(15)
    rows = []
    for number in range(1, count + 1):
        name = f"{picker.choice(_FIRST)} {picker.choice(_SECOND)} {picker.choice(_KIND)}"
        lon, lat = -2.6 + picker.random() * 0.3, 52.6 + picker.random() * 0.2
        rows.append(
            {
                "usrn": str(number),
                "name": name if number % 7 else f"{name} {number}",
                "locality": picker.choice(_TOWNS),
                "adoption": "adopted",
                "geometry": f"LINESTRING ({lon:.5f} {lat:.5f}, {lon + 0.001:.5f} {lat:.5f})",
            }
        )
    return rows


def _time(organisation: Organisation, text: str, repeat: int) -> tuple[float, int, int]:
    places_match(organisation=organisation, text=text)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            found = places_match(organisation=organisation, text=text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries.captured_queries), len(found.matches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--label", default="current code")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    table = []
    try:
        for size in SIZES:
            organisation = Organisation.objects.create(name=f"Bench {size}", slug=f"bench-{size}")
            streets_import(organisation=organisation, rows=_rows(size))
            for case, text in (("miss", MISS), ("typo", TYPO)):
                median, queries, found = _time(organisation, text, args.repeat)
                table.append(f"| {size:,} | {case} | {median:.1f} | {queries} | {found} |")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    lines = [
        f"## {args.label}",
        "",
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{connection.vendor}; median of {args.repeat} calls after a warm-up.",
        "",
        "| streets | typed | median ms | queries | places found |",
        "| ---: | --- | ---: | ---: | ---: |",
        *table,
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    previous = args.output.read_text() if args.output.exists() else ""
    heading = "# Loose street search (places_match)\n\n"
    body = previous.removeprefix(heading)
    kept = [part for part in body.split("## ") if part and not part.startswith(args.label + "\n")]
    args.output.write_text(heading + "".join("## " + part for part in kept) + "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
