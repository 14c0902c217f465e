"""Counting attempts (wrong passwords, links sent) in the shared cache, to slow guessing and
flooding."""

from __future__ import annotations

import hashlib
import time

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


def distinct_add(*, kind: str, value: str, item: str, window_seconds: int) -> int:
    """Count ``item`` against ``value`` once, however often it comes back, and return how many
    different items there have been: for example the sign-in names that failed from one
    network address. An item is forgotten once window_seconds pass without it coming back, the
    count once they pass with no attempt at all."""
    seen = _key(f"{kind}-seen", f"{value}\n{item}")
    if cache.add(seen, 1, window_seconds):
        return attempts_add(kind=kind, value=value, window_seconds=window_seconds)
    # Seen already: keep it, and the count it is part of, for the whole window again, so an
    # item is never counted twice while the count still holds it.
    cache.touch(seen, window_seconds)
    key = _key(kind, value)
    cache.touch(key, window_seconds)
    return int(cache.get(key, 0))


def distinct_forgotten(*, kind: str, value: str, item: str, window_seconds: int) -> None:
    """Take ``item`` out of the count against ``value`` (the name has signed in since)."""
    if not cache.delete(_key(f"{kind}-seen", f"{value}\n{item}")):
        return
    key = _key(kind, value)
    try:
        cache.decr(key)
    except ValueError:
        return
    cache.touch(key, window_seconds)


def _window_start(kind: str, value: str, window_seconds: int | None) -> str | None:
    """When the current window of ``value`` began; a new one begins now if asked for."""
    key = _key(f"{kind}-window", value)
    if window_seconds is not None:
        cache.add(key, f"{time.time():.6f}", window_seconds)
    start = cache.get(key)
    if start is None and window_seconds is not None:  # it ran out just now
        start = f"{time.time():.6f}"
        cache.set(key, start, window_seconds)
    return None if start is None else str(start)


def window_add(*, kind: str, value: str, window_seconds: int) -> int:
    """Count one more in a fixed window: it begins with the first count, lasts window_seconds
    and then the count starts again from nothing. Returns the count so far. Unlike
    attempts_add, a steady stream never keeps a count going, so "60 an hour" means that and
    a library busy all day is not counted as one long flood."""
    start = _window_start(kind, value, window_seconds)
    return attempts_add(kind=kind, value=f"{value}\n{start}", window_seconds=window_seconds)


def window_count(*, kind: str, value: str) -> int:
    """How many window_add has counted for ``value`` in its current window."""
    start = _window_start(kind, value, None)
    return 0 if start is None else int(cache.get(_key(kind, f"{value}\n{start}"), 0))
