"""One front door in a real browser: a Wrekin resident reports a pothole at a place in
Shropshire and finishes on Shropshire's journey with the place and answers kept, with and
without JavaScript, and no WCAG 2.2 AA problems on the way. A place in Powys, a council not on
this installation, links to its report page with the place (ADR 0048)."""

from __future__ import annotations

import pytest

from civicdesk.cases.models import Case
from civicdesk.demo.neighbours import demo_neighbours_create

from ..report_setup import IN_SHROPSHIRE, councils
from ..test_report_handover import shropshire_pothole_create
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def places():
    found = councils()
    shropshire_pothole_create(found.shropshire)
    return found


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def report_from_wrekin_to_shropshire(page, live_server, check) -> None:
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    assert heading(page) == "Where is the pothole?"
    page.get_by_text("Enter a latitude and longitude instead").click()
    page.get_by_label("Latitude (optional)").fill(str(IN_SHROPSHIRE[0]))
    page.get_by_label("Longitude (optional)").fill(str(IN_SHROPSHIRE[1]))
    press(page, "Continue")
    assert heading(page) == "Shropshire Council looks after this place"
    assert "Map position 52.70000, -2.70000" in page.inner_text("main")
    assert check(page) == []
    press(page, "Continue with Shropshire Council")
    assert "/shropshire/report/pothole/" in page.url
    assert "You are now reporting this to Shropshire Council" in page.inner_text("main")
    assert heading(page) == "How deep is it, in centimetres?"
    assert check(page) == []
    page.get_by_label("How deep is it, in centimetres?").fill("6")
    press(page, "Continue")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    press(page, "Continue")
    page.get_by_label("Which lane is it in?").fill("Northbound")
    press(page, "Continue")
    press(page, "Continue")  # no photo
    press(page, "Continue without giving details")
    assert heading(page) == "Check your answers before sending"
    assert "Map position 52.70000, -2.70000" in page.inner_text("main")
    assert check(page) == []
    press(page, "Send")
    assert "Report sent" in page.inner_text(".govuk-panel")
    case = Case.objects.select_related("organisation").get()
    assert case.organisation.slug == "shropshire"
    assert (case.latitude, case.longitude) == IN_SHROPSHIRE


def test_a_wrekin_resident_finishes_on_shropshires_journey_without_javascript(
    page_without_javascript, axe_of, live_server, places
):
    report_from_wrekin_to_shropshire(page_without_javascript, live_server, axe_of)


def test_a_wrekin_resident_finishes_on_shropshires_journey_with_javascript(
    page, live_server, places
):
    report_from_wrekin_to_shropshire(page, live_server, axe_violations)


def test_a_wrekin_resident_at_welshpool_is_linked_to_powys_report_page(
    page_without_javascript, axe_of, live_server, places
):
    demo_neighbours_create()
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    page.get_by_text("Enter a latitude and longitude instead").click()
    page.get_by_label("Latitude (optional)").fill("52.66")
    page.get_by_label("Longitude (optional)").fill("-3.147")
    press(page, "Continue")

    assert heading(page) == "We cannot take this report"
    link = page.get_by_role("link", name="Report it to Powys County Council at this place")
    assert link.get_attribute("href") == (
        "https://www.fixmystreet.com/report/new?latitude=52.660000&longitude=-3.147000"
    )
    assert "phone them on 01632 960700" in page.inner_text("main")
    assert "Map position 52.66000, -3.14700" in page.inner_text("main")
    assert axe_of(page) == []
