"""Who read what, for data protection officers: the entries about one customer, or of one
member of staff, a page at a time, between two dates if they choose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from civicdesk.core.errors import NotFound, NotPermitted
from civicdesk.core.numbers import whole_number
from civicdesk.privacy.access_log import (
    Period,
    access_log_of_customer,
    access_log_of_staff,
    access_record,
    cases_shown_to,
    staff_for_access_log,
)
from civicdesk.privacy.choices import AccessKind
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import staff_required

from .forms import choices

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from civicdesk.organisations.models import StaffMember
    from civicdesk.privacy.models import AccessEntry

PAGE_SIZE = 50
# The pages entries are written from, in words.
PAGE_NAMES = {
    "workspace:customer": "Customer record",
    "workspace:case": "Case",
    "workspace:case-document": "Document download",
}
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Row:
    at: datetime
    who: str
    who_href: str
    whose: str
    whose_href: str
    what: str
    page: str


def record_opening(
    request: HttpRequest,
    staff: StaffMember,
    *,
    what: AccessKind,
    customer_id: int | None,
    case_id: int | None = None,
    document_id: int | None = None,
) -> None:
    """Write the access entry for a page about to show what ``staff`` opened."""
    match = request.resolver_match
    access_record(
        staff=staff,
        what=what,
        page=match.view_name if match is not None else "",
        customer_id=customer_id,
        case_id=case_id,
        document_id=document_id,
    )


def _refused(request: HttpRequest, staff: StaffMember, refused: NotPermitted) -> HttpResponse:
    return render_not_allowed(request, staff=staff, message=refused.message)


@staff_required
def access_log(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    """Choose whose entries to list: a member of staff's, or a customer's by their number."""
    try:
        members = staff_for_access_log(staff=staff)
    except NotPermitted as refused:
        return _refused(request, staff, refused)
    errors: dict[str, str] = {}
    chosen_member = request.GET.get("staff", "").strip()
    chosen_customer = request.GET.get("customer", "").strip()
    if "staff" in request.GET:
        number = whole_number(chosen_member)
        if number is not None and any(member.pk == number for member in members):
            return redirect("workspace:privacy-access-log-staff", number)
        errors["staff"] = "Select a member of staff from the list"
    elif "customer" in request.GET:
        number = whole_number(chosen_customer)
        if number is not None:
            return redirect("workspace:privacy-access-log-customer", number)
        errors["customer"] = "Enter the customer's number, like 1234"
    return render_staff_page(
        request,
        "workspace/access_log.html",
        title="Who read what",
        staff=staff,
        errors=errors,
        members=choices(
            [(str(member.pk), _staff_name(member)) for member in members],
            chosen_member,
            first=[("", "Choose a member of staff")],
        ),
        chosen_customer=chosen_customer,
        status=400 if errors else 200,
    )


@staff_required
def access_log_customer(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    period, errors, chosen = _period(request)
    try:
        customer, entries = access_log_of_customer(
            staff=staff, customer_id=customer_id, period=period
        )
    except NotPermitted as refused:
        return _refused(request, staff, refused)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    if customer.pk != customer_id:
        return redirect(
            reverse("workspace:privacy-access-log-customer", args=[customer.pk]) + _query(chosen)
        )
    name = customer.display_name or f"Customer {customer.pk}"
    return _entries_page(
        request,
        staff,
        entries,
        title=f"Who opened {name}'s records",
        caption="Customer",
        errors=errors,
        chosen=chosen,
        back=reverse("workspace:customer", args=[customer.pk]),
    )


@staff_required
def access_log_staff(request: HttpRequest, staff: StaffMember, staff_id: int) -> HttpResponse:
    period, errors, chosen = _period(request)
    try:
        member, entries = access_log_of_staff(staff=staff, staff_id=staff_id, period=period)
    except NotPermitted as refused:
        return _refused(request, staff, refused)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    return _entries_page(
        request,
        staff,
        entries,
        title=f"What {_staff_name(member)} opened",
        caption="Member of staff",
        errors=errors,
        chosen=chosen,
        back=reverse("workspace:privacy-access-log"),
    )


def _entries_page(
    request: HttpRequest,
    staff: StaffMember,
    entries: QuerySet[AccessEntry],
    *,
    title: str,
    caption: str,
    errors: dict[str, str],
    chosen: dict[str, str],
    back: str,
) -> HttpResponse:
    page: Page[AccessEntry] | None = None
    rows: list[Row] = []
    if not errors:
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        listed = list(page.object_list)
        shown = cases_shown_to(staff=staff, entries=listed)
        rows = [_row(entry, shown) for entry in listed]
    return render_staff_page(
        request,
        "workspace/access_log_entries.html",
        title=title,
        staff=staff,
        errors=errors,
        caption=caption,
        rows=rows,
        page=page,
        chosen=chosen,
        filtered=bool(chosen["from"] or chosen["to"]),
        back=back,
        previous_href=_page_href(chosen, page.previous_page_number())
        if page is not None and page.has_previous()
        else "",
        next_href=_page_href(chosen, page.next_page_number())
        if page is not None and page.has_next()
        else "",
        status=400 if errors else 200,
    )


def _row(entry: AccessEntry, shown_cases: set[int]) -> Row:
    case_words = ""
    if entry.case_id is not None and entry.case is not None:
        case_words = (
            f"case {entry.case.reference}"
            if entry.case_id in shown_cases
            else "a case in a sensitive service your team does not handle"
        )
    what = AccessKind(entry.what).label
    if entry.what == AccessKind.DOCUMENT:
        what = f"Document {entry.document_id}" + (f" on {case_words}" if case_words else "")
    elif entry.what == AccessKind.SENSITIVE_CASE:
        what = case_words[:1].upper() + case_words[1:] if case_words else what
    customer = entry.customer
    return Row(
        at=entry.at,
        who=_staff_name(entry.staff),
        who_href=reverse("workspace:privacy-access-log-staff", args=[entry.staff_id]),
        whose=(customer.display_name or f"Customer {customer.pk}") if customer else "No customer",
        whose_href=reverse("workspace:privacy-access-log-customer", args=[customer.pk])
        if customer
        else "",
        what=what,
        page=PAGE_NAMES.get(entry.page, entry.page),
    )


def _staff_name(member: StaffMember) -> str:
    return member.user.get_full_name() or member.user.get_username()


def _period(request: HttpRequest) -> tuple[Period, dict[str, str], dict[str, str]]:
    """The dates asked for (either may be left empty), the problems with them, and what was
    typed, to show again."""
    chosen = {name: request.GET.get(name, "").strip()[:20] for name in ("from", "to")}
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name, label in (("from", "From"), ("to", "To")):
        dates[name] = None
        if not chosen[name]:
            continue
        try:
            dates[name] = date.fromisoformat(chosen[name])
        except ValueError:
            errors[name] = f"{label} must be a real date, like 2026-04-01"
            continue
        if dates[name] < EARLIEST:  # type: ignore[operator]
            errors[name] = f"{label} must be on or after 1 January 2000"
    start, end = dates["from"], dates["to"]
    if not errors and start is not None and end is not None and start > end:
        errors["to"] = "To must be the same as or after from"
    if errors:
        return Period(), errors, chosen
    return Period(start=start, end=end), errors, chosen


def _query(chosen: dict[str, str], **extra: int) -> str:
    values: dict[str, str | int] = {key: value for key, value in chosen.items() if value}
    values.update(extra)
    return f"?{urlencode(values)}" if values else ""


def _page_href(chosen: dict[str, str], number: int) -> str:
    return _query(chosen, page=number)
