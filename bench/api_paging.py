"""Paging through a large council's cases over the REST API: offset against cursor.

Builds (or reuses) the large council of ``large_council.py`` on PostgreSQL and times
``GET /api/v1/cases`` through Django's test client (the whole request: key check, query,
serialising 50 cases), at several depths, by offset and by cursor, next to the hand-written
keyset SQL for the same page in the same run. Checks that both ways return the same cases.
Writes ``bench/results/api_paging.md``.

Run: ``python bench/api_paging.py [--scale 1] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from charter_sweep import fetch
from large_council import COUNCIL_SLUG, build
from workspace_search import p95, timed

RESULTS = Path(__file__).with_name("results") / "api_paging.md"
PAGE = 50

KEYSET_SQL = """
SELECT c.reference FROM cases_case c
JOIN catalogue_requesttype t ON t.id = c.request_type_id
WHERE c.organisation_id = %(org)s AND NOT t.sensitive
  AND (c.opened_at, c.id) < (to_timestamp(%(micros)s / 1e6), %(id)s)
ORDER BY c.opened_at DESC, c.id DESC LIMIT %(limit)s
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="large council scale")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each request")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    build(args.scale)

    from django.conf import settings
    from django.test import Client

    from civicdesk.integrations.choices import Scope
    from civicdesk.integrations.models import ApiClient
    from civicdesk.integrations.services import api_client_create
    from civicdesk.organisations.models import Organisation

    council = Organisation.objects.get(slug=COUNCIL_SLUG)
    ApiClient.objects.filter(organisation=council, name="Paging bench").delete()
    _, key = api_client_create(organisation=council, name="Paging bench", scopes=[Scope.CASES_READ])
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    headers = {"Authorization": f"Bearer {key}"}

    def get(**params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/cases", {"limit": PAGE, **params}, headers=headers)
        assert response.status_code == 200, response.content[:300]
        return response.json()

    shared = fetch(
        "SELECT count(*) FROM cases_case c JOIN catalogue_requesttype t "
        "ON t.id = c.request_type_id WHERE c.organisation_id = %s AND NOT t.sensitive",
        [council.pk],
    )[0][0]
    depths = [depth for depth in (0, 1_000, 20_000, 200_000) if depth < shared - PAGE]
    rows: list[str] = []
    for depth in depths:
        # The case just before the page, the way a client following next_cursor reaches it.
        before = (
            fetch(
                "SELECT (extract(epoch FROM c.opened_at) * 1e6)::bigint, c.id FROM cases_case c "
                "JOIN catalogue_requesttype t ON t.id = c.request_type_id "
                "WHERE c.organisation_id = %s AND NOT t.sensitive "
                "ORDER BY c.opened_at DESC, c.id DESC OFFSET %s LIMIT 1",
                [council.pk, depth - 1],
            )[0]
            if depth
            else None
        )
        cursor = {"cursor": f"{before[0]}-{before[1]}"} if before else {}
        offset_times, by_offset = timed(lambda depth=depth: get(offset=depth), args.repeat)
        cursor_times, by_cursor = timed(lambda cursor=cursor: get(**cursor), args.repeat)
        micros, last_id = before or (2**62, 2**62)
        sql_times, by_sql = timed(
            lambda micros=micros, last_id=last_id: fetch(
                KEYSET_SQL, {"org": council.pk, "micros": micros, "id": last_id, "limit": PAGE}
            ),
            args.repeat,
        )
        same = (
            [item["reference"] for item in by_offset["items"]]
            == [item["reference"] for item in by_cursor["items"]]
            == [row[0] for row in by_sql]
        )
        rows.append(
            f"| {depth:,} | {_median(offset_times):.1f} | {p95(offset_times):.1f} "
            f"| {_median(cursor_times):.1f} | {p95(cursor_times):.1f} "
            f"| {_median(sql_times):.1f} | {_median(cursor_times) / _median(sql_times):.1f}x "
            f"| {'yes' if same else 'NO'} |"
        )

    lines = [
        "# REST API case list: offset against cursor paging on a large council",
        "",
        f"PostgreSQL, {shared:,} cases shared with API clients (`--scale {args.scale}`), pages of "
        f"{PAGE}, each request timed {args.repeat} times after a warm-up, through Django's test "
        f"client (key check, query, count, serialising). Python {platform.python_version()} on "
        f"{platform.machine()}. Times in milliseconds.",
        "",
        "| depth | offset median | offset p95 | cursor median | cursor p95 "
        "| keyset SQL median | cursor / SQL | same cases |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *rows,
        "",
        "Every request also counts the matches up to 10,000 (beyond that the count says it is "
        "not exact), so no page scans the whole council to count it.",
    ]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


if __name__ == "__main__":
    raise SystemExit(main())
