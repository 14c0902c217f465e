"""The KPI dashboard's figures, read from the daily summaries (and, for what is true now rather
than over a period, from small live counts), and ``DASHBOARD``: every figure on the page, in
the order it shows them, with those of the other dashboards it includes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractIsoWeekDay, TruncMonth
from django.utils import timezone

from civicdesk.cases.choices import OPEN_STATUSES, ClockState
from civicdesk.cases.models import Case
from civicdesk.customers.models import AccountSignIn, Customer
from civicdesk.organisations.models import Organisation

from ..models import CaseResolvedDaily, ContactDaily, ContactHourly
from .benchmark import benchmark_rounds
from .common import (
    NO_SERVICE,
    Cell,
    Filters,
    Table,
    _channel_label,
    _int_or_none,
    _service_names,
    percent,
)
from .complaints import complaints_by_month, complaints_outcomes, complaints_reasons
from .places import place_surveys
from .satisfaction import net_satisfaction, page_feedback_by_page

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SEASONS = {
    12: "Winter",
    1: "Winter",
    2: "Winter",
    3: "Spring",
    4: "Spring",
    5: "Spring",
    6: "Summer",
    7: "Summer",
    8: "Summer",
    9: "Autumn",
    10: "Autumn",
    11: "Autumn",
}


# Contacts


def contacts_by_channel(filters: Filters) -> Table:
    rows = (
        filters.applied_to(ContactDaily.objects.all())
        .values("channel")
        .annotate(total=Sum("contacts"))
        .order_by("-total", "channel")
    )
    total = sum(row["total"] for row in rows)
    return Table(
        "contacts-by-channel",
        "Contacts by channel",
        ["Channel", "Contacts", "Share (%)"],
        [
            [_channel_label(row["channel"]), row["total"], percent(row["total"], total)]
            for row in rows
        ],
        definition="contacts",
    )


def contacts_by_weekday(filters: Filters) -> Table:
    counts = dict(
        filters.applied_to(ContactDaily.objects.all())
        .annotate(weekday=ExtractIsoWeekDay("day"))
        .values("weekday")
        .annotate(total=Sum("contacts"))
        .values_list("weekday", "total")
    )
    # The average for each weekday divides by how many of that weekday the period holds.
    days = (filters.end - filters.start).days + 1
    weekday_count = [
        days // 7 + ((index - filters.start.weekday()) % 7 < days % 7) for index in range(7)
    ]
    return Table(
        "contacts-by-weekday",
        "Contacts by day of the week",
        ["Day", "Contacts", "Average a day"],
        [
            [
                name,
                counts.get(index + 1, 0),
                round(counts.get(index + 1, 0) / weekday_count[index], 1)
                if weekday_count[index]
                else None,
            ]
            for index, name in enumerate(WEEKDAYS)
        ],
        chart=2,
        definition="contacts-by-weekday",
    )


def contacts_by_hour(filters: Filters) -> Table:
    counts = dict(
        filters.applied_to(ContactHourly.objects.all())
        .values("hour")
        .annotate(total=Sum("contacts"))
        .values_list("hour", "total")
    )
    return Table(
        "contacts-by-hour",
        "Contacts by hour of the day",
        ["Hour", "Contacts"],
        [[f"{hour:02d}:00", counts.get(hour, 0)] for hour in range(24)],
        definition="contacts-by-hour",
    )


def contacts_by_month(filters: Filters) -> Table:
    """Contacts per month, and each channel's share of them: channel shift over time."""
    rows = (
        filters.applied_to(ContactDaily.objects.all())
        .annotate(month=TruncMonth("day"))
        .values("month", "channel")
        .annotate(total=Sum("contacts"))
        .order_by("month")
    )
    by_month: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_month[row["month"]][row["channel"]] = row["total"]
    channels = sorted({channel for counts in by_month.values() for channel in counts})
    table_rows: list[list[Cell]] = []
    for month, counts in sorted(by_month.items()):
        total = sum(counts.values())
        shares: list[Cell] = [percent(counts.get(channel, 0), total) for channel in channels]
        table_rows.append([f"{month:%B %Y}", total, *shares])
    return Table(
        "contacts-by-month",
        "Contacts by month, with each channel's share (channel shift)",
        ["Month", "Contacts"] + [f"{_channel_label(channel)} (%)" for channel in channels],
        table_rows,
        definition="channel-shift",
    )


def _season_of(month: date) -> tuple[date, str]:
    """The first day of the meteorological season ``month`` is in, and its name; a winter is
    named by both its years ("Winter 2025 to 2026")."""
    name = SEASONS[month.month]
    first_month = {"Winter": 12, "Spring": 3, "Summer": 6, "Autumn": 9}[name]
    year = month.year - 1 if month.month < first_month else month.year
    first = date(year, first_month, 1)
    label = f"Winter {year} to {year + 1}" if name == "Winter" else f"{name} {year}"
    return first, label


