"""The single customer view: who they are, how to reach them and everything that happened,
on every channel, in one timeline. Only what the member of staff may see is included."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from civicdesk.appointments.choices import VisitKind
from civicdesk.appointments.selectors import visits_of_customer
from civicdesk.cases.selectors import cases_visible_to, clock_state_now
from civicdesk.contacts.selectors import contacts_of_customer
from civicdesk.customers.selectors import (
    access_customer,
    contact_details_of,
    customer_duplicates,
    representatives_of,
    support_needs_of,
)
from civicdesk.feedback.choices import RATING_REASONS
from civicdesk.feedback.selectors import ratings_of_cases
from civicdesk.notifications.selectors import notifications_of_customer
from civicdesk.web.staff import sees_support_needs

if TYPE_CHECKING:
    from civicdesk.appointments.models import Visit
    from civicdesk.cases.models import Case
    from civicdesk.contacts.models import Contact
    from civicdesk.customers.models import ContactDetail, Customer, Representative, SupportNeed
    from civicdesk.feedback.models import ContactRating
    from civicdesk.notifications.models import OutboxMessage
    from civicdesk.organisations.models import StaffMember

TIMELINE_LENGTH = 50
CASE_LIST_LENGTH = 50


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    reference: str = ""
    by: str = ""


@dataclass
class CustomerView:
    customer: Customer
    details: list[ContactDetail]
    representatives: list[Representative]
    cases: list[tuple[Case, str]]
    timeline: list[TimelineItem]
    duplicates: list[Customer]
    # None when the member of staff's role does not see support needs at all.
    support_need_count: int | None
    support_needs: list[SupportNeed] = field(default_factory=list)


def customer_view(
    *, staff: StaffMember, customer_id: int, show_support_needs: bool = False
) -> CustomerView:
    customer = access_customer(staff=staff, customer_id=customer_id)
    visible_cases = cases_visible_to(staff).filter(customer_id=customer.pk)
    cases = list(
        visible_cases.select_related("request_type", "team", "assigned_to").order_by(
            "-opened_at", "-id"
        )[:CASE_LIST_LENGTH]
    )
    contacts = contacts_of_customer(staff=staff, customer_id=customer.pk, limit=TIMELINE_LENGTH)
    messages = notifications_of_customer(
        customer_id=customer.pk,
        organisation_id=customer.organisation_id,
        visible_case_ids=visible_cases.values("id"),
        limit=TIMELINE_LENGTH,
    )
    ratings = ratings_of_cases(case_ids=visible_cases.values("id"), limit=TIMELINE_LENGTH)
    timeline = sorted(
        [
            *(_contact_item(contact) for contact in contacts),
            *(_message_item(message) for message in messages),
            *(_case_item(case) for case in cases),
            *(_rating_item(rating) for rating in ratings),
            *(_visit_item(visit) for visit in visits_of_customer(customer)[:TIMELINE_LENGTH]),
        ],
        key=lambda item: item.at,
        reverse=True,
    )[:TIMELINE_LENGTH]
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
        cases=[(case, clock_state_now(case)) for case in cases],
        timeline=timeline,
        duplicates=customer_duplicates(customer=customer),
        support_need_count=count,
        support_needs=needs,
    )


def _contact_item(contact: Contact) -> TimelineItem:
    direction = "from" if contact.direction == "inbound" else "to"
    title = f"{contact.get_channel_display()} contact {direction} the customer"
    detail = f"{contact.get_reason_display()}. {contact.get_outcome_display()}."
    if contact.is_repeat:
        detail += " Repeat contact."
    if contact.assisted:
        detail += " Assisted by staff."
    if contact.summary:
        detail += f" {contact.summary}"
    handled_by = contact.handled_by.get_full_name() if contact.handled_by else ""
    return TimelineItem(
        at=contact.started_at,
        kind="Contact",
        title=title,
        detail=detail,
        reference=contact.case.reference if contact.case else "",
        by=handled_by,
    )


def _visit_item(visit: Visit) -> TimelineItem:
    booked = visit.kind == VisitKind.APPOINTMENT
    moment = visit.starts_at if booked else visit.arrived_at
    return TimelineItem(
        at=moment or visit.created_at,
        kind="Appointment" if booked else "Visit",
        title=f"{'Appointment at' if booked else 'Walked in to'} {visit.venue.name}",
        detail=f"{visit.get_status_display()}. {visit.reason}",
        by=visit.seen_by.get_full_name() if visit.seen_by else "",
    )


def _message_item(message: OutboxMessage) -> TimelineItem:
    return TimelineItem(
        at=message.created_at,
        kind="Notification",
        title=f"{message.get_channel_display()} sent: {message.subject or message.template}",
        detail=message.get_status_display(),
        reference=message.case.reference if message.case else "",
    )


def _rating_item(rating: ContactRating) -> TimelineItem:
    reasons = [
        label.lower() for key, label in RATING_REASONS.items() if getattr(rating, key, False)
    ]
    detail = f"Good for {', '.join(reasons)}." if reasons else ""
    if rating.comment:
        detail += f" They said: {rating.comment}"
    return TimelineItem(
        at=rating.created_at,
        kind="Feedback",
        title=f"Rated the service {rating.get_rating_display().lower()}",
        detail=detail.strip(),
        reference=rating.case.reference if rating.case else "",
    )


def _case_item(case: Case) -> TimelineItem:
    return TimelineItem(
        at=case.opened_at,
        kind="Case",
        title=f"{case.request_type.name} opened",
        detail=f"By {case.get_channel_display().lower()}. Now {case.get_status_display().lower()}.",
        reference=case.reference,
    )
