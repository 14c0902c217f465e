"""Telling residents about their cases: the messages a change to a case queues for its customer
and for the residents following it."""

from __future__ import annotations

from civicdesk.core.text import describe_deadline
from civicdesk.customers.models import Customer
from civicdesk.notifications.services import notification_queue

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
        "service": case.request_type.name.lower(),
        "note": "",
        **extra,
    }


def expectation(case: Case) -> str:
    """The sentence that tells a resident when to expect us to act."""
    if case.due_at is None:
        return "We will be in touch about what happens next."
    what = case.target_summary or "respond"
    return f"We aim to {what} by {describe_deadline(case.due_at)}."