def _season_days(first: date, filters: Filters) -> tuple[int, int]:
    """Days of the season inside the period, and days in the whole season."""
    after = date(first.year + (first.month + 3 > 12), (first.month + 2) % 12 + 1, 1)
    whole = (after - first).days
    inside = (min(after - timedelta(days=1), filters.end) - max(first, filters.start)).days + 1
    return max(inside, 0), whole


def contacts_by_season(filters: Filters) -> Table:
    """Contacts in each season of the period, each season of each year on its own row (a
    period of a year touches five seasons: the winter it starts in and the one it ends in are
    different winters), with the days of it the period covers and contacts a day, so that a
    part season compares fairly with a whole one."""
    by_month = (
        filters.applied_to(ContactDaily.objects.all())
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(total=Sum("contacts"))
        .values_list("month", "total")
    )
    counts: dict[date, int] = defaultdict(int)
    for month, total in by_month:
        counts[_season_of(month)[0]] += total
    seasons: dict[date, str] = {}
    month = filters.start.replace(day=1)
    while month <= filters.end:
        first, label = _season_of(month)
        seasons.setdefault(first, label)
        month = (month + timedelta(days=32)).replace(day=1)
    total = sum(counts.values())
    rows: list[list[Cell]] = []
    for first, label in sorted(seasons.items()):
        inside, whole = _season_days(first, filters)
        days = f"{inside} of {whole}" if inside < whole else str(whole)
        contacts = counts.get(first, 0)
        rows.append([label, contacts, days, round(contacts / inside, 1), percent(contacts, total)])
    return Table(
        "contacts-by-season",
        "Contacts by season",
        ["Season", "Contacts", "Days in the period", "Contacts a day", "Share (%)"],
        rows,
        definition="contacts-by-season",
    )


# Response against the charter


def _percentile(histogram: dict[int, int], share: float) -> int | None:
    """The smallest number of working days within which ``share`` of the cases were resolved."""
    total = sum(histogram.values())
    if not total:
        return None
    needed = share * total
    running = 0
    for days in sorted(histogram):
        running += histogram[days]
        if running >= needed:
            return days
    return max(histogram)


def response_times(filters: Filters, *, by: str) -> Table:
    """Cases resolved in the period, by channel or by service: share within the charter
    target, median and 90th percentile working days."""
    group = "channel" if by == "channel" else "service_area_id"
    rows = (
        filters.applied_to(CaseResolvedDaily.objects.all())
        .values(group, "working_days")
        .annotate(cases=Sum("cases"), with_target=Sum("with_target"), within=Sum("within_target"))
    )
    histograms: dict[object, dict[int, int]] = defaultdict(dict)
    targets: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        histograms[row[group]][row["working_days"]] = row["cases"]
        targets[row[group]][0] += row["with_target"]
        targets[row[group]][1] += row["within"]
    names = _service_names(filters.organisation) if by == "service" else {}
    table_rows: list[list[Cell]] = []
    for key, histogram in histograms.items():
        with_target, within = targets[key]
        label = (
            _channel_label(str(key))
            if by == "channel"
            else names.get(_int_or_none(key), NO_SERVICE)
        )
        table_rows.append(
            [
                label,
                sum(histogram.values()),
                percent(within, with_target),
                _percentile(histogram, 0.5),
                _percentile(histogram, 0.9),
            ]
        )
    table_rows.sort(key=lambda row: str(row[0]))
    heading = "Channel" if by == "channel" else "Service"
    return Table(
        f"response-by-{by}",
        f"Response against the charter by {by}",
        [
            heading,
            "Cases resolved",
            "Within target (%)",
            "Median working days",
            "90th percentile working days",
        ],
        table_rows,
        chart=2,
        definition="response",
        notes=["Email is one of the channels: its row shows email response times."]
        if by == "channel"
        else [],
    )


# First-time fix and avoidable contact


def first_time_fix(filters: Filters) -> Table:
    rows = (
        filters.applied_to(ContactDaily.objects.all())
        .values("channel")
        .annotate(eligible=Sum("fix_eligible"), fixed=Sum("fixed_first_time"))
        .order_by("channel")
    )
    table_rows: list[list[Cell]] = [
        [
            _channel_label(row["channel"]),
            row["eligible"],
            row["fixed"],
            percent(row["fixed"], row["eligible"]),
        ]
        for row in rows
    ]
    eligible = sum(row["eligible"] for row in rows)
    fixed = sum(row["fixed"] for row in rows)
    table_rows.append(["All channels", eligible, fixed, percent(fixed, eligible)])
    return Table(
        "first-time-fix",
        "First-time fix",
        ["Channel", "Contacts that could be fixed", "Fixed first time", "First-time fix (%)"],
        table_rows,
        chart=3,
        definition="first-time-fix",
    )


