"""Who read what: an entry each time a member of staff opens a customer's record, their support
needs, a document or a case in a sensitive service, and the data protection officer's view of
the entries, by customer and by member of staff.

Writing an entry is one INSERT made from what the page has already read (ids only), before the
page is sent, so that no page showing these records goes out unlogged. Entries hold no
personal data: erasure keeps them, the subject access export shows them (the registry's
``access_log`` kind), and they are deleted with the audit trail when its time is up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicdesk.cases.selectors import cases_visible_to
from civicdesk.core.errors import NotFound, NotPermitted
from civicdesk.customers.selectors import access_customer
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember

from .choices import AccessKind
from .models import AccessEntry

if TYPE_CHECKING:
    from civicdesk.customers.models import Customer


def access_record(
    *,
    staff: StaffMember,
    what: AccessKind,
    page: str,
    customer_id: int | None,
    case_id: int | None = None,
    document_id: int | None = None,
) -> None:
    """Record that ``staff`` opened this, on the page named ``page`` (a URL name, never an
    address). One INSERT and no reads: the caller passes what it has already fetched."""
    AccessEntry.objects.create(
        organisation_id=staff.organisation_id,
        staff_id=staff.pk,
        customer_id=customer_id,
        case_id=case_id,
        document_id=document_id,
        what=what,
        page=page[:100],
        at=timezone.now(),
    )


# Reading the log: data protection officers only.


def may_read_access_log(staff: StaffMember) -> bool:
    return staff.role == Role.DATA_PROTECTION


def _require_officer(staff: StaffMember) -> None:
    if not may_read_access_log(staff):
        raise NotPermitted("Only data protection officers can read the log of who read what.")


@dataclass(frozen=True)
class Period:
    """Dates to list entries between, either end open."""

    start: date | None = None
    end: date | None = None

    def applied_to(self, entries: QuerySet[AccessEntry]) -> QuerySet[AccessEntry]:
        if self.start is not None:
            entries = entries.filter(at__date__gte=self.start)
        if self.end is not None:
            entries = entries.filter(at__date__lte=self.end)
        return entries


def access_log_of_customer(
    *, staff: StaffMember, customer_id: int, period: Period
) -> tuple[Customer, QuerySet[AccessEntry]]:
    """The customer (a merged record leads to the one it joined) and the entries about them
    and the records merged into theirs, newest first."""
    _require_officer(staff)
    customer = access_customer(staff=staff, customer_id=customer_id)
    entries = AccessEntry.objects.filter(organisation_id=staff.organisation_id).filter(
        Q(customer=customer) | Q(customer__merged_into=customer)
    )
    return customer, period.applied_to(entries).select_related("staff__user", "case")


def access_log_of_staff(
    *, staff: StaffMember, staff_id: int, period: Period
) -> tuple[StaffMember, QuerySet[AccessEntry]]:
    """A member of the council's staff and what they opened, newest first."""
    _require_officer(staff)
    member = (
        StaffMember.objects.select_related("user")
        .filter(organisation_id=staff.organisation_id, pk=staff_id)
        .first()
    )
    if member is None:
        raise NotFound("There is no such member of staff.")
    entries = AccessEntry.objects.filter(organisation_id=staff.organisation_id, staff=member)
    return member, period.applied_to(entries).select_related("customer", "case")


def staff_for_access_log(*, staff: StaffMember) -> list[StaffMember]:
    """Everyone on the council's staff, those who have left included: what they read stays."""
    _require_officer(staff)
    return list(
        StaffMember.objects.filter(organisation_id=staff.organisation_id)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def cases_shown_to(*, staff: StaffMember, entries: list[AccessEntry]) -> set[int]:
    """Of the cases these entries name, those ``staff`` may open: a sensitive case's reference
    is shown only to its own team, the officer reading the log included."""
    case_ids = {entry.case_id for entry in entries if entry.case_id is not None}
    if not case_ids:
        return set()
    return set(cases_visible_to(staff).filter(pk__in=case_ids).values_list("pk", flat=True))
