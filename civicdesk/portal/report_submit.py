"""Making the request at the end of the journey: the customer, the case, or following a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import transaction

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.resident_actions import case_follow
from civicdesk.cases.selectors import access_case_in_session
from civicdesk.core.choices import Channel
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.services import (
    RESIDENT,
    CustomerDetails,
    contact_detail_error,
    customer_create,
)

from .report_journey import DONE_KEY, Journey, done_case_id, done_record, pending_read

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.catalogue.models import RequestType
    from civicdesk.core.errors import DomainError
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import Organisation


@dataclass(frozen=True)
class DetailsForm:
    """What the resident typed on "your details", checked."""

    full_name: str
    email: str
    phone: str
    preferred_channel: str
    address_line_1: str
    town: str
    postcode: str


CHANNELS = {
    "email": "Email",
    "sms": "Text message",
    "letter": "Letter",
    "phone": "Phone call",
}


# The most each field may hold, as the customer record stores it, and how to name it.
DETAIL_LIMITS = {
    "full_name": (100, "Full name"),
    "email": (254, "Email address"),
    "phone": (40, "Phone number"),
    "address_line_1": (200, "Address line 1"),
    "town": (100, "Town or city"),
    "postcode": (10, "Postcode"),
}


def details_check(values: dict[str, str]) -> tuple[DetailsForm, dict[str, str]]:
    """The details with one plain message per field that needs fixing. Nothing is cut short:
    text longer than the record holds is refused with the limit."""
    form = DetailsForm(
        full_name=values.get("full_name", "").strip(),
        email=values.get("email", "").strip(),
        phone=values.get("phone", "").strip(),
        preferred_channel=values.get("preferred_channel", "").strip(),
        address_line_1=values.get("address_line_1", "").strip(),
        town=values.get("town", "").strip(),
        postcode=values.get("postcode", "").strip(),
    )
    errors: dict[str, str] = {}
    if not form.full_name:
        errors["full_name"] = "Enter your full name"
    if form.preferred_channel not in CHANNELS:
        errors["preferred_channel"] = "Select how you would like to hear from us"
    elif form.preferred_channel == "email" and not form.email:
        errors["email"] = "Enter your email address, or choose another way to hear from us"
    elif form.preferred_channel in ("sms", "phone") and not form.phone:
        errors["phone"] = "Enter your phone number, or choose another way to hear from us"
    elif form.preferred_channel == "letter":
        if not form.address_line_1:
            errors["address_line_1"] = "Enter the first line of your address for letters"
        if not form.postcode:
            errors["postcode"] = "Enter your postcode for letters"
    for name, message in _customer_errors(form).items():
        errors.setdefault(name, message)
    for name, (limit, label) in DETAIL_LIMITS.items():
        if len(getattr(form, name)) > limit:
            errors[name] = f"{label} must be {limit} characters or fewer"
    # In the order the page asks, so that the error summary reads top to bottom.
    order = (
        "full_name",
        "email",
        "phone",
        "preferred_channel",
        "address_line_1",
        "town",
        "postcode",
    )
    return form, {name: errors[name] for name in order if name in errors}


def _customer_errors(form: DetailsForm) -> dict[str, str]:
    """The customer record's own rules for email addresses and phone numbers."""
    errors: dict[str, str] = {}
    for name, kind in (("email", DetailKind.EMAIL), ("phone", DetailKind.PHONE)):
        value = getattr(form, name)
        problem = contact_detail_error(kind, value) if value else None
        if problem:
            errors[name] = problem
    return errors


def _customer_details(form: DetailsForm) -> CustomerDetails:
    first, _, last = form.full_name.rpartition(" ")
    return CustomerDetails(
        first_name=first,
        last_name=last or form.full_name,
        address_line_1=form.address_line_1,
        town=form.town,
        postcode=form.postcode,
        emails=[form.email] if form.email else [],
        phones=[form.phone] if form.phone else [],
        preferred_channel=form.preferred_channel,
    )


def customer_for(
    *, organisation: Organisation, form: DetailsForm, account: Customer | None
) -> Customer:
    """The customer record the request goes on.

    A resident signed in to their account here uses their own record. Anyone else gets a new
    record, even when the email address they typed is already known: typing somebody's address
    must never put a request on that person's record or in their account. Staff find and merge
    likely duplicates later (``customer_duplicates``).
    """
    if account is not None and account.organisation_id == organisation.pk:
        return account
    return customer_create(
        organisation=organisation, details=_customer_details(form), actor=RESIDENT
    )


@dataclass(frozen=True)
class Submission:
    request_type: RequestType
    provider: Organisation
    journey: Journey
    account: Customer | None = None


def report_submit(*, session: SessionBase, submission: Submission) -> Case:
    """Open the case once for this journey's token: a second submission finds the first case.

    The session row is locked while the case is opened, so two submissions of the same form
    at the same moment still make one case.
    """
    journey = submission.journey
    with transaction.atomic():
        _lock_session(session)
        earlier = done_case_id(session, journey.token)
        if earlier is not None:
            found = access_case_in_session(case_id=earlier)
            if found is not None:
                return found
        customer = None
        if journey.details and not journey.anonymous:
            form = DetailsForm(**journey.details)
            customer = customer_for(
                organisation=submission.provider, form=form, account=submission.account
            )
        case = case_open(
            organisation=submission.provider,
            request=_case_request(submission, customer),
            actor=RESIDENT,
        )
        done_record(session, journey.token, case.pk)
        session.save()
    return case


def _case_request(submission: Submission, customer: Customer | None) -> CaseRequest:
    journey = submission.journey
    answers: dict[str, Any] = {
        key: value for key, value in journey.answers.items() if value not in (None, "", {})
    }
    documents = [pending_read(item) for items in journey.files.values() for item in items]
    return CaseRequest(
        request_type_key=submission.request_type.key,
        channel=Channel.WEB,
        answers=answers,
        customer=customer,
        documents=documents,
    )


def report_follow(*, case: Case, form: DetailsForm, account: Customer | None) -> None:
    """Follow an open case instead of reporting the same problem again."""
    with transaction.atomic():
        customer = customer_for(organisation=case.organisation, form=form, account=account)
        case_follow(case=case, customer=customer, actor=RESIDENT)


def _lock_session(session: SessionBase) -> None:
    key = session.session_key
    if key is None:
        session.save()
        return
    row = Session.objects.select_for_update().filter(session_key=key).first()
    if row is None:
        return
    stored = session.decode(row.session_data)
    if isinstance(stored.get(DONE_KEY), dict):
        for token, case_id in stored[DONE_KEY].items():
            done_record(session, token, case_id)


def check_problem(problem: DomainError) -> str:
    """One sentence for a refusal at the last step."""
    return next(iter(problem.fields.values()), problem.message)
