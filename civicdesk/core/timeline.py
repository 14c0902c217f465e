"""Reading one page of a timeline made of several kinds of record, by keyset.

A customer's history is contacts, cases, messages, ratings and visits, each in a table of its
own. They are put in one order, newest first, by (moment, rank of the kind, id): the rank only
breaks ties between kinds at the same moment, and the id between rows of one kind. A page
starts after the last item of the page before it (its ``TimelineKey``), so each source reads at
most a page of rows from its index, however far back the page is, and nothing is skipped or
shown twice when records are added meanwhile (ADR 34).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

RowT = TypeVar("RowT", bound=Model)


@dataclass(frozen=True, order=True)
class TimelineKey:
    """Where an item stands in the timeline; items are shown in descending order of it."""

    at: datetime
    rank: int
    pk: int


@dataclass(frozen=True)
class TimelineWindow:
    """The rows to read for a page: at most ``limit`` of them, from ``since`` (inclusive) to
    ``until`` (exclusive), about ``case_id`` only when it is given, and either older than
    ``older_than`` (newest first) or newer than ``newer_than`` (oldest first)."""

    limit: int
    since: datetime | None = None
    until: datetime | None = None
    case_id: int | None = None
    older_than: TimelineKey | None = None
    newer_than: TimelineKey | None = None


def timeline_rows(
    rows: QuerySet[RowT], *, at: str, rank: int, window: TimelineWindow
) -> QuerySet[RowT]:
    """``rows`` limited to ``window``, where ``at`` names their moment and ``rank`` is their
    kind's place among rows at the same moment."""
    if window.since is not None:
        rows = rows.filter(**{f"{at}__gte": window.since})
    if window.until is not None:
        rows = rows.filter(**{f"{at}__lt": window.until})
    if window.newer_than is not None:
        rows = rows.filter(_beyond(at=at, rank=rank, key=window.newer_than, older=False))
        return rows.order_by(at, "pk")[: window.limit]
    if window.older_than is not None:
        rows = rows.filter(_beyond(at=at, rank=rank, key=window.older_than, older=True))
    return rows.order_by(f"-{at}", "-pk")[: window.limit]


def _beyond(*, at: str, rank: int, key: TimelineKey, older: bool) -> Q:
    """Rows of this rank that come after ``key`` (older) or before it (newer) in the order."""
    strictly, or_equal = ("lt", "lte") if older else ("gt", "gte")
    if rank != key.rank:
        # At the key's own moment, a kind ranked below the key's comes after it (is older).
        same_moment_too = (rank < key.rank) == older
        return Q(**{f"{at}__{or_equal if same_moment_too else strictly}": key.at})
    # The first condition bounds the index range; the second breaks the tie by id.
    return Q(**{f"{at}__{or_equal}": key.at}) & (
        Q(**{f"{at}__{strictly}": key.at}) | Q(**{f"pk__{strictly}": key.pk})
    )
