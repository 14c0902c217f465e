"""A record's related rows that the code which wrote them already holds, kept on the record as
``prefetch_related`` keeps them, so that reading them back costs no query (ADR 43).

Only the code that creates the record and every row of the relation may say they are known:
a new customer's contact details, or its contacts (none). Code that adds a row afterwards
appends it (``known_rows_add``) or forgets what was known (``known_rows_forget``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model


def known_rows_set(record: Model, relation: str, rows: Iterable[Model]) -> None:
    """``record.<relation>.all()`` is exactly ``rows`` from now on, without a query."""
    queryset: Any = getattr(record, relation).all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache: dict[str, Any] = record.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[relation] = queryset


def known_rows(record: Model, relation: str) -> list[Any] | None:
    """The rows of the relation if they are held, else None (read them from the database)."""
    queryset = record.__dict__.get("_prefetched_objects_cache", {}).get(relation)
    return list(queryset) if queryset is not None else None


def known_rows_add(record: Model, relation: str, row: Model) -> None:
    """A row was added to the relation: add it to what is held, if anything is."""
    held = known_rows(record, relation)
    if held is not None:
        known_rows_set(record, relation, [*held, row])


def known_rows_forget(record: Model, relation: str) -> None:
    record.__dict__.get("_prefetched_objects_cache", {}).pop(relation, None)
