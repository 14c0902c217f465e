"""Reading one page of a timeline made of several kinds of record, by keyset.

A customer's history is contacts, cases, messages, ratings and visits, each in a table of its
own. They are put in one order, newest first, by (moment, rank of the kind, id): the rank only
breaks ties between kinds at the same moment, and the id between rows of one kind. A page
starts after the last item of the page before it (its ``TimelineKey``), so each source reads at
most a page of rows from its index, however far back the page is, and nothing is skipped or
shown twice when records are added meanwhile (ADR 34).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, IntegerField, Model, Q, QuerySet, Value
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

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


@dataclass(frozen=True)
class TimelineRow:
    """One row of a timeline read by ``read_timeline``: where it stands and what it shows
    (the values ``timeline_source`` was given, by name)."""

    key: TimelineKey
    shown: Mapping[str, Any]


def timeline_source(
    rows: QuerySet[RowT], *, at: str, rank: int, window: TimelineWindow, shown: Mapping[str, Any]
) -> QuerySet[Any, Any]:
    """One kind's part of a timeline read by ``read_timeline``: ``rows`` limited to ``window``
    as ``timeline_rows`` does, each as its key and ``shown`` (names to fields or expressions)."""
    annotated = rows.annotate(
        row_at=F(at),
        row_rank=Value(rank, output_field=IntegerField()),
        row_pk=F("pk"),
        row_shown=JSONObject(**shown),
    )
    windowed = timeline_rows(annotated, at=at, rank=rank, window=window)
    return windowed.values_list("row_at", "row_rank", "row_pk", "row_shown")


def read_timeline(
    sources: Sequence[QuerySet[Any, Any]], *, window: TimelineWindow
) -> list[TimelineRow]:
    """The rows of ``window`` across every kind, in the timeline's order, in one query: each
    kind still reads at most a page from its index, and one ``UNION ALL`` puts them in order."""
    compiled = _statement_of(sources, window=window, varying={})
    return _rows(compiled.alias, compiled.statement, compiled.params) if compiled else []


def read_timeline_kept(
    *,
    shape: Hashable,
    varying: Mapping[str, int],
    sources: Callable[[], Sequence[QuerySet[Any, Any]]],
    window: TimelineWindow,
) -> list[TimelineRow]:
    """``read_timeline`` for a timeline read on every page view, whose statement each process
    builds once for each ``shape`` (ADR 51).

    ``shape`` must name everything the sources are built from except ``varying``: the ids that
    change from one read of the shape to the next (the customer's). Until two reads of a shape
    with every varying id different have produced the same statement, in which only the
    varying ids' places differ, the sources are built and compiled as ``read_timeline`` does;
    from then on the statement is kept and only those places are filled in.
    """
    kept = _kept_statements.get(shape)
    if kept is not None:
        return _rows(kept.compiled.alias, kept.compiled.statement, kept.filled(varying))
    compiled = _statement_of(sources(), window=window, varying=varying)
    if compiled is None:
        return []
    earlier = _first_statements.pop(shape, None)
    learned = _learned(earlier, compiled) if earlier is not None else None
    if learned is not None:
        if len(_kept_statements) >= MOST_KEPT_STATEMENTS:
            _kept_statements.clear()
        _kept_statements[shape] = learned
    else:
        if len(_first_statements) >= MOST_KEPT_STATEMENTS:
            _first_statements.clear()
        _first_statements[shape] = compiled
    return _rows(compiled.alias, compiled.statement, compiled.params)


# Shapes are few (a council's team sets times the kinds asked for); this only bounds a leak.
MOST_KEPT_STATEMENTS = 1000


@dataclass(frozen=True)
class _Compiled:
    alias: str
    statement: str
    params: list[Any]
    varying: Mapping[str, int]


@dataclass(frozen=True)
class _Kept:
    compiled: _Compiled
    # Which varying id goes in which place of the compiled parameters.
    places: Mapping[int, str]

    def filled(self, varying: Mapping[str, int]) -> list[Any]:
        params = list(self.compiled.params)
        for place, name in self.places.items():
            params[place] = varying[name]
        return params


_first_statements: dict[Hashable, _Compiled] = {}
_kept_statements: dict[Hashable, _Kept] = {}


def _learned(earlier: _Compiled, later: _Compiled) -> _Kept | None:
    """What two compilations of one shape teach, or None if they do not prove it safe: the
    same statement, every varying id different between them, and each place that differs
    holding one varying id in both. A place that holds the same value in both is a constant,
    since every varying id changed."""
    if (
        earlier.statement != later.statement
        or earlier.alias != later.alias
        or len(earlier.params) != len(later.params)
        or earlier.varying.keys() != later.varying.keys()
        or any(earlier.varying[name] == later.varying[name] for name in later.varying)
    ):
        return None
    places: dict[int, str] = {}
    for place, (before, after) in enumerate(zip(earlier.params, later.params, strict=True)):
        if type(before) is type(after) and before == after:
            continue
        names = [
            name
            for name in later.varying
            if before == earlier.varying[name] and after == later.varying[name]
        ]
        if len(names) != 1 or type(after) is not int:
            return None
        places[place] = names[0]
    return _Kept(compiled=later, places=places)


def _statement_of(
    sources: Sequence[QuerySet[Any, Any]], *, window: TimelineWindow, varying: Mapping[str, int]
) -> _Compiled | None:
    parts: list[str] = []
    params: list[Any] = []
    alias = sources[0].db if sources else "default"
    for source in sources:
        try:
            sql, source_params = source.query.get_compiler(using=source.db).as_sql()
        except EmptyResultSet:
            continue
        # Django compiled ``sql`` with its values kept apart in ``source_params``.
        parts.append(f"SELECT * FROM ({sql}) AS kind_{len(parts)}")  # noqa: S608
        params += source_params
    if not parts:
        return None
    order = "ASC" if window.newer_than is not None else "DESC"
    statement = (
        " UNION ALL ".join(parts)
        + f" ORDER BY 1 {order}, 2 {order}, 3 {order} LIMIT {int(window.limit)}"
    )
    return _Compiled(alias=alias, statement=statement, params=params, varying=dict(varying))


def _rows(alias: str, statement: str, params: list[Any]) -> list[TimelineRow]:
    with connections[alias].cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchall()
    return [
        TimelineRow(
            key=TimelineKey(at=_moment(at), rank=int(rank), pk=int(pk)),
            shown=json.loads(shown) if isinstance(shown, str | bytes) else shown,
        )
        for at, rank, pk, shown in found
    ]


def _moment(value: datetime | str) -> datetime:
    """A moment as the database driver returned it outside the ORM: an aware datetime from
    PostgreSQL, text in UTC from SQLite."""
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    if moment is None:
        raise ValueError("A timeline row has no moment")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
