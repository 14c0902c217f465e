"""Telling residents about their cases: the messages a change to a case queues for its customer
and for the residents following it."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from civicdesk.catalogue.wording import request_subject
from civicdesk.core.text import describe_deadline
from civicdesk.customers.models import Customer
from civicdesk.notifications.links import public_page_link
from civicdesk.notifications.services import notification_queue

from .choices import ClockState
from .models import Case


def tell_customer(
    case: Case, *, customer: Customer, template: str, context: dict[str, str]
) -> None:
    notification_queue(
        organisation=case.organisation,
        customer=customer,
        case=case,
        template=template,
        context=context,
    )


def tell_everyone_interested(case: Case, *, template: str, context: dict[str, str]) -> None:
    """The customer, and residents who chose to follow the case instead of reporting it again.
    Followers hear about progress; their details are never shown to anyone else."""
    recipients = [case.customer] if case.customer is not None else []
    recipients += [
        follower.customer
        for follower in case.followers.select_related("customer").order_by("pk")
        if follower.customer_id != case.customer_id
    ]
    for customer in recipients:
        tell_customer(case, customer=customer, template=template, context=context)


def message_context(case: Case, **extra: str) -> dict[str, str]:
    return {
        "council": case.organisation.name,
        "reference": case.reference,
        "service": request_subject(case.request_type.name),
        "track": public_page_link("portal:track", case.organisation.slug),
        "note": "",
        **extra,
    }


def expectation(case: Case, *, now: datetime | None = None) -> str:
    """The sentences that tell a resident when to expect us to act, honest when we are late."""
    what = case.target_summary or "respond"
    if case.clock_state == ClockState.PAUSED:
        return (
            "We are waiting for more information before we can carry on. "
            "We will be in touch about what happens next."
        )
    if case.due_at is None:
        return "We will be in touch about what happens next."
    if is_late(case, now=now):
        return (
            f"This is late: we aimed to {what} by {describe_deadline(case.due_at)}. "
            "The team's managers have been told, and we will tell you when there is news."
        )
    return f"We aim to {what} by {describe_deadline(case.due_at)}."


def is_late(case: Case, *, now: datetime | None = None) -> bool:
    """Whether an open case has passed its due date with its clock still running."""
    return (
        case.is_open
        and case.due_at is not None
        and case.clock_state not in (ClockState.PAUSED, ClockState.STOPPED)
        and case.due_at < (now or timezone.now())
    )
