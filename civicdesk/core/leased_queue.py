"""Work that must happen at least once and never be lost: the notification outbox and the
webhook deliveries share this one lease-and-retry mechanism (ADRs 2, 12, 23).

The rows are the queue, written in the transaction that causes them (the transactional
outbox). A worker claims due rows by writing a lease (a token and an expiry) in one short
transaction and works on them after it commits. Just before each attempt it renews the lease
and counts the attempt, in one update that matches only while it still holds the lease, so a
row whose lease ran out and was claimed by another worker is left to that worker. If the worker
dies mid-attempt the lease expires and another pass claims the row again: the attempt it died in
has been counted. A failed attempt waits with exponential backoff; after ``max_attempts`` the row
is marked failed, where staff can see it.

A model using it has the fields ``status``, ``attempts``, ``max_attempts``, ``next_attempt_at``,
``lease_token``, ``lease_expires_at``, ``last_error`` and ``failed_at``, and the statuses
``queued``, ``sending`` and ``failed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

QUEUED, SENDING, FAILED = "queued", "sending", "failed"

Row = TypeVar("Row", bound=models.Model)


@dataclass(frozen=True)
class LeasedQueue(Generic[Row]):
    model: type[Row]
    # Read when used, so that settings changed in tests or at run time apply.
    lease: Callable[[], timedelta]
    backoff: Callable[[int], timedelta]
    related: Sequence[str] = ()

    def _claimable(self, now: datetime) -> Q:
        waiting = Q(status=QUEUED, next_attempt_at__lte=now)
        abandoned = Q(status=SENDING, lease_expires_at__lte=now)
        return waiting | abandoned

    def _rows(self) -> QuerySet[Row]:
        return self.model._default_manager.all()

    def claim(self, *, limit: int, now: datetime | None = None) -> list[Row]:
        """Lease up to ``limit`` rows that are due or whose lease has run out, oldest due
        first; rows out of attempts are marked failed instead."""
        now = now or timezone.now()
        token = str(uuid.uuid4())
        with transaction.atomic():
            candidates = self._rows().filter(self._claimable(now))
            candidates = candidates.order_by("next_attempt_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            ids = list(candidates.values_list("pk", flat=True)[:limit])
            if not ids:
                return []
            self._rows().filter(
                self._claimable(now), pk__in=ids, attempts__gte=F("max_attempts")
            ).update(
                status=FAILED,
                failed_at=now,
                lease_token="",
                last_error="Gave up after the maximum number of attempts.",
            )
            # The claim condition is repeated in the UPDATE so that two workers racing for the
            # same rows (SQLite has no SKIP LOCKED) cannot both win: only one UPDATE matches.
            self._rows().filter(self._claimable(now), pk__in=ids).update(
                status=SENDING, lease_token=token, lease_expires_at=now + self.lease()
            )
        return list(
            self._rows()
            .filter(lease_token=token, status=SENDING)
            .select_related(*self.related)
            .order_by("pk")
        )

    def held(self, row: Any) -> QuerySet[Row]:
        """The row, if this worker still holds its lease."""
        return self._rows().filter(pk=row.pk, lease_token=row.lease_token, status=SENDING)

    def begin_attempt(self, row: Any) -> bool:
        """Count the attempt and renew the lease, only if this worker still holds it."""
        begun = self.held(row).update(
            attempts=F("attempts") + 1, lease_expires_at=timezone.now() + self.lease()
        )
        if begun:
            row.attempts += 1
        return bool(begun)

    def attempt_failed(self, row: Any, *, error: str, **fields: Any) -> bool:
        """Record a failed attempt: back to the queue after the backoff, or failed for good
        once out of attempts (returned). ``fields`` are stored as well."""
        exhausted = row.attempts >= row.max_attempts
        if exhausted:
            error = f"Gave up after {row.attempts} attempts. {error}"
        now = timezone.now()
        self.held(row).update(
            status=FAILED if exhausted else QUEUED,
            failed_at=now if exhausted else None,
            next_attempt_at=now + self.backoff(row.attempts),
            lease_token="",
            lease_expires_at=None,
            last_error=error[:300],
            **fields,
        )
        return exhausted

    def failed_for_good(self, row: Any, *, error: str, **fields: Any) -> None:
        """An attempt that will never succeed, however often it is tried."""
        self.held(row).update(
            status=FAILED, failed_at=timezone.now(), last_error=error[:300], **fields
        )
