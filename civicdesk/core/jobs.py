"""Running periodic jobs without blocking anyone: one worker at a time per job (a lease, not a
lock held open), and work done in small batches that each commit on their own.

SQLite has one writer at a time and PostgreSQL holds back vacuum and row locks for as long as a
transaction is open, so no job may keep a write transaction open for long: a resident's request
waits behind it. A job takes a lease for its name, does its work in batches of a few hundred
rows, renews the lease between batches, and lets it go at the end. If the worker dies, the lease
runs out and the next worker starts the job again; every job here is safe to run twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from .models import JobLease

# Rows changed per transaction by the batch helpers: small enough to commit in a few
# milliseconds on SQLite, large enough that the number of commits stays modest.
BATCH_SIZE = 500


@dataclass
class Lease:
    name: str
    holder: str
    seconds: float

    def renew(self) -> bool:
        """Push the expiry on; False if the lease ran out and another worker took the job."""
        expires = timezone.now() + timedelta(seconds=self.seconds)
        return bool(
            JobLease.objects.filter(name=self.name, holder=self.holder).update(expires_at=expires)
        )


@contextmanager
def job_lease(name: str, *, seconds: float) -> Iterator[Lease | None]:
    """Hold the job ``name`` for up to ``seconds`` (renewable), or yield None when another
    worker holds it now. Taking and letting go are single short updates."""
    JobLease.objects.get_or_create(name=name)
    now = timezone.now()
    holder = uuid.uuid4().hex
    taken = JobLease.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__lte=now), name=name
    ).update(holder=holder, expires_at=now + timedelta(seconds=seconds))
    if not taken:
        yield None
        return
    try:
        yield Lease(name=name, holder=holder, seconds=seconds)
    finally:
        JobLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)


def ids_in_batches(queryset: QuerySet[Any], *, size: int | None = None) -> Iterator[list[int]]:
    """The primary keys of ``queryset`` in ascending batches of ``size``, each read afresh, so
    that rows changed by the caller between batches are not read twice."""
    size = size or BATCH_SIZE
    last = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def delete_in_batches(queryset: QuerySet[Any], *, size: int | None = None) -> int:
    """Delete what ``queryset`` selects, ``size`` rows (and what cascades from them) per
    transaction; returns how many rows of the queryset's model were deleted."""
    model: type[Model] = queryset.model
    deleted = 0
    for batch in ids_in_batches(queryset, size=size):
        with transaction.atomic():
            _, by_model = model._default_manager.filter(pk__in=batch).delete()
        deleted += by_model.get(model._meta.label, 0)
    return deleted
