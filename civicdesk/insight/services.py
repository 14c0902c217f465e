"""Keeping the daily summaries up to date (ADR 15).

``insight_refresh`` runs in the worker. For each summary it asks the raw table which council
days have records recorded or changed since the last run (with an overlap, so a transaction
that committed late is not missed), then recounts exactly those days in SQL and swaps the
summary rows for them, a few days per transaction. Recounting a day is idempotent, so running twice,
or over a day that did not change, does no harm.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import ExtractHour, Greatest, Least, TruncDate
from django.utils import timezone

from civicdesk.cases.models import Case
from civicdesk.contacts.choices import ContactOutcome, ContactReason, Direction
from civicdesk.contacts.models import Contact
from civicdesk.core.calendar import LONDON, Nation, WorkingCalendar
from civicdesk.core.jobs import Lease, job_lease
from civicdesk.customers.models import Customer
from civicdesk.feedback.choices import Rating
from civicdesk.feedback.models import ContactRating
from civicdesk.organisations.models import Organisation

from .models import (
    CaseResolvedDaily,
    ContactDaily,
    ContactHourly,
    CountedResolution,
    RatingDaily,
    RefreshMark,
    WorkingDay,
)

logger = logging.getLogger(__name__)

# Records changed this long before the last run are looked at again.
OVERLAP = timedelta(minutes=10)
WORKING_DAYS_FROM = date(2010, 1, 1)
# Days recounted per transaction: a week of a large council's contacts commits in well under
# 200 ms (bench/periodic_jobs.py), so nobody's request waits long behind it.
DAYS_PER_RECOUNT = 7
# Renewed before every batch, so it only has to outlast one batch.
REFRESH_LEASE_SECONDS = 300
# The mark of a summary that has never been built: everything is still to count.
NEVER_REFRESHED = datetime(2000, 1, 1, tzinfo=UTC)

# Outcomes of a contact that could have been sorted out there and then. Contacts that were
# abandoned, added to a case already open, or were our own notifications are left out.
FIX_ELIGIBLE_OUTCOMES = (
    ContactOutcome.RESOLVED_FIRST_CONTACT,
    ContactOutcome.CASE_CREATED,
    ContactOutcome.SIGNPOSTED,
    ContactOutcome.TRANSFERRED,
)


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=LONDON)


def _day_bounds(days: Iterable[date]) -> tuple[datetime, datetime]:
    ordered = sorted(days)
    start = datetime.combine(ordered[0], time(0), tzinfo=LONDON)
    end = datetime.combine(ordered[-1] + timedelta(days=1), time(0), tzinfo=LONDON)
    return start, end


# What each summary counts, per council and set of days.


def _contacts(organisation: Organisation, days: list[date]) -> QuerySet[Any]:
    start, end = _day_bounds(days)
    return (
        Contact.objects.filter(
            organisation=organisation,
            direction=Direction.INBOUND,
            started_at__gte=start,
            started_at__lt=end,
        )
        .annotate(day=_local_day("started_at"))
        .filter(day__in=days)
    )


def _contact_daily_rows(organisation: Organisation, days: list[date]) -> list[ContactDaily]:
    rows = (
        _contacts(organisation, days)
        .values("day", "channel", service_area_id=F("request_type__service_area_id"))
        .annotate(
            contacts=Count("pk"),
            repeats=Count("pk", filter=Q(is_repeat=True)),
            progress_chasing=Count("pk", filter=Q(reason=ContactReason.PROGRESS_CHASING)),
            failure_demand=Count("pk", filter=Q(reason=ContactReason.FAILURE_DEMAND)),
            fix_eligible=Count("pk", filter=Q(outcome__in=FIX_ELIGIBLE_OUTCOMES)),
            fixed_first_time=Count("pk", filter=Q(outcome=ContactOutcome.RESOLVED_FIRST_CONTACT)),
        )
        .order_by()
    )
    return [ContactDaily(organisation=organisation, **row) for row in rows]


def _contact_hourly_rows(organisation: Organisation, days: list[date]) -> list[ContactHourly]:
    rows = (
        _contacts(organisation, days)
        .annotate(hour=ExtractHour("started_at", tzinfo=LONDON))
        .values("day", "hour", "channel", service_area_id=F("request_type__service_area_id"))
        .annotate(contacts=Count("pk"))
        .order_by()
    )
    return [ContactHourly(organisation=organisation, **row) for row in rows]


def _ordinal_on(nation: str, day_field: str) -> Subquery:
    return Subquery(
        WorkingDay.objects.filter(nation=nation, day=OuterRef(day_field)).values("ordinal")[:1],
        output_field=IntegerField(),
    )


def _case_rows(organisation: Organisation, days: list[date]) -> list[CaseResolvedDaily]:
    start, end = _day_bounds(days)
    working_days_ensure(Nation(organisation.nation), through=max(days))
    taken = _ordinal_on(organisation.nation, "day") - _ordinal_on(organisation.nation, "opened")
    rows = (
        Case.objects.filter(organisation=organisation, resolved_at__gte=start, resolved_at__lt=end)
        .annotate(day=_local_day("resolved_at"), opened=_local_day("opened_at"))
        .filter(day__in=days)
        # A resolution recorded before the opening (a data error) counts as the same day.
        .annotate(working_days=Greatest(Least(taken, Value(CaseResolvedDaily.MAX_DAYS)), Value(0)))
        .values(
            "day", "channel", "working_days", service_area_id=F("request_type__service_area_id")
        )
        .annotate(
            cases=Count("pk"),
            with_target=Count("pk", filter=Q(due_at__isnull=False)),
            within_target=Count("pk", filter=Q(resolved_at__lte=F("due_at"))),
        )
        .order_by()
    )
    return [CaseResolvedDaily(organisation=organisation, **row) for row in rows]


def _counted_rows(organisation: Organisation, days: list[date]) -> list[CountedResolution]:
    start, end = _day_bounds(days)
    rows = (
        Case.objects.filter(organisation=organisation, resolved_at__gte=start, resolved_at__lt=end)
        .annotate(day=_local_day("resolved_at"))
        .filter(day__in=days)
        .values_list("pk", "day")
    )
    return [
        CountedResolution(case_id=case_id, organisation=organisation, day=day)
        for case_id, day in rows
    ]


def _rating_rows(organisation: Organisation, days: list[date]) -> list[RatingDaily]:
    start, end = _day_bounds(days)
    rows = (
        ContactRating.objects.filter(
            organisation=organisation, created_at__gte=start, created_at__lt=end
        )
        .annotate(day=_local_day("created_at"))
        .filter(day__in=days)
        .values("day", "channel", "service_area_id")
        .annotate(
            good=Count("pk", filter=Q(rating=Rating.GOOD)),
            average=Count("pk", filter=Q(rating=Rating.AVERAGE)),
            poor=Count("pk", filter=Q(rating=Rating.POOR)),
        )
        .order_by()
    )
    return [RatingDaily(organisation=organisation, **row) for row in rows]


CouncilDays = set[tuple[int, date]]


@dataclass(frozen=True)
class Summary:
    """One summary: its tables, the council days changed since a moment (all days with
    records when the moment is None), and how each table's rows for some days are recounted."""

    name: str
    tables: tuple[type[Any], ...]
    changed: Callable[[datetime | None], CouncilDays]
    recount: tuple[Callable[[Organisation, list[date]], list[Any]], ...]


