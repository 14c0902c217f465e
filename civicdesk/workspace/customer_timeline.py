"""The customer's timeline on the single customer view: everything that happened, on every
channel, newest first, a page at a time, narrowed by kind, case and dates.

The page's address holds only kinds, a case reference, dates and the position of the page
(a moment, a kind and an id), never anything about the customer. Each page reads a page of rows
from each kind of record, wherever it is in the history (ADR 34)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.urls import reverse

from civicdesk.appointments.choices import VisitKind, VisitStatus
from civicdesk.appointments.selectors import visits_of_customer
from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.selectors import customer_case_ids_for_staff, customer_cases_in_timeline
from civicdesk.contacts.choices import ContactOutcome, ContactReason, Direction
from civicdesk.contacts.selectors import contacts_of_customer
from civicdesk.core.calendar import LONDON
from civicdesk.core.choices import Channel
from civicdesk.core.timeline import (
    TimelineKey,
    TimelineRow,
    TimelineWindow,
    read_timeline,
    read_timeline_kept,
)
from civicdesk.feedback.choices import RATING_REASONS, Rating
from civicdesk.feedback.selectors import ratings_of_cases
from civicdesk.notifications.choices import MessageChannel, MessageStatus
from civicdesk.notifications.selectors import notifications_of_customer
from civicdesk.organisations.selectors import staff_scope

from .forms import choices

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from civicdesk.cases.models import Case
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import StaffMember

PAGE_SIZE = 25

# What the timeline can be narrowed to, in the order the form lists them, with each kind's
# rank: which comes first when two records share a moment.
KINDS: dict[str, tuple[str, int]] = {
    "contacts": ("Contacts", 4),
    "cases": ("Cases opened", 5),
    "messages": ("Messages sent", 3),
    "visits": ("Visits and appointments", 1),
    "ratings": ("Feedback", 2),
}
_KIND_OF_RANK = {rank: kind for kind, (_, rank) in KINDS.items()}

# The dates a person can mean; a timeline never reaches further either way.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?: ?[/.-] ?| )(\d{1,2})(?: ?[/.-] ?| )(\d{4})", re.ASCII)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
# Longer than any way of writing a date: not read at all.
_LONGEST_DATE = 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_POSITION = re.compile(r"(-?\d{1,18})\.([a-z]+)\.(\d{1,18})", re.ASCII)


@dataclass(frozen=True)
class TimelineItem:
    key: TimelineKey
    kind: str
    title: str
    detail: str = ""
    reference: str = ""
    by: str = ""

    @property
    def at(self) -> datetime:
        return self.key.at


@dataclass(frozen=True)
class TimelineFilter:
    """What the adviser asked to see, read from the page's address. ``shown`` holds the
    values to put back in the form; ``errors`` (field id -> message) what could not be read."""

    kinds: frozenset[str] = frozenset()
    case_reference: str = ""
    since: date | None = None
    until: date | None = None
    older_than: TimelineKey | None = None
    newer_than: TimelineKey | None = None
    shown: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def narrowed(self) -> bool:
        return bool(self.kinds or self.case_reference or self.since or self.until)


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    asked: TimelineFilter
    # (reference, label) of each case the timeline can be narrowed to.
    case_choices: list[tuple[str, str]]
    newer_href: str = ""
    older_href: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind_items(self) -> list[dict[str, object]]:
        """The kinds as the design system's checkboxes, ticked as asked."""
        return [
            {"value": kind, "text": label, "checked": kind in self.asked.kinds}
            for kind, (label, _) in KINDS.items()
        ]

    @property
    def case_items(self) -> list[dict[str, object]]:
        """The cases as the design system's select, the one asked for selected."""
        return choices(
            self.case_choices, self.asked.case_reference, first=[("", "Any case, or none")]
        )


