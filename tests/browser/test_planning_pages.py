"""The planning pages in a real browser: axe-core finds no WCAG 2.2 AA problems on any of them,
with errors showing too, and the what-if works with the button alone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.contacts.models import Contact
from civicdesk.core.calendar import LONDON
from civicdesk.organisations.choices import Role
from civicdesk.planning.services import RotaLine, rota_replace
from civicdesk.web.staff import mark_two_factors_passed

from .. import factories
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, staff):
    session = Client()
    session.force_login(staff.user)
    store = session.session
    mark_two_factors_passed(store, staff.user)
    store.save()
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": "sessionid", "value": store.session_key, "url": live_server.url}])
    return context.new_page()


@pytest.fixture
def history(council):
    """Three weeks of calls and emails, and someone on the phones on weekdays."""
    today = timezone.localdate()
    contacts = []
    for back in range(1, 22):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for number in range(12):
            moment = datetime.combine(day, time(9 + number // 4, 15 * (number % 4)), LONDON)
            contacts += [
                Contact(
                    organisation=council,
                    channel=channel,
                    direction="inbound",
                    started_at=moment,
                    duration_seconds=240 if channel == "phone" else None,
                    reason="information",
                    outcome="resolved_first_contact",
                )
                for channel in ("phone", "email")
            ]
    Contact.objects.bulk_create(contacts)
    rota_replace(
        organisation=council,
        lines=[
            RotaLine("Sam Patel", "phone", day, "09:00", "17:00")
            for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
        ],
    )


def test_every_planning_page_passes_axe(browser, live_server, council, history):
    manager = factories.StaffFactory(organisation=council, role=Role.MANAGER)
    page = signed_in(browser, live_server, manager)
    problems = {}

    def check(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(f"{live_server.url}{path}")
        problems[name] = axe_violations(page)

    check("plan", "/staff/planning/")
    assert page.locator("svg[role=img]").count() == 2
    page.get_by_label("Handle time (seconds)").fill("600")
    with page.expect_navigation():
        page.get_by_role("button", name="Work it out").click()
    assert "600 seconds, as you asked" in " ".join(page.content().split())
    check("plan, what if")
    check("plan, error", "/staff/planning/?handle=-1&day=soon")
    check("forecast", "/staff/planning/forecast/")
    check("forecast, error", "/staff/planning/forecast/?weeks=12")
    check("written", "/staff/planning/written/")
    check("written, error", "/staff/planning/written/?minutes=0")
    check("rota", "/staff/planning/rota/")
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the rota").click()
    assert "There is a problem" in page.content()
    check("rota, error")
    check("definitions", "/staff/planning/definitions/")
    assert {name: found for name, found in problems.items() if found} == {}
