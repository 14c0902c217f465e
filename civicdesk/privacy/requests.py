"""Subject access and erasure requests as cases: a resident asking from their online account,
and a data protection officer extending a subject access request's month (ADR 29).

Staff raise them with the case form and other systems through the API, like any other
service; every route opens the case with ``case_open``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from civicdesk.cases.choices import OPEN_STATUSES
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.selectors import cases_of_customer
from civicdesk.cases.time_limits import case_extend_time_limit
from civicdesk.catalogue.selectors import charter_target_for, request_type_get
from civicdesk.core.audit import Actor
from civicdesk.core.calendar import TimeUnit
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.customers.models import Customer

from .choices import ERASURE_SERVICE, MOST_EXTRA_MONTHS, SUBJECT_ACCESS_SERVICE

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.organisations.models import Organisation

PRIVACY_SERVICES = (SUBJECT_ACCESS_SERVICE, ERASURE_SERVICE)


@dataclass(frozen=True)
class PrivacyRequest:
    case: Case
    raised: bool  # False: the same request was already open, and this is it


def open_privacy_request(*, customer: Customer, service_key: str) -> Case | None:
    """The resident's request of this kind that is still open, as their account shows it."""
    return (
        cases_of_customer(customer)
        .filter(request_type__key=service_key, status__in=OPEN_STATUSES)
        .first()
    )


@dataclass(frozen=True)
class PrivacyService:
    """One of the two requests, as the council's catalogue offers it."""

    key: str
    name: str
    due_if_asked_now: datetime | None


def privacy_service_offered(
    *, organisation: Organisation, service_key: str, now: datetime | None = None
) -> PrivacyService | None:
    """The council's service for this request, and when a request made now would fall due;
    None if the council does not take these requests online."""
    try:
        request_type = request_type_get(organisation_id=organisation.pk, key=service_key)
    except NotFound:
        return None
    target = charter_target_for(
        request_type=request_type, priority=Priority.STANDARD, channel=Channel.WEB
    )
    due = (
        organisation.calendar.deadline(now or timezone.now(), target.amount, TimeUnit(target.unit))
        if target is not None
        else None
    )
    return PrivacyService(key=service_key, name=request_type.name, due_if_asked_now=due)


def privacy_request_raise(
    *,
    customer: Customer,
    service_key: str,
    actor: Actor,
    channel: str = Channel.WEB,
    now: datetime | None = None,
) -> PrivacyRequest:
    """A resident asks for a copy of their information or for it to be deleted. The case opens
    with ``case_open``, like any request, for their own customer record; a request of the same
    kind still open is returned instead of a second one (a double click, say)."""
    if service_key not in PRIVACY_SERVICES:
        raise DomainError("That is not a request about your personal information.")
    with transaction.atomic():
        # One at a time per resident, so two presses of the button make one request.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = open_privacy_request(customer=customer, service_key=service_key)
        if existing is not None:
            return PrivacyRequest(case=existing, raised=False)
        case = case_open(
            organisation=customer.organisation,
            request=CaseRequest(request_type_key=service_key, channel=channel, customer=customer),
            actor=actor,
            now=now,
        )
    return PrivacyRequest(case=case, raised=True)


def subject_access_extend(
    *,
    case: Case,
    months: int | None,
    reason: str,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Extend a subject access request's month by one or two more months, once, before it
    runs out, saying why (UK GDPR article 12(3)): the resident is told the reason and the new
    date."""
    if case.request_type.key != SUBJECT_ACCESS_SERVICE:
        raise DomainError(
            f"Case {case.reference} is not a subject access request. Only a subject access "
            "request's time limit is extended here."
        )
    problems: dict[str, str] = {}
    if months is None or not 1 <= months <= MOST_EXTRA_MONTHS:
        problems["months"] = "Select how many more months you need"
    if not reason.strip():
        problems["reason"] = "Enter the reason for the extension"
    if problems:
        raise ValidationFailed("Say how much more time is needed and why.", fields=problems)
    assert months is not None
    return case_extend_time_limit(
        case=case,
        amount=months,
        unit=TimeUnit.CALENDAR_MONTHS,
        reason=reason,
        actor=actor,
        expected_version=expected_version,
        now=now,
    )
