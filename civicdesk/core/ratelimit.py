"""Counting attempts (wrong passwords, links sent) in the shared cache, to slow guessing and
flooding."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    """A cache key with no sign-in name or network address in it."""
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]
    return f"civicdesk:attempts:{kind}:{digest}"


def attempts_exceeded(*, kind: str, value: str, limit: int) -> bool:
    return int(cache.get(_key(kind, value), 0)) >= limit


def attempts_add(*, kind: str, value: str, window_seconds: int) -> int:
    """Count one more attempt; returns how many there have been. The count is forgotten once
    window_seconds pass with no further attempt."""
    key = _key(kind, value)
    cache.add(key, 0, window_seconds)
    try:
        count = int(cache.incr(key))
    except ValueError:
        cache.set(key, 1, window_seconds)
        return 1
    # Some caches (the file cache) store an incremented value with the default timeout, not
    # the key's own: set the window again so a lock-out lasts as long as the page says.
    cache.touch(key, window_seconds)
    return count


def attempts_forgotten(*, kind: str, value: str) -> None:
    cache.delete(_key(kind, value))
