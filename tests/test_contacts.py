"""Logging contacts and counting repeat and avoidable contact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.errors import DomainError, ValidationFailed

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


def call(**overrides) -> ContactDetails:
    values = {"channel": "phone", "reason": "information", "outcome": "resolved_first_contact"}
    values.update(overrides)
    return ContactDetails(**values)


def test_a_resolved_call_is_stored_with_who_handled_it_and_how_long(council, resident, officer):
    contact = contact_log(
        organisation=council,
        customer=resident,
        handled_by=officer.user,
        details=call(duration_seconds=185, summary="Told them their bin day"),
    )
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.handled_by, stored.duration_seconds, stored.is_repeat) == (
        officer.user,
        185,
        False,
    )


def test_chasing_an_open_case_is_a_repeat_contact_linked_to_it(
    council, missed_bin, resident, actor
):
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=actor,
    )
    chase = contact_log(
        organisation=council,
        customer=resident,
        case=case,
        details=call(reason="progress_chasing", outcome="linked_to_case"),
    )
    assert chase.is_repeat
    assert chase.request_type == missed_bin
    assert list(case.contacts.order_by("started_at")) == [
        Contact.objects.get(reason="new_request"),
        chase,
    ]


def test_the_same_problem_again_within_four_weeks_counts_as_repeat(council, missed_bin, resident):
    first = london(2026, 11, 2, 10)
    contact_log(
        organisation=council,
        customer=resident,
        request_type=missed_bin,
        details=call(started_at=first),
    )
    again = contact_log(
        organisation=council,
        customer=resident,
        request_type=missed_bin,
        details=call(started_at=first + timedelta(days=20)),
    )
    much_later = contact_log(
        organisation=council,
        customer=resident,
        request_type=missed_bin,
        details=call(started_at=first + timedelta(days=60)),
    )
    assert (again.is_repeat, much_later.is_repeat) == (True, False)


def test_bad_contacts_are_refused_with_a_reason(council, resident):
    with pytest.raises(ValidationFailed) as refused:
        contact_log(
            organisation=council,
            customer=resident,
            details=call(channel="pigeon", outcome="signposted", duration_seconds=-1),
        )
    assert refused.value.fields == {
        "channel": "Select how the customer got in touch",
        "duration_seconds": "The length of the contact cannot be negative",
        "signposted_to": "Enter where the customer was signposted to",
    }
    with pytest.raises(DomainError, match="another organisation"):
        contact_log(organisation=factories.OrganisationFactory(), customer=resident, details=call())
    assert not Contact.objects.exists()