def avoidable_contact(filters: Filters) -> Table:
    """Repeat and avoidable (failure) contact rates, and the services and reasons behind the
    most avoidable contact."""
    rows = (
        filters.applied_to(ContactDaily.objects.all())
        .values("service_area_id")
        .annotate(
            total=Sum("contacts"),
            repeats=Sum("repeats"),
            chasing=Sum("progress_chasing"),
            failure=Sum("failure_demand"),
        )
    )
    names = _service_names(filters.organisation)
    reasons: list[tuple[int, str, str]] = []
    table_rows: list[list[Cell]] = []
    for row in rows:
        name = names.get(row["service_area_id"], NO_SERVICE)
        avoidable = row["chasing"] + row["failure"]
        table_rows.append(
            [
                name,
                row["total"],
                percent(row["repeats"], row["total"]),
                percent(avoidable, row["total"]),
            ]
        )
        reasons += [
            (row["chasing"], name, "Chasing progress"),
            (row["failure"], name, "Something went wrong"),
        ]
    table_rows.sort(key=lambda row: -(row[1] or 0))  # type: ignore[operator]
    total = sum(row["total"] for row in rows)
    repeats = sum(row["repeats"] for row in rows)
    avoidable = sum(row["chasing"] + row["failure"] for row in rows)
    table_rows.insert(
        0, ["All services", total, percent(repeats, total), percent(avoidable, total)]
    )
    top = [
        f"{name}: {reason} ({count})"
        for count, name, reason in sorted(reasons, key=lambda r: (-r[0], r[1], r[2]))
        if count
    ][:5]
    return Table(
        "avoidable-contact",
        "Repeat and avoidable contact by service",
        ["Service", "Contacts", "Repeat (%)", "Avoidable (%)"],
        table_rows,
        chart=3,
        definition="avoidable-contact",
        notes=[f"Top reasons for avoidable contact: {'; '.join(top)}."] if top else [],
    )


# Work now and accounts


def open_work(filters: Filters, *, now: datetime | None = None) -> Table:
    """Open and overdue cases by service, as they stand now (counts only: no case is named)."""
    cases = Case.objects.filter(organisation=filters.organisation, status__in=OPEN_STATUSES)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.service_area_id:
        cases = cases.filter(request_type__service_area_id=filters.service_area_id)
    rows = (
        cases.values("request_type__service_area__name")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(clock_state=ClockState.OVERDUE)),
        )
        .order_by("-open", "request_type__service_area__name")
    )
    return Table(
        "open-work",
        "Open and overdue work by service, now",
        ["Service", "Open", "Overdue"],
        [[row["request_type__service_area__name"], row["open"], row["overdue"]] for row in rows],
        definition="open-work",
    )


def active_accounts(organisation: Organisation, *, now: datetime | None = None) -> Table:
    now = now or timezone.now()
    accounts = Customer.objects.filter(
        organisation=organisation, user__isnull=False, merged_into__isnull=True
    ).count()
    # Counted over the same accounts as the total, so an account merged away since it signed
    # in cannot push a share over 100%.
    sign_ins = AccountSignIn.objects.filter(
        customer__organisation=organisation,
        customer__user__isnull=False,
        customer__merged_into__isnull=True,
    )
    active = sign_ins.aggregate(
        days_30=Count("customer", distinct=True, filter=Q(at__gte=now - timedelta(days=30))),
        days_90=Count("customer", distinct=True, filter=Q(at__gte=now - timedelta(days=90))),
    )
    return Table(
        "active-accounts",
        'Active "my account" users, now',
        ["Measure", "Accounts", "Share of all accounts (%)"],
        [
            ["All accounts", accounts, 100.0 if accounts else None],
            ["Signed in within 30 days", active["days_30"], percent(active["days_30"], accounts)],
            ["Signed in within 90 days", active["days_90"], percent(active["days_90"], accounts)],
        ],
        definition="active-accounts",
    )


DASHBOARD: dict[str, Callable[[Filters], Table]] = {
    "contacts-by-channel": contacts_by_channel,
    "contacts-by-weekday": contacts_by_weekday,
    "contacts-by-hour": contacts_by_hour,
    "contacts-by-season": contacts_by_season,
    "contacts-by-month": contacts_by_month,
    "response-by-channel": lambda filters: response_times(filters, by="channel"),
    "response-by-service": lambda filters: response_times(filters, by="service"),
    "first-time-fix": first_time_fix,
    "avoidable-contact": avoidable_contact,
    "open-work": open_work,
    "active-accounts": lambda filters: active_accounts(filters.organisation),
    "satisfaction-by-channel": lambda filters: net_satisfaction(filters, by="channel"),
    "satisfaction-by-service": lambda filters: net_satisfaction(filters, by="service"),
    "satisfaction-by-month": lambda filters: net_satisfaction(filters, by="month"),
    "benchmark": lambda filters: benchmark_rounds(filters.organisation),
    "place-surveys": place_surveys,
    "page-feedback": page_feedback_by_page,
    "complaints-by-month": complaints_by_month,
    "complaints-outcomes": complaints_outcomes,
    "complaints-reasons-experience": lambda filters: complaints_reasons(
        filters, customer_experience=True
    ),
    "complaints-reasons-service": lambda filters: complaints_reasons(
        filters, customer_experience=False
    ),
}