def _days_of(records: QuerySet[Any], field: str) -> CouncilDays:
    return set(
        records.annotate(day=_local_day(field))
        .values_list("organisation_id", "day")
        .distinct()
        .order_by()
    )


def _changed_contacts(since: datetime | None) -> CouncilDays:
    """Days of contacts recorded since; of contacts whose case changed since (opening a case
    from a contact logged earlier rewrites its outcome and service); and of every contact of a
    customer whose records were merged since (their repeat flags are judged again, ADR 36)."""
    records = Contact.objects.filter(direction=Direction.INBOUND)
    if since is None:
        return _days_of(records, "started_at")
    # Narrow queries rather than one OR across the joins, which would read every contact.
    changed_cases = Case.objects.filter(updated_at__gte=since).values("pk")
    merged_into = Customer.objects.filter(merged_at__gte=since).values("merged_into")
    return (
        _days_of(records.filter(recorded_at__gte=since), "started_at")
        | _days_of(records.filter(case__in=changed_cases), "started_at")
        | _days_of(records.filter(customer__in=merged_into), "started_at")
    )


def _changed_cases(since: datetime | None) -> CouncilDays:
    """Days on which changed cases are resolved now, and the days they were counted on before
    (a reopened case has no resolution now, but its old day must lose it)."""
    records = Case.objects.filter(resolved_at__isnull=False)
    if since is None:
        return _days_of(records, "resolved_at")
    changed = Case.objects.filter(updated_at__gte=since)
    counted_before = set(
        CountedResolution.objects.filter(case__in=changed)
        .values_list("organisation_id", "day")
        .distinct()
        .order_by()
    )
    return _days_of(changed.filter(resolved_at__isnull=False), "resolved_at") | counted_before


def _changed_ratings(since: datetime | None) -> CouncilDays:
    records = ContactRating.objects.all()
    if since is not None:
        records = records.filter(recorded_at__gte=since)
    return _days_of(records, "created_at")


SUMMARIES = (
    Summary(
        "contacts",
        (ContactDaily, ContactHourly),
        _changed_contacts,
        (_contact_daily_rows, _contact_hourly_rows),
    ),
    Summary(
        "cases",
        (CaseResolvedDaily, CountedResolution),
        _changed_cases,
        (_case_rows, _counted_rows),
    ),
    Summary("ratings", (RatingDaily,), _changed_ratings, (_rating_rows,)),
)


