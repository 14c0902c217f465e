"""What changes rarely (a council's catalogue, API clients, webhook subscriptions), kept in each
process and trusted while its version in the shared cache stands (ADR 43).

Every process (each gunicorn worker, the worker, a management command) keeps its own copy of a
value beside the version it was read under. Each use reads only the version, one small key in
the shared cache (the file cache on one machine, Redis on several), never the database. An edit
calls ``changed``, which draws a new version at once and again when its transaction commits, so
that no process can keep a copy read between the two: every process sees the new version on its
next use and reads the value again.

A version the shared cache has lost (cleared, evicted, restarted) is drawn afresh, which only
makes every process read the value once more. A copy is also dropped after ``max_age_seconds``
whatever the version says, which bounds how long a change made behind the services' back (SQL
typed by an operator) can go unseen.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

Scope = TypeVar("Scope", bound=Hashable)
Value = TypeVar("Value")

DEFAULT_MAX_AGE_SECONDS = 300.0


@dataclass(frozen=True)
class _Kept(Generic[Value]):
    version: str
    read_at: float
    value: Value


class VersionedCache(Generic[Scope, Value]):
    """``load(scope)`` read once per process and version. Values are shared by every caller in
    the process, so ``load`` returns something nobody changes: immutable data, or bytes that
    each caller turns into objects of its own."""

    def __init__(
        self,
        name: str,
        *,
        load: Callable[[Scope], Value],
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    ) -> None:
        self.name = name
        self._load = load
        self._max_age = max_age_seconds
        self._kept: dict[Scope, _Kept[Value]] = {}

    def get(self, scope: Scope) -> Value:
        # The version is read before the value, so a value read while an edit commits is kept
        # under the version before it, never under the new one.
        version = self._version(scope)
        kept = self._kept.get(scope)
        now = time.monotonic()
        if kept is not None and kept.version == version and now - kept.read_at < self._max_age:
            return kept.value
        value = self._load(scope)
        self._kept[scope] = _Kept(version=version, read_at=now, value=value)
        return value

    def changed(self, scope: Scope) -> None:
        """The value of ``scope`` has changed or is about to: every process reads it again."""
        self._draw(scope)
        transaction.on_commit(lambda: self._draw(scope))

    def _key(self, scope: Scope) -> str:
        return f"civicdesk:version:{self.name}:{scope}"

    def _version(self, scope: Scope) -> str:
        key = self._key(scope)
        version = cache.get(key)
        if version is None:
            drawn = uuid.uuid4().hex
            version = drawn if cache.add(key, drawn, timeout=None) else cache.get(key, drawn)
        return str(version)

    def _draw(self, scope: Scope) -> None:
        cache.set(self._key(scope), uuid.uuid4().hex, timeout=None)
