"""The customer's timeline in a real browser: an adviser pages back and forth through a long
history and narrows it, with JavaScript on and off, and no page has a WCAG 2.2 AA problem,
errors included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache

from civicdesk.contacts.models import Contact
from civicdesk.organisations.choices import Role

from ..conftest import london
from .test_workspace_journeys import (  # noqa: F401 (fixtures)
    Checker,
    council,
    follow,
    member,
    press,
    resident,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def long_history(customer) -> None:
    Contact.objects.bulk_create(
        Contact(
            organisation=customer.organisation,
            customer=customer,
            channel="phone",
            started_at=london(2026, 3, 20, 12) - timedelta(hours=number),
            reason="information",
            outcome="resolved_first_contact",
            summary=f"Contact number {number}.",
        )
        for number in range(40)
    )


def test_an_adviser_pages_through_and_narrows_a_long_history(
    page,
    live_server,
    council,  # noqa: F811
    resident,  # noqa: F811
):
    long_history(resident)
    check = Checker(page)
    sign_in(page, live_server, member(council, Role.ADVISER, team=False))
    page.goto(f"{live_server.url}/staff/customers/{resident.pk}/")
    check("timeline, newest page")
    assert page.get_by_text("Contact number 0.").is_visible()
    assert page.get_by_text("Contact number 30.").count() == 0

    follow(page, "Older items")
    check("timeline, older page")
    assert page.get_by_text("Contact number 30.").is_visible()
    follow(page, "Newer items")
    assert page.get_by_text("Contact number 0.").is_visible()

    page.get_by_label("From", exact=True).fill("31/2/2026")
    press(page, "Show items")
    check("timeline, a date that does not exist")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_text("The from date must be a real date").is_visible()
    summary.get_by_role("link").first.click()
    assert page.get_by_label("From", exact=True).evaluate(
        "field => field === document.activeElement"
    )

    page.get_by_label("From", exact=True).fill("20/3/2026")
    page.get_by_label("To", exact=True).fill("20/3/2026")
    press(page, "Show items")
    check("timeline, narrowed to a day")
    assert page.get_by_text("Contact number 12.").is_visible()  # midnight on the 20th
    assert page.get_by_text("Contact number 13.").count() == 0  # 11pm on the 19th
    check.assert_clean()


def test_the_timeline_pages_and_narrows_without_javascript(
    page_without_javascript,
    live_server,
    council,  # noqa: F811
    resident,  # noqa: F811
):
    page = page_without_javascript
    long_history(resident)
    sign_in(page, live_server, member(council, Role.ADVISER, team=False))
    page.goto(f"{live_server.url}/staff/customers/{resident.pk}/")
    follow(page, "Older items")
    assert page.get_by_text("Contact number 39.").is_visible()
    page.get_by_label("Contacts", exact=True).check()
    page.get_by_label("To", exact=True).fill("19/3/2026")
    press(page, "Show items")
    assert page.get_by_text("Contact number 13.").is_visible()
    assert page.get_by_text("Contact number 12.").count() == 0
    assert page.get_by_label("Contacts", exact=True).is_checked()
