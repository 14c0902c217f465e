"""Recording contacts and recognising repeat contact."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.utils import timezone

from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, ValidationFailed
from civicdesk.core.known_rows import known_rows, known_rows_add
from civicdesk.core.rows import row_insert
from civicdesk.core.transactions import atomic_step

from .choices import AVOIDABLE_REASONS, ContactOutcome, ContactReason, Direction
from .models import Contact

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from civicdesk.cases.models import Case
    from civicdesk.catalogue.models import RequestType
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import Organisation

# The same customer about the same service within this window counts as a repeat contact.
REPEAT_WINDOW = timedelta(days=28)
# What the repeat rule reads of a contact, and the flag it writes.
REJUDGE_FIELDS = (
    "pk",
    "direction",
    "reason",
    "outcome",
    "case_id",
    "request_type_id",
    "started_at",
    "is_repeat",
)


@dataclass
class ContactDetails:
    channel: str
    reason: str
    outcome: str
    direction: str = Direction.INBOUND
    started_at: datetime | None = None
    duration_seconds: int | None = None
    summary: str = ""
    signposted_to: str = ""
    assisted: bool = False


def contact_log(
    *,
    organisation: Organisation,
    details: ContactDetails,
    customer: Customer | None = None,
    case: Case | None = None,
    request_type: RequestType | None = None,
    handled_by: User | None = None,
) -> Contact:
    """Store a contact. A contact about an open case, or a chase, counts as a repeat."""
    errors = _errors(details)
    if errors:
        raise ValidationFailed("There is a problem with the contact.", fields=errors)
    for record in (customer, case, request_type):
        if record is not None and record.organisation_id != organisation.pk:
            raise DomainError("That record belongs to another organisation.")
    started_at = details.started_at or timezone.now()
    service = request_type or (case.request_type if case is not None else None)
    with atomic_step():
        contact = Contact(
            organisation=organisation,
            customer=customer,
            case=case,
            request_type=service,
            channel=details.channel,
            direction=details.direction,
            handled_by=handled_by if handled_by is not None and handled_by.pk else None,
            started_at=started_at,
            duration_seconds=details.duration_seconds,
            reason=details.reason,
            outcome=details.outcome,
            is_repeat=_is_repeat(
                direction=details.direction,
                reason=details.reason,
                outcome=details.outcome,
                customer=customer,
                case=case,
                service=service,
                started_at=started_at,
            ),
            assisted=details.assisted,
            summary=details.summary.strip(),
            signposted_to=details.signposted_to.strip(),
        )
        row_insert(contact)
    if customer is not None:
        known_rows_add(customer, "contacts", contact)
    return contact


def contact_raised_case(*, contact: Contact, case: Case) -> Contact:
    """The contact an adviser logged raised ``case``: link them, and judge the contact again as
    a repeat now that its service is known, by the same rule as every other contact."""
    contact.case = case
    contact.outcome = ContactOutcome.CASE_CREATED
    contact.request_type = case.request_type
    contact.is_repeat = _is_repeat(
        direction=contact.direction,
        reason=contact.reason,
        outcome=contact.outcome,
        customer=contact.customer,
        case=case,
        service=case.request_type,
        started_at=contact.started_at,
    )
    contact.save(update_fields=["case", "outcome", "request_type", "is_repeat"])
    return contact


def contact_repeats_rejudge(*, customer: Customer) -> int:
    """Judge every contact of ``customer`` again by the repeat rule, oldest first, and store
    the flags that change; returns how many changed. Run after records are merged: contacts
    that sat on two records of one person are now compared with each other (ADR 36)."""
    contacts = list(
        Contact.objects.filter(customer=customer).order_by("started_at", "pk").only(*REJUDGE_FIELDS)
    )
    earlier_by_service: dict[int, list[datetime]] = {}
    changed: list[Contact] = []
    for contact in contacts:
        times = earlier_by_service.get(contact.request_type_id or 0, [])
        # Earlier contacts about the same service that started inside the window.
        earlier = bisect_left(times, contact.started_at) > bisect_left(
            times, contact.started_at - REPEAT_WINDOW
        )
        is_repeat = _repeat_by_rule(
            direction=contact.direction,
            reason=contact.reason,
            outcome=contact.outcome,
            has_case=contact.case_id is not None,
            has_service=contact.request_type_id is not None,
            earlier_about_service=partial(bool, earlier),
        )
        if contact.direction == Direction.INBOUND and contact.request_type_id is not None:
            insort(earlier_by_service.setdefault(contact.request_type_id, []), contact.started_at)
        if is_repeat != contact.is_repeat:
            contact.is_repeat = is_repeat
            changed.append(contact)
    Contact.objects.bulk_update(changed, ["is_repeat"], batch_size=500)
    return len(changed)


def _is_repeat(
    *,
    direction: str,
    reason: str,
    outcome: str,
    customer: Customer | None,
    case: Case | None,
    service: RequestType | None,
    started_at: datetime,
) -> bool:
    return _repeat_by_rule(
        direction=direction,
        reason=reason,
        outcome=outcome,
        has_case=case is not None,
        has_service=customer is not None and service is not None,
        earlier_about_service=partial(
            _earlier_about_service, customer=customer, service=service, started_at=started_at
        ),
    )


def _earlier_about_service(
    *, customer: Customer | None, service: RequestType | None, started_at: datetime
) -> bool:
    """Whether the customer contacted us about the service within REPEAT_WINDOW before
    ``started_at``: from the contacts a new record is known to hold (none), else the database."""
    since = started_at - REPEAT_WINDOW
    held = known_rows(customer, "contacts") if customer is not None else None
    if held is not None and service is not None:
        return any(
            contact.request_type_id == service.pk
            and contact.direction == Direction.INBOUND
            and since <= contact.started_at < started_at
            for contact in held
        )
    return Contact.objects.filter(
        customer=customer,
        request_type=service,
        direction=Direction.INBOUND,
        started_at__gte=since,
        started_at__lt=started_at,
    ).exists()


def _repeat_by_rule(
    *,
    direction: str,
    reason: str,
    outcome: str,
    has_case: bool,
    has_service: bool,
    earlier_about_service: Callable[[], bool],
) -> bool:
    """The one rule for repeat contact, on every channel: a chase or failure demand; a contact
    about a case already open; or the same customer about the same service within
    REPEAT_WINDOW of an earlier contact of theirs (a new case raised included)."""
    if direction != Direction.INBOUND:
        return False
    if reason in AVOIDABLE_REASONS:
        return True
    if has_case and outcome != ContactOutcome.CASE_CREATED:
        return True
    if not has_service:
        return False
    return earlier_about_service()


_CHANNELS = frozenset(Channel.values)
_REASONS = frozenset(ContactReason.values)
_OUTCOMES = frozenset(ContactOutcome.values)
_DIRECTIONS = frozenset(Direction.values)


def _errors(details: ContactDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    if details.channel not in _CHANNELS:
        errors["channel"] = "Select how the customer got in touch"
    if details.reason not in _REASONS:
        errors["reason"] = "Select why the customer got in touch"
    if details.outcome not in _OUTCOMES:
        errors["outcome"] = "Select the outcome of the contact"
    if details.direction not in _DIRECTIONS:
        errors["direction"] = "Select whether the customer contacted us or we contacted them"
    if details.duration_seconds is not None and details.duration_seconds < 0:
        errors["duration_seconds"] = "The length of the contact cannot be negative"
    if details.outcome == ContactOutcome.SIGNPOSTED and not details.signposted_to.strip():
        errors["signposted_to"] = "Enter where the customer was signposted to"
    return errors
