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
    """Let the database plan the services' queries for the rows just written: on tables it
    last saw empty, SQLite walks every customer of the council to find one email address, and
    PostgreSQL, until its autovacuum gets round to them (or never, where it is turned off),
    checks every customer for a shared email address on each customer page. ANALYZE counts
    the load's own rows although they are not yet committed."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
