"""The data protection officer's pages in a real browser: who read what, by member of staff and
by customer, with dates that cannot be used explained, and the retention report; no WCAG 2.2
AA problems on any of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.core.audit import Actor
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.organisations.choices import Role
from civicdesk.privacy.models import AccessEntry

from .. import factories
from .test_workspace_journeys import Checker, follow, member, press, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def council():
    council = factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    factories.RequestTypeFactory(organisation=council, key="missed-bin", name="Missed bin")
    return council


def test_the_officer_reads_who_opened_what_and_the_retention_report(page, live_server, council):
    officer = member(council, Role.DATA_PROTECTION, team=False)
    adviser = member(council, Role.ADVISER, team=False)
    resident = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith"),
        actor=Actor(label="Test"),
    )
    for days in (40, 3):
        AccessEntry.objects.create(
            organisation=council,
            staff=adviser,
            customer=resident,
            what="customer",
            page="workspace:customer",
            at=timezone.now() - timedelta(days=days),
        )
    check = Checker(page)
    sign_in(page, live_server, officer)

    follow(page, "Who read what")
    check("who read what")
    press(page, "List the entries")
    check("who read what, errors")
    assert page.get_by_role("link", name="Enter the customer's number, like 1234").is_visible()

    page.get_by_label("Member of staff").select_option(str(adviser.pk))
    press(page, "List their entries")
    assert page.get_by_text("2 entries, newest first.").is_visible()
    check("what a member of staff opened")

    follow(page, "Ann Smith")
    assert page.get_by_role("heading", name="Who opened Ann Smith's records").is_visible()
    page.get_by_label("From").fill("1999-12-31")
    press(page, "Show these dates")
    check("who opened a customer's records, errors")
    assert page.get_by_role("link", name="From must be on or after 1 January 2000").is_visible()
    page.get_by_label("From").fill((timezone.localdate() - timedelta(days=10)).isoformat())
    press(page, "Show these dates")
    assert page.get_by_text("1 entry between these dates, newest first.").is_visible()
    check("who opened a customer's records")

    follow(page, "Retention")
    assert page.get_by_role("heading", name="Retention of records").is_visible()
    check("retention")
    check.assert_clean()
