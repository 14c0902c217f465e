"""The single customer view: who they are, how to reach them and everything that happened,
on every channel, in one timeline. Only what the member of staff may see is included."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from civicdesk.cases.selectors import clock_state_now, customer_cases_for_staff
from civicdesk.customers.selectors import (
    access_customer,
    contact_details_of,
    customer_duplicates,
    customer_previous_values,
    representatives_of,
    support_needs_of,
)
from civicdesk.web.staff import answers_personal_data_requests, sees_support_needs

from .customer_timeline import TimelineFilter, TimelinePage, timeline_page

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.customers.models import ContactDetail, Customer, Representative, SupportNeed
    from civicdesk.customers.selectors import PreviousValues
    from civicdesk.organisations.models import StaffMember

CASE_LIST_LENGTH = 50


@dataclass
class CustomerView:
    customer: Customer
    details: list[ContactDetail]
    representatives: list[Representative]
    cases: list[tuple[Case, str]]
    timeline: TimelinePage
    duplicates: list[Customer]
    # Names, addresses and dates of birth that merges did not keep.
    previous: PreviousValues
    # None when the member of staff's role does not see support needs at all.
    support_need_count: int | None
    support_needs: list[SupportNeed] = field(default_factory=list)
    # Whether to offer the data protection officer's disclosure and erasure (ADR 29).
    personal_data_requests: bool = False


def customer_view(
    *,
    staff: StaffMember,
    customer_id: int,
    show_support_needs: bool = False,
    timeline: TimelineFilter | None = None,
) -> CustomerView:
    """``timeline`` says which page of the timeline to show: the newest when None."""
    customer = access_customer(staff=staff, customer_id=customer_id)
    # One read for the case list (the latest) and the timeline's case choices (all of them).
    cases = customer_cases_for_staff(staff=staff, customer_id=customer.pk)
    needs: list[SupportNeed] = []
    count: int | None = None
    if sees_support_needs(staff):
        needs = support_needs_of(customer, staff=staff, record_view=show_support_needs)
        count = len(needs)
        if not show_support_needs:
            needs = []
    return CustomerView(
        customer=customer,
        details=contact_details_of(customer),
        representatives=representatives_of(customer),
        cases=[(case, clock_state_now(case)) for case in cases[:CASE_LIST_LENGTH]],
        timeline=timeline_page(
            staff=staff, customer=customer, cases=cases, asked=timeline or TimelineFilter()
        ),
        duplicates=customer_duplicates(customer=customer),
        previous=customer_previous_values(customer=customer),
        support_need_count=count,
        support_needs=needs,
        personal_data_requests=answers_personal_data_requests(staff),
    )
