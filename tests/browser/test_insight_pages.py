"""The insight pages in a real browser: axe-core finds no WCAG 2.2 AA problems on any of them
(with errors showing too), and the dashboard's filters work from the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.feedback.services import (
    contact_rating_record,
    micro_survey_answer,
    micro_survey_create,
    survey_responses_import,
    survey_round_create,
)
from civicdesk.insight.services import insight_refresh
from civicdesk.organisations.choices import Role
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
def figures(council, missed_bin):
    now = timezone.now()
    for days_ago, channel in [(1, "phone"), (3, "email"), (8, "web"), (8, "phone")]:
        factories.ContactFactory(
            organisation=council,
            request_type=missed_bin,
            channel=channel,
            started_at=now - timedelta(days=days_ago),
        )
    factories.CaseFactory(
        organisation=council,
        request_type=missed_bin,
        channel="email",
        status="resolved",
        opened_at=now - timedelta(days=9),
        resolved_at=now - timedelta(days=2),
        due_at=now - timedelta(days=1),
    )
    for text in ("Bin not emptied again", "Bin left in the road", "Lovely helpful staff"):
        contact_rating_record(
            organisation=council,
            rating="poor",
            reasons=["speed"],
            comment=text,
            source="portal",
            channel="web",
        )
    park = micro_survey_create(
        organisation=council, place="Town Park", question="How was the park?"
    )
    micro_survey_answer(
        survey=park, rating="good", comment="Clean and tidy", device="a", address="10.0.0.1"
    )
    survey_round = survey_round_create(
        organisation=council, kind="resident", name="2025", held_on=now.date()
    )
    survey_responses_import(
        survey_round=survey_round,
        csv_text="overall,ease,staff,speed,trust,recommend,comment\n8,8,8,8,8,9,\n7,7,7,7,7,5,\n",
    )
    insight_refresh()
    return {"park": park, "round": survey_round}


def test_every_insight_page_passes_axe(browser, live_server, council, figures):
    manager = factories.StaffFactory(organisation=council, role=Role.MANAGER)
    page = signed_in(browser, live_server, manager)
    problems = {}

    def check(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(f"{live_server.url}{path}")
        problems[name] = axe_violations(page)

    check("dashboard", "/staff/insight/")
    assert page.locator("svg[role=img]").count() >= 10
    check("dashboard, error", "/staff/insight/?start=2026-02-30")
    check("definitions", "/staff/insight/definitions/")
    check("themes", "/staff/insight/themes/")
    with page.expect_navigation():
        page.get_by_role("link", name="bin", exact=True).click()
    check("theme")
    check("places", "/staff/insight/places/")
    with page.expect_navigation():
        page.get_by_role("button", name="Add survey").click()
    check("places, error")
    check("place", f"/staff/insight/places/{figures['park'].pk}/")
    check("surveys", "/staff/insight/surveys/")
    with page.expect_navigation():
        page.get_by_role("button", name="Add round and then its responses").click()
    check("surveys, error")
    check("import", f"/staff/insight/surveys/{figures['round'].pk}/responses/")
    with page.expect_navigation():
        page.get_by_role("button", name="Add responses").click()
    check("import, error")

    officer = factories.StaffFactory(organisation=council, role=Role.OFFICER)
    officer_page = signed_in(browser, live_server, officer)
    officer_page.goto(f"{live_server.url}/staff/insight/")
    problems["not allowed"] = axe_violations(officer_page)
    officer_page.goto(f"{live_server.url}/staff/insight/ratings/record/")
    problems["record a rating"] = axe_violations(officer_page)
    with officer_page.expect_navigation():
        officer_page.get_by_role("button", name="Record rating").click()
    problems["record a rating, error"] = axe_violations(officer_page)
    officer_page.get_by_label("Average").check()
    with officer_page.expect_navigation():
        officer_page.get_by_role("button", name="Record rating").click()
    problems["record a rating, recorded"] = axe_violations(officer_page)
    assert {name: found for name, found in problems.items() if found} == {}


def test_filters_work_from_the_keyboard(browser, live_server, council, figures):
    manager = factories.StaffFactory(organisation=council, role=Role.MANAGER)
    page = signed_in(browser, live_server, manager)
    page.goto(f"{live_server.url}/staff/insight/")
    channel = page.get_by_label("Channel", exact=True)
    channel.focus()
    channel.select_option("phone")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Show figures"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "channel=phone" in page.url
    figure = page.get_by_role("region", name="Contacts by channel (table)")
    assert figure.get_by_role("rowheader").all_inner_texts() == ["Phone"]