def insight_refresh(*, now: datetime | None = None, full: bool = False) -> dict[str, int]:
    """Bring every summary up to date; returns how many council days each recounted. A summary
    that fails is logged and the others are still refreshed; the first failure is raised at
    the end, so the worker reports it.

    One worker at a time refreshes (a lease, ``core.jobs``): two recounting the same day at once
    would each delete the old rows and then both insert theirs, counting the day twice. The
    work is done a few days at a time, each in its own short transaction, so residents' and
    staff's writes never wait behind a recount; a refresh that stops half-way is started again
    from the same mark, and recounting a day twice does no harm.
    """
    now = now or timezone.now()
    recounted: dict[str, int] = {}
    failure: Exception | None = None
    with job_lease("insight-refresh", seconds=REFRESH_LEASE_SECONDS) as lease:
        if lease is None:
            logger.info("Insight summaries are being refreshed by another worker")
            return recounted
        for summary in SUMMARIES:
            try:
                recounted[summary.name] = _refresh_summary(summary, now=now, full=full, lease=lease)
            except Exception as problem:
                logger.exception("Insight summary %s could not be refreshed", summary.name)
                failure = failure or problem
    logger.info("Insight summaries refreshed: %s council days", recounted)
    if failure is not None:
        raise failure
    return recounted


def _refresh_summary(summary: Summary, *, now: datetime, full: bool, lease: Lease) -> int:
    mark, _ = RefreshMark.objects.get_or_create(
        name=summary.name, defaults={"up_to": NEVER_REFRESHED, "finished_at": NEVER_REFRESHED}
    )
    never = mark.up_to <= NEVER_REFRESHED
    since = None if full or never else mark.up_to - OVERLAP
    changed = summary.changed(since)
    if since is None:
        _forget_days_without_records(summary, keep=changed)
    days_by_council: dict[int, set[date]] = defaultdict(set)
    for organisation_id, day in changed:
        if day is not None:
            days_by_council[organisation_id].add(day)
    for organisation_id, days in days_by_council.items():
        organisation = Organisation.objects.get(pk=organisation_id)
        ordered = sorted(days)
        for first in range(0, len(ordered), DAYS_PER_RECOUNT):
            if not lease.renew():
                raise RuntimeError("The insight refresh lease ran out; another worker took over")
            _recount(summary, organisation, ordered[first : first + DAYS_PER_RECOUNT])
    RefreshMark.objects.filter(pk=mark.pk).update(
        up_to=Greatest(F("up_to"), Value(now)), finished_at=timezone.now()
    )
    return sum(len(days) for days in days_by_council.values())


def insight_recount_all() -> dict[str, int]:
    """Recount every summary from the raw tables: the worker does this daily, so records
    deleted outright (which the incremental refresh cannot see) leave the figures within a day."""
    return insight_refresh(full=True)


def _forget_days_without_records(summary: Summary, *, keep: CouncilDays) -> None:
    """On a full refresh, drop summary rows for days that no longer have any records."""
    for table in summary.tables:
        stale = (
            set(table.objects.values_list("organisation_id", "day").distinct().order_by()) - keep
        )
        for organisation_id, day in stale:
            table.objects.filter(organisation_id=organisation_id, day=day).delete()


def _recount(summary: Summary, organisation: Organisation, days: list[date]) -> None:
    # Counted before the transaction, which then only swaps the rows: reading is the slow part,
    # and on SQLite nobody else may write while a transaction writes. A record changed while
    # this counts is counted again by the next refresh (its mark is where this one started).
    tables = [
        (table, rows_for(organisation, days))
        for table, rows_for in zip(summary.tables, summary.recount, strict=True)
    ]
    with transaction.atomic():
        for table, _ in tables:
            table.objects.filter(organisation=organisation, day__in=days).delete()
        for table, rows in tables:
            if table is CountedResolution:
                # A case resolved again moves to its new day, whichever day is recounted first.
                table.objects.bulk_create(
                    rows,
                    batch_size=2000,
                    update_conflicts=True,
                    unique_fields=["case"],
                    update_fields=["organisation", "day"],
                )
            else:
                table.objects.bulk_create(rows, batch_size=2000)


def working_days_ensure(nation: Nation, *, through: date) -> None:
    """Number every day from WORKING_DAYS_FROM to a year after ``through`` for the nation."""
    last = max(through, timezone.localdate()) + timedelta(days=366)
    have = WorkingDay.objects.filter(nation=nation.value, day__gte=through, day__lte=last)
    if have.count() == (last - through).days + 1:
        return
    calendar = WorkingCalendar(nation=nation)
    rows = []
    ordinal = 0
    day = WORKING_DAYS_FROM
    while day <= last:
        ordinal += calendar.is_working_day(day)
        rows.append(WorkingDay(nation=nation.value, day=day, ordinal=ordinal))
        day += timedelta(days=1)
    WorkingDay.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
