"""Reading what planning needs: who may plan, contact history by day and half hour, handle
times, the rota and the forecasts kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial

import numpy as np
from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import ExtractHour, ExtractMinute, ExtractWeekDay, TruncDate
from django.utils import timezone

from civicdesk.assistant.selectors import wait_estimate
from civicdesk.contacts.choices import Direction
from civicdesk.contacts.models import Contact
from civicdesk.core.calendar import LONDON
from civicdesk.core.choices import Channel
from civicdesk.core.errors import NotPermitted
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember

from .choices import HALF_HOURS_A_DAY, STANDARDS, WAIT_PATIENCE_SECONDS
from .erlang import on_duty
from .models import ForecastedDay, ForecastRun, RotaEntry
from .waits import expected_wait_seconds

PLANNER_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
# How far back the forecast reads, and how many recent weeks give the shape of the day and the
# handle time.
HISTORY_DAYS = 2 * 365
RECENT_WEEKS = 8


def may_plan(staff: StaffMember) -> bool:
    return staff.role in PLANNER_ROLES


def access_planning(staff: StaffMember) -> Organisation:
    """The organisation whose contact centre this member of staff may plan. Planning shows
    counts and the rota, never a resident, so it is scoped to the organisation."""
    if not may_plan(staff):
        raise NotPermitted("Only team leads, managers and administrators can plan staffing.")
    return staff.organisation


def _inbound(organisation: Organisation, channel: str) -> QuerySet[Contact]:
    return Contact.objects.filter(
        organisation=organisation, channel=channel, direction=Direction.INBOUND
    )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def daily_volumes(
    *, organisation: Organisation, channel: str, first: date, last: date
) -> list[tuple[date, int]]:
    """Inbound contacts on each day from ``first`` to ``last`` (UK days), none left out."""
    counts = dict(
        _inbound(organisation, channel)
        .filter(started_at__gte=_start_of(first), started_at__lt=_start_of(last + timedelta(1)))
        .annotate(day=TruncDate("started_at", tzinfo=LONDON))
        .values_list("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    return [
        (first + timedelta(days=offset), counts.get(first + timedelta(days=offset), 0))
        for offset in range((last - first).days + 1)
    ]


def history_start(*, organisation: Organisation, channel: str, last: date) -> date | None:
    """The first day of the history the forecast reads, or None when there is none."""
    earliest = (
        _inbound(organisation, channel)
        .filter(started_at__gte=_start_of(last - timedelta(days=HISTORY_DAYS - 1)))
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return None if earliest is None else earliest.astimezone(LONDON).date()


def half_hour_shape(*, organisation: Organisation, channel: str, last: date) -> np.ndarray:
    """For each weekday (rows, Monday first), the share of its contacts in each half hour of
    the day (columns, from midnight), over the recent weeks. A weekday with no contacts has an
    even spread over the opening hours."""
    first = last - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1)
    rows = (
        _inbound(organisation, channel)
        .filter(started_at__gte=_start_of(first), started_at__lt=_start_of(last + timedelta(1)))
        .annotate(
            weekday=ExtractWeekDay("started_at", tzinfo=LONDON),
            hour=ExtractHour("started_at", tzinfo=LONDON),
            minute=ExtractMinute("started_at", tzinfo=LONDON),
        )
        .values_list("weekday", "hour", "minute")
    )
    counts = np.zeros((7, HALF_HOURS_A_DAY))
    tally = Counter(((weekday + 5) % 7, hour * 2 + minute // 30) for weekday, hour, minute in rows)
    for (weekday, half_hour), count in tally.items():
        counts[weekday, half_hour] = count
    opening = np.zeros(HALF_HOURS_A_DAY)
    opens, closes = organisation.opens, organisation.closes
    opening[opens.hour * 2 + opens.minute // 30 : closes.hour * 2 + closes.minute // 30] = 1
    totals = counts.sum(axis=1, keepdims=True)
    even = opening / opening.sum()
    return np.where(totals > 0, counts / np.maximum(totals, 1), even)


def open_half_hours(*, organisation: Organisation, day: date) -> np.ndarray:
    """Which half hours of ``day`` the council is open: its opening hours on working days."""
    opening = np.zeros(HALF_HOURS_A_DAY, dtype=bool)
    if organisation.calendar.is_working_day(day):
        opens, closes = organisation.opens, organisation.closes
        opening[opens.hour * 2 + opens.minute // 30 : closes.hour * 2 + closes.minute // 30] = True
    return opening


def handle_seconds_measured(
    *, organisation: Organisation, channel: str, last: date
) -> tuple[float | None, int]:
    """Average recorded duration of the channel's inbound contacts over the recent weeks, and
    how many contacts it is the average of."""
    first = last - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1)
    found = (
        _inbound(organisation, channel)
        .filter(
            started_at__gte=_start_of(first),
            started_at__lt=_start_of(last + timedelta(1)),
            duration_seconds__gt=0,
        )
        .aggregate(average=Avg("duration_seconds"), count=Count("id"))
    )
    return found["average"], found["count"]


def rota_of(organisation: Organisation) -> list[RotaEntry]:
    return list(RotaEntry.objects.filter(organisation=organisation))


def rota_entry_of(*, organisation: Organisation, entry_id: int) -> RotaEntry | None:
    return RotaEntry.objects.filter(organisation=organisation, pk=entry_id).first()


def rostered(*, organisation: Organisation, channel: str) -> np.ndarray:
    """People on the rota for each weekday (rows) and half hour (columns)."""
    cover = np.zeros((7, HALF_HOURS_A_DAY), dtype=int)
    for entry in RotaEntry.objects.filter(organisation=organisation, channel=channel):
        first = entry.starts.hour * 2 + entry.starts.minute // 30
        last = entry.ends.hour * 2 + entry.ends.minute // 30
        cover[entry.weekday, first:last] += 1
    return cover


def forecast_run_latest(
    *, organisation: Organisation, channel: str, made_on: date
) -> ForecastRun | None:
    """The newest forecast made on or before ``made_on``, with its days."""
    return (
        ForecastRun.objects.filter(organisation=organisation, channel=channel, made_on__lte=made_on)
        .prefetch_related("days")
        .order_by("-made_on")
        .first()
    )


def organisations_with_contacts(*, since: date) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        pk__in=Contact.objects.filter(started_at__gte=_start_of(since)).values("organisation_id")
    )


def forecasts_kept(
    *, organisation: Organisation, channel: str, first: date, last: date
) -> dict[date, tuple[float, date]]:
    """For each day from ``first`` to ``last``, the latest forecast for it made before it
    began (a forecast made on a day reads the history up to the day before), with the day it
    was made on."""
    kept: dict[date, tuple[float, date]] = {}
    rows = (
        ForecastedDay.objects.filter(
            run__organisation=organisation,
            run__channel=channel,
            day__gte=first,
            day__lte=last,
            run__made_on__lte=F("day"),
        )
        .order_by("day", "-run__made_on")
        .values_list("day", "forecast", "run__made_on")
    )
    for day, forecast, made_on in rows:
        kept.setdefault(day, (forecast, made_on))
    return kept


def wait_told(
    *, organisation: Organisation, channel: str, position: int, now: datetime | None = None
) -> int:
    """Minutes to tell the person at ``position`` in the advisers' queue (1 is next): from
    the live queue when the rota has advisers on the phones and chats now (they answer the one
    queue), else the assistant's estimate from how often advisers have been taking people."""
    moment = (now or timezone.now()).astimezone(LONDON)
    half_hour = moment.hour * 2 + moment.minute // 30
    people = sum(
        int(rostered(organisation=organisation, channel=queue)[moment.weekday(), half_hour])
        for queue in (Channel.PHONE, Channel.CHAT)
    )
    standard = STANDARDS[channel if channel in STANDARDS else Channel.CHAT]
    advisers = on_duty(people, standard.shrinkage / 100)
    if advisers == 0:
        return wait_estimate(organisation=organisation, position=position)
    measured, _ = handle_seconds_measured(
        organisation=organisation,
        channel=channel if channel in STANDARDS else Channel.CHAT,
        last=moment.date(),
    )
    seconds = expected_wait_seconds(
        ahead=max(0, position - 1),
        advisers=advisers,
        handle_seconds=measured or standard.handle_seconds,
        patience_seconds=WAIT_PATIENCE_SECONDS,
    )
    return max(1, round((seconds or 0) / 60))


def wait_teller(*, organisation: Organisation, channel: str) -> Callable[[int], int]:
    """``wait_told`` for one queue, as the assistant takes it when it puts someone through."""
    return partial(_wait_at, organisation=organisation, channel=channel)


def _wait_at(position: int, *, organisation: Organisation, channel: str) -> int:
    return wait_told(organisation=organisation, channel=channel, position=position)