def timeline_filter_from(params: Mapping[str, Any]) -> TimelineFilter:
    """Read the timeline's part of the customer page's address (``request.GET``), whatever it
    holds: anything that cannot be read becomes an error to show, never a failure."""
    get_list = getattr(params, "getlist", None)
    kinds = [str(kind) for kind in get_list("kind") if kind] if get_list else []
    shown: dict[str, Any] = {
        "kinds": kinds,
        "case": str(params.get("case", "")).strip().upper(),
        "from": str(params.get("from", "")).strip(),
        "to": str(params.get("to", "")).strip(),
    }
    errors: dict[str, str] = {}
    if any(kind not in KINDS for kind in kinds):
        errors["timeline-kind"] = "Select what to show from the list"
    since = _date_typed(shown["from"])
    until = _date_typed(shown["to"])
    if shown["from"] and since is None:
        errors["timeline-from"] = "The from date must be a real date, like 27/3/2026"
    if shown["to"] and until is None:
        errors["timeline-to"] = "The to date must be a real date, like 27/3/2026"
    if since and until and until < since:
        errors["timeline-to"] = "The to date must be the same as or after the from date"
    shown["from"] = _date_shown(since) if since else shown["from"]
    shown["to"] = _date_shown(until) if until else shown["to"]
    older_than = _position_read(str(params.get("before", "")))
    newer_than = _position_read(str(params.get("after", ""))) if older_than is None else None
    return TimelineFilter(
        kinds=frozenset(kinds),
        case_reference=shown["case"],
        since=since,
        until=until,
        older_than=older_than,
        newer_than=newer_than,
        shown=shown,
        errors=errors,
    )


def timeline_page(
    *, staff: StaffMember, customer: Customer, cases: list[Case], asked: TimelineFilter
) -> TimelinePage:
    """The page of the customer's timeline that ``asked`` points at, with the addresses of the
    newer and older pages when there are any. ``cases`` are the customer's cases the member of
    staff may see, newest first, with their service: what the timeline can be narrowed to."""
    path = reverse("workspace:customer", args=[customer.pk])
    case_choices = [
        (case.reference, f"{case.reference}: {case.request_type.name}") for case in cases
    ]
    case_ids = {case.reference: case.pk for case in cases}
    errors = dict(asked.errors)
    if asked.case_reference and asked.case_reference not in case_ids:
        errors["timeline-case"] = "Select a case from the list"
    empty = TimelinePage(items=[], asked=asked, case_choices=case_choices)
    if errors:
        return replace(empty, errors=errors)
    window = TimelineWindow(
        limit=PAGE_SIZE + 1,
        since=_start_of(asked.since) if asked.since else None,
        until=_start_of(asked.until + timedelta(days=1)) if asked.until else None,
        case_id=case_ids.get(asked.case_reference),
        older_than=asked.older_than,
        newer_than=asked.newer_than,
    )
    read = _reader(staff=staff, customer=customer, kinds=asked.kinds or frozenset(KINDS))
    if window.newer_than is not None:
        newer = read(window)
        if len(newer) > PAGE_SIZE:
            shown = newer[:PAGE_SIZE][::-1]
            return replace(
                empty,
                items=shown,
                newer_href=_href(path, asked, after=shown[0].key),
                older_href=_href(path, asked, before=shown[-1].key),
            )
        # Fewer than a page is newer: the newest page is the one to show.
        window = replace(window, newer_than=None)
    found = read(window)
    shown = found[:PAGE_SIZE]
    if window.older_than is None:
        newer_href = ""
    elif shown:
        newer_href = _href(path, asked, after=shown[0].key)
    else:
        # Nothing is older than where this page starts: offer the way back to the newest.
        newer_href = _href(path, asked)
    return replace(
        empty,
        items=shown,
        newer_href=newer_href,
        older_href=_href(path, asked, before=shown[-1].key) if len(found) > PAGE_SIZE else "",
    )


