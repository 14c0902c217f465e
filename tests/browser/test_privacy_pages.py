"""Requests about personal information in a real browser: a resident asks for a copy of their
information and for it to be deleted from their account; the data protection officer produces
the disclosure and downloads it once, extends the request's month and erases a person. No page
has a WCAG 2.2 AA problem, errors included."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from civicdesk.accounts.services import account_register
from civicdesk.cases.models import Case
from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.core.audit import Actor
from civicdesk.customers.models import Customer
from civicdesk.customers.services import RESIDENT, CustomerDetails, customer_create
from civicdesk.demo.catalogue_spec import SPEC
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.privacy.choices import ERASURE_SERVICE, SUBJECT_ACCESS_SERVICE
from civicdesk.privacy.models import Disclosure

from .. import factories
from .test_workspace_journeys import Checker, follow, member, press, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/wrekin/account/link/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def council():
    council = factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    factories.RequestTypeFactory(
        organisation=council, key="missed-bin", name="Report a missed bin collection"
    )
    chosen = [
        row
        for row in catalogue_rows_read()
        if row["key"] in (SUBJECT_ACCESS_SERVICE, ERASURE_SERVICE)
    ]
    catalogue_import(
        organisation=council, rows=chosen, spec={row["key"]: SPEC[row["key"]] for row in chosen}
    )
    return council


@pytest.fixture
def resident(council) -> Customer:
    customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith", emails=["ann@example.com"]),
        actor=Actor(label="Test"),
    )
    return account_register(
        organisation=council,
        email="ann@example.com",
        first_name="Ann",
        last_name="Smith",
        actor=RESIDENT,
    ).customer


def resident_signs_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/wrekin/account/sign-in/")
    page.get_by_label("Email address").fill("ann@example.com")
    press(page, "Email me a sign-in link")
    message = OutboxMessage.objects.filter(
        template="account_sign_in_link", recipient="ann@example.com"
    ).latest("id")
    found = LINK.search(message.body)
    assert found, message.body
    page.goto(f"{live_server.url}{found.group(1)}")
    press(page, "Continue to your account")


def test_a_resident_asks_and_the_data_protection_officer_answers(
    page, browser, live_server, council, resident
):
    check = Checker(page)
    resident_signs_in(page, live_server)
    follow(page, "Ask for a copy of your information")
    check("resident: ask for a copy")
    press(page, "Ask for a copy")
    assert "We have your request." in page.content()
    subject_access = Case.objects.get(request_type__key=SUBJECT_ACCESS_SERVICE)
    page.goto(f"{live_server.url}/wrekin/account/")
    follow(page, "Delete my account and my details")
    check("resident: delete my account")
    press(page, "Ask us to delete my account and details")
    assert Case.objects.filter(request_type__key=ERASURE_SERVICE, customer=resident).exists()

    officer_page = browser.new_context(locale="en-GB").new_page()
    officer_check = Checker(officer_page)
    officer = member(council, Role.DATA_PROTECTION, team=False)
    sign_in(officer_page, live_server, officer)
    officer_page.goto(f"{live_server.url}/staff/cases/{subject_access.reference}/")
    follow(officer_page, "Extend the time limit")
    officer_check("extend")
    press(officer_page, "Extend the time limit")
    assert officer_page.locator(".govuk-error-summary").count() == 1
    officer_check("extend: errors")
    officer_page.get_by_label("2 more months").check()
    officer_page.get_by_label("Why do you need more time?").fill(
        "You asked for records from five services."
    )
    press(officer_page, "Extend the time limit")
    assert "The time limit was extended" in officer_page.content()

    follow(officer_page, "Produce the disclosure")
    officer_check("disclosure: produce")
    press(officer_page, "Produce the disclosure")
    officer_check("disclosure")
    with officer_page.expect_download() as download:
        officer_page.get_by_role("button", name="Download the disclosure (zip)").click()
    assert download.value.suggested_filename.endswith(".zip")
    assert Disclosure.objects.get().downloaded_at is not None
    press(officer_page, "Download the disclosure (zip)")
    assert "already downloaded" in officer_page.content()
    officer_check("disclosure: downloaded already")

    officer_page.goto(f"{live_server.url}/staff/customers/{resident.pk}/")
    press(officer_page, "Erase this person")
    assert "It cannot be erased yet" in officer_page.content()
    officer_check("erase: held")
    other = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Bob", last_name="Jones", emails=["bob@example.com"]),
        actor=Actor(label="Test"),
    )
    officer_page.goto(f"{live_server.url}/staff/privacy/customers/{other.pk}/erase/")
    officer_check("erase: plan")
    press(officer_page, "Erase their personal data")
    assert "Their personal data was erased" in officer_page.content()
    officer_check("erase: done")

    check.assert_clean()
    officer_check.assert_clean()
