"""Urgent and dangerous reports in a real browser, without JavaScript: the 999 page, the
emergency confirmation and the reports already made nearby, each with no WCAG 2.2 AA problems."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.core.audit import SYSTEM

from ..report_setup import STATION_ROAD, councils
from ..test_reporting_urgency import dangerous_pothole_questions, pothole_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def places():
    made = councils()
    dangerous_pothole_questions(made)
    return made


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def choose(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def continue_(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Continue", exact=True).click()


def test_someone_trapped_under_a_tree_is_told_to_phone_999_first(
    page_without_javascript, axe_of, live_server, places
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/fallen-tree/")
    page.get_by_label("Street name, or describe where it is").fill("Park Lane, Wellington")
    continue_(page)
    assert heading(page) == "Is anyone hurt or trapped?"
    choose(page, "Is anyone hurt or trapped?", "Yes")
    continue_(page)
    assert heading(page) == "Phone 999 now"
    main = page.inner_text("main")
    assert "01632 960199" in main
    assert "Do not report this online" in main
    assert axe_of(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="change your answer").click()
    assert heading(page) == "Is anyone hurt or trapped?"
    choose(page, "Is anyone hurt or trapped?", "No")
    continue_(page)
    assert heading(page) == "Your details"
    assert not Case.objects.exists()


def test_a_dangerous_pothole_is_confirmed_as_an_emergency(
    page_without_javascript, axe_of, live_server, places
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/services/pothole/")
    assert "phone our 24-hour line on 01632 960199" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    page.get_by_label("Street name, or describe where it is").fill("Park Lane, Wellington")
    continue_(page)
    page.get_by_label("How deep is it, in centimetres?").fill("8")
    continue_(page)
    page.get_by_label("Day").fill("20")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    continue_(page)
    continue_(page)  # no photo
    page.get_by_label("Road").check()
    continue_(page)
    assert heading(page) == "Is it dangerous to people or vehicles right now?"
    choose(page, "Is it dangerous to people or vehicles right now?", "Yes")
    continue_(page)
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("Email address").fill("sam@example.com")
    page.get_by_label("Email", exact=True).check()
    continue_(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    main = page.inner_text("main")
    assert "We are treating this as an emergency because you told us:" in main
    assert "We aim to make it safe by" in main
    assert "phone our 24-hour line on 01632 960199" in main
    assert Case.objects.get().priority == "emergency"
    assert axe_of(page) == []


def test_a_late_report_nearby_is_shown_honestly_and_can_be_followed(
    page_without_javascript, axe_of, live_server, places
):
    latitude, longitude = STATION_ROAD
    answers = pothole_answers(danger="No", surface="Pavement")
    answers["where"] = {"latitude": latitude, "longitude": longitude + 0.0005}
    existing = case_open(
        organisation=places.wrekin,
        request=CaseRequest(request_type_key="pothole", channel="phone", answers=answers),
        actor=SYSTEM,
        now=timezone.now() - timedelta(days=300),
    )
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    page.get_by_label("Street name, or describe where it is").fill("station")
    continue_(page)
    page.get_by_label("Station Road, Wellington").check()
    continue_(page)
    assert heading(page) == "Has someone already reported it?"
    main = page.inner_text("main")
    assert "Status: Reported, not yet looked at" in main
    assert "Where is the defect? Pavement" in main
    assert "This is late: we aimed to inspect it by" in main
    assert axe_of(page) == []
    page.get_by_label("Report a pothole", exact=False).first.check()
    continue_(page)
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("Email address").fill("sam@example.com")
    page.get_by_label("Email", exact=True).check()
    continue_(page)
    assert heading(page) == "You are following this report"
    main = page.inner_text("main")
    assert existing.reference in main
    assert "This is late" in main
    assert axe_of(page) == []
