"""The database settings a demo load runs under (see bench/results/demo_load.md).

The load is one transaction, so an interrupted load leaves nothing behind whatever SQLite is
told about the disk. Loading tens of thousands of rows through the services is then bound by
two things the database can help with: SQLite spilling the transaction's pages from its small
default cache, and query plans chosen for empty tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# 128 MB of page cache (a negative size is in KiB): the whole demo fits, so no page is
# written to the log twice before the commit.
LOAD_CACHE_KIB = 131072


@contextmanager
def database_tuned_for_a_load() -> Iterator[None]:
    """On SQLite, a large cache, temporary tables in memory and no wait for the disk after
    each write while the load runs; the connection's usual settings afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    # SQLite refuses to change where temporary tables live, or how it waits for the disk,
    # inside a transaction (a test's, say).
    outside = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache_size,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous")
        (synchronous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
        if outside:
            cursor.execute("PRAGMA temp_store = MEMORY")
            cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
            if outside:
                cursor.execute("PRAGMA temp_store = DEFAULT")
                cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")


def statistics_refresh() -> None:
    """Let SQLite plan the services' queries for the rows just written: on tables it last saw
    empty, it walks every customer of the council to find one email address. (PostgreSQL
    estimates from the tables' size on disk, and its autovacuum keeps statistics.)"""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
