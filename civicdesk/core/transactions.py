"""Transactions that fail whole, and the atomic steps inside them that need no savepoint
(ADR 43).

A service's atomic block nested in a caller's transaction takes a savepoint, so that a caller
that catches its refusal can carry on without what it wrote. An API request's transaction
carries on after nothing: any failure rolls it back whole. Inside one opened with
``atomic_all_or_nothing`` the services' steps (``atomic_step``) take no savepoint, which saves
two statements each; anywhere else they behave as ``transaction.atomic()``. A block that
catches a failure and carries on inside such a transaction wraps what it calls in a plain
``transaction.atomic()``, which still takes its savepoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.transaction import Atomic

_all_or_nothing: ContextVar[bool] = ContextVar("civicdesk_all_or_nothing", default=False)


@contextmanager
def atomic_all_or_nothing() -> Iterator[None]:
    """A transaction (or, nested, a savepoint) that any failure inside rolls back whole."""
    with transaction.atomic():
        token = _all_or_nothing.set(True)
        try:
            yield
        finally:
            _all_or_nothing.reset(token)


def atomic_step() -> Atomic:
    """A service's atomic block: its own savepoint, unless inside ``atomic_all_or_nothing``."""
    return transaction.atomic(savepoint=not _all_or_nothing.get())