def timeline_shape(
    *, staff: StaffMember, customer: Customer, kinds: frozenset[str], window: TimelineWindow
) -> tuple[object, ...]:
    """What the newest page's statement is built from, besides the customer's id: the
    reader's scope, the customer's organisation (the messages are scoped by it), the kinds
    asked for and the page's length."""
    return (
        "customer-timeline",
        staff_scope(staff),
        customer.organisation_id,
        tuple(sorted(kinds)),
        window.limit,
    )


def _reader(
    *, staff: StaffMember, customer: Customer, kinds: frozenset[str]
) -> Callable[[TimelineWindow], list[TimelineItem]]:
    """Reads a window of every kind asked for in one query, however long the history: each
    kind reads at most a page from its index, and one ``UNION ALL`` puts them in order."""

    def sources(window: TimelineWindow) -> list[QuerySet[Any, Any]]:
        case_ids = customer_case_ids_for_staff(staff=staff, customer_id=customer.pk)
        parts: list[QuerySet[Any, Any] | None] = []
        if "contacts" in kinds:
            parts.append(
                contacts_of_customer(
                    staff=staff, customer_id=customer.pk, window=window, rank=KINDS["contacts"][1]
                )
            )
        if "cases" in kinds:
            parts.append(
                customer_cases_in_timeline(
                    staff=staff, customer_id=customer.pk, window=window, rank=KINDS["cases"][1]
                )
            )
        if "messages" in kinds:
            parts.append(
                notifications_of_customer(
                    customer_id=customer.pk,
                    organisation_id=customer.organisation_id,
                    visible_case_ids=case_ids,
                    window=window,
                    rank=KINDS["messages"][1],
                )
            )
        if "ratings" in kinds:
            parts.append(
                ratings_of_cases(case_ids=case_ids, window=window, rank=KINDS["ratings"][1])
            )
        if "visits" in kinds:
            parts.append(
                visits_of_customer(customer_id=customer.pk, window=window, rank=KINDS["visits"][1])
            )
        return [part for part in parts if part is not None]

    def read(window: TimelineWindow) -> list[TimelineItem]:
        if window == TimelineWindow(limit=window.limit):
            # The newest page, which every opening of the customer page reads: its statement
            # is kept per process (ADR 51), told apart by everything the sources are built
            # from but the customer.
            rows = read_timeline_kept(
                shape=timeline_shape(staff=staff, customer=customer, kinds=kinds, window=window),
                varying={"customer": customer.pk},
                sources=lambda: sources(window),
                window=window,
            )
        else:
            rows = read_timeline(sources(window), window=window)
        return [_ITEM_OF_RANK[row.key.rank](row) for row in rows]

    return read


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def _date_typed(text: str) -> date | None:
    """A date typed as 27/3/2026 (or with spaces, dots or dashes), or sent by a date picker as
    2026-03-27; None if it is not a real date a timeline could reach."""
    if len(text) > _LONGEST_DATE:
        return None
    if matched := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = (int(part) for part in matched.groups())
    elif matched := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in matched.groups())
    else:
        return None
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date_shown(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


def _position_text(key: TimelineKey) -> str:
    """Where a page starts, for its address: microseconds since 1970, the kind and the id."""
    return f"{(key.at - _EPOCH) // timedelta(microseconds=1)}.{_KIND_OF_RANK[key.rank]}.{key.pk}"


def _position_read(text: str) -> TimelineKey | None:
    """The position ``_position_text`` wrote, or None for anything else (the newest page)."""
    matched = _POSITION.fullmatch(text)
    if matched is None or matched[2] not in KINDS:
        return None
    try:
        at = _EPOCH + timedelta(microseconds=int(matched[1]))
    except OverflowError:
        return None
    return TimelineKey(at=at, rank=KINDS[matched[2]][1], pk=int(matched[3]))


def _href(
    path: str,
    asked: TimelineFilter,
    *,
    before: TimelineKey | None = None,
    after: TimelineKey | None = None,
) -> str:
    params: list[tuple[str, str]] = [("kind", kind) for kind in KINDS if kind in asked.kinds]
    if asked.case_reference:
        params.append(("case", asked.case_reference))
    if asked.since:
        params.append(("from", asked.since.isoformat()))
    if asked.until:
        params.append(("to", asked.until.isoformat()))
    if before is not None:
        params.append(("before", _position_text(before)))
    if after is not None:
        params.append(("after", _position_text(after)))
    query = urlencode(params)
    return f"{path}?{query}#timeline" if query else f"{path}#timeline"


# Each kind of record as an item of the timeline


def _label(choices: type[Any], value: object) -> str:
    """What a stored choice is called, or the stored value if it is no longer a choice."""
    return str(dict(choices.choices).get(value, value or ""))


def _full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def _contact_item(row: TimelineRow) -> TimelineItem:
    shown = row.shown
    direction = "from" if shown["direction"] == Direction.INBOUND else "to"
    title = f"{_label(Channel, shown['channel'])} contact {direction} the customer"
    detail = (
        f"{_label(ContactReason, shown['reason'])}. {_label(ContactOutcome, shown['outcome'])}."
    )
    if shown["is_repeat"]:
        detail += " Repeat contact."
    if shown["assisted"]:
        detail += " Assisted by staff."
    if shown["summary"]:
        detail += f" {shown['summary']}"
    return TimelineItem(
        key=row.key,
        kind="Contact",
        title=title,
        detail=detail,
        reference=shown["case__reference"] or "",
        by=_full_name(shown["handled_by__first_name"], shown["handled_by__last_name"]),
    )


def _visit_item(row: TimelineRow) -> TimelineItem:
    shown = row.shown
    booked = shown["kind"] == VisitKind.APPOINTMENT
    return TimelineItem(
        key=row.key,
        kind="Appointment" if booked else "Visit",
        title=f"{'Appointment at' if booked else 'Walked in to'} {shown['venue__name']}",
        detail=f"{_label(VisitStatus, shown['status'])}. {shown['reason']}",
        by=_full_name(shown["seen_by__first_name"], shown["seen_by__last_name"]),
    )


def _message_item(row: TimelineRow) -> TimelineItem:
    shown = row.shown
    channel = _label(MessageChannel, shown["channel"])
    return TimelineItem(
        key=row.key,
        kind="Notification",
        title=f"{channel} sent: {shown['subject'] or shown['template']}",
        detail=_label(MessageStatus, shown["status"]),
        reference=shown["case__reference"] or "",
    )


def _rating_item(row: TimelineRow) -> TimelineItem:
    shown = row.shown
    reasons = [label.lower() for key, label in RATING_REASONS.items() if shown.get(key)]
    detail = f"Good for {', '.join(reasons)}." if reasons else ""
    if shown["comment"]:
        detail += f" They said: {shown['comment']}"
    return TimelineItem(
        key=row.key,
        kind="Feedback",
        title=f"Rated the service {_label(Rating, shown['rating']).lower()}",
        detail=detail.strip(),
        reference=shown["case__reference"] or "",
    )


def _case_item(row: TimelineRow) -> TimelineItem:
    shown = row.shown
    channel = _label(Channel, shown["channel"]).lower()
    status = _label(CaseStatus, shown["status"]).lower()
    return TimelineItem(
        key=row.key,
        kind="Case",
        title=f"{shown['service']} opened",
        detail=f"By {channel}. Now {status}.",
        reference=shown["reference"],
    )


_ITEM_OF_RANK: dict[int, Callable[[TimelineRow], TimelineItem]] = {
    KINDS["contacts"][1]: _contact_item,
    KINDS["cases"][1]: _case_item,
    KINDS["messages"][1]: _message_item,
    KINDS["ratings"][1]: _rating_item,
    KINDS["visits"][1]: _visit_item,
}
