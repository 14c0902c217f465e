"""One repeat rule on every way a contact comes in: the same resident about the same service
within four weeks is a repeat, whether they came back through the website, by email, by text,
through FixMyStreet (Open311) or the REST API, or an adviser logs a call, a chat handed over by
Ask or a visit (phone systems log calls through the REST API's contacts, tested there).

Paths that give every sender a new record (the portal when not signed in, email, texts,
Open311, the API) record the service, so the contact is judged a repeat as soon as staff merge
the new record into the resident's own."""

# Fixtures are imported from the tests of each channel and named again as arguments.
# ruff: noqa: F811
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.channels.models import InboundMessage
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.customers.models import Customer
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.services import api_client_create
from civicdesk.organisations.choices import Role

from . import factories
from .conftest import sign_in_with_both_factors
from .test_channels import (  # noqa: F401 (fixtures)
    email,
    inbox,
    received_text,
    send,
    smtp_server,
    text_number,
)
from .test_open311 import BASE, api_key, fixmystreet_report, jurisdiction  # noqa: F401
from .test_portal_report import finish_missed_bin, places, resident_with_account  # noqa: F401


def earlier_call(customer: Customer, service) -> Contact:
    """The resident phoned about the service a week ago."""
    return contact_log(
        organisation=customer.organisation,
        customer=customer,
        request_type=service,
        details=ContactDetails(
            channel="phone",
            reason="information",
            outcome="resolved_first_contact",
            started_at=timezone.now() - timedelta(days=7),
        ),
    )


def newest_contact() -> Contact:
    return Contact.objects.select_related("customer").latest("started_at", "pk")


def merged_into(resident: Customer, duplicate: Customer) -> Contact:
    """Staff merge the new record into the resident's own, through the workspace."""
    adviser = factories.StaffFactory(organisation=resident.organisation, role=Role.ADVISER)
    client = Client()
    sign_in_with_both_factors(client, adviser.user)
    response = client.post(
        f"/staff/customers/{resident.pk}/merge/", {"duplicate": duplicate.pk, "confirm": "yes"}
    )
    assert response.status_code == 302
    return Contact.objects.get(pk=newest_contact().pk)


@pytest.mark.django_db
def test_the_website_signed_in_a_report_a_week_after_a_call_is_a_repeat(client, places):
    resident = resident_with_account(places, "own@example.com")
    earlier_call(resident, places.missed_bin)
    client.force_login(resident.user)
    finish_missed_bin(client)
    contact = Case.objects.get().contacts.get()
    assert (contact.customer, contact.request_type, contact.is_repeat) == (
        resident,
        places.missed_bin,
        True,
    )


@pytest.mark.django_db
def test_the_website_not_signed_in_is_a_repeat_once_the_records_are_merged(
    client,
    places,
):
    resident = resident_with_account(places, "sam@example.com")
    earlier_call(resident, places.missed_bin)
    finish_missed_bin(client)
    contact = Case.objects.get().contacts.get()
    assert contact.request_type == places.missed_bin and not contact.is_repeat
    assert merged_into(resident, contact.customer).is_repeat


@pytest.mark.django_db(transaction=True)
def test_an_email_is_a_repeat_once_the_records_are_merged(smtp_server, inbox, council, resident):
    fly_tipping = factories.RequestTypeFactory(
        organisation=council, key="fly-tipping", name="Report fly-tipping"
    )
    earlier_call(resident, fly_tipping)
    send(smtp_server, email("Dumped rubbish", "Someone has dumped a sofa in the lane."))
    contact = Case.objects.get().contacts.get()
    assert (contact.channel, contact.request_type, contact.is_repeat) == (
        "email",
        fly_tipping,
        False,
    )
    assert merged_into(resident, contact.customer).is_repeat


@pytest.mark.django_db
def test_open311_is_a_repeat_once_the_records_are_merged(client, api_key, resident, missed_bin):
    earlier_call(resident, missed_bin)
    response = client.post(f"{BASE}/requests.json", fixmystreet_report(api_key))
    assert response.status_code == 200
    contact = Case.objects.get().contacts.get()
    assert (contact.request_type, contact.is_repeat) == (missed_bin, False)
    assert merged_into(resident, contact.customer).is_repeat


@pytest.mark.django_db
def test_the_rest_api_is_a_repeat_once_the_records_are_merged(
    client, council, resident, missed_bin
):
    earlier_call(resident, missed_bin)
    _, key = api_client_create(organisation=council, name="App", scopes=[Scope.CASES_CREATE])
    response = client.post(
        "/api/v1/cases",
        data=json.dumps(
            {
                "service": "missed-bin",
                "answers": {"bin": "Recycling"},
                "customer": {"name": "Ann Smith", "email": "ann@example.com"},
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201
    contact = Case.objects.get().contacts.get()
    assert (contact.request_type, contact.is_repeat) == (missed_bin, False)
    assert merged_into(resident, contact.customer).is_repeat


@pytest.mark.django_db
def test_a_chase_by_text_on_an_open_case_is_a_repeat(
    client,
    settings,
    text_number,
    council,
    resident,
    actor,
):
    settings.NOTIFY_CALLBACK_TOKEN = "callback-secret"
    factories.RequestTypeFactory(organisation=council, key="pothole", name="Report a pothole")
    case = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="pothole", channel="web", customer=resident),
        actor=actor,
    )
    response = received_text(client, "callback-secret", message=f"Any news on {case.reference}?")
    assert response.status_code in (200, 201, 204)
    contact = InboundMessage.objects.get().contact
    assert (contact.channel, contact.case, contact.is_repeat) == ("sms", case, True)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["phone", "chat", "face_to_face"])
def test_calls_chats_and_visits_an_adviser_logs_are_repeats(
    staff_client, council, resident, missed_bin, channel
):
    earlier_call(resident, missed_bin)
    adviser = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    staff_client(adviser).post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": channel,
            "reason": "information",
            "outcome": "resolved_first_contact",
            "service": "missed-bin",
        },
    )
    contact = newest_contact()
    assert (contact.channel, contact.handled_by, contact.is_repeat) == (
        channel,
        adviser.user,
        True,
    )
