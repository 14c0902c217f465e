"""The report journey in a real browser: with and without JavaScript, by keyboard alone, and
with no WCAG 2.2 AA problems on any page, errors included."""

from __future__ import annotations

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case, CaseFollower
from civicdesk.core.audit import SYSTEM

from ..report_setup import IN_SHROPSHIRE, PNG, STATION_ROAD, councils
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def places():
    return councils()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def continue_(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Continue", exact=True).click()


def test_missed_bin_without_javascript_end_to_end(
    page_without_javascript, axe_of, live_server, places
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/services/missed-bin/")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    assert heading(page) == "Which bin was missed?"
    assert axe_of(page) == []
    continue_(page)
    assert "Select which bin was missed" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    page.get_by_label("Recycling").check()
    continue_(page)
    page.get_by_label("Anything else we should know?").fill("It was out by 7am")
    continue_(page)
    assert heading(page) == "Your details"
    assert axe_of(page) == []
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_label("Email", exact=True).check()
    continue_(page)
    assert "Enter an email address in the correct format" in page.inner_text(".govuk-error-summary")
    assert page.get_by_label("Full name").input_value() == "Sam Patel"
    assert axe_of(page) == []
    page.get_by_label("Email address").fill("sam@example.com")
    continue_(page)
    assert heading(page) == "Check your answers before sending"
    assert axe_of(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Change which bin was missed").click()
    assert page.get_by_label("Recycling").is_checked()
    page.get_by_label("General waste").check()
    continue_(page)
    assert heading(page) == "Check your answers before sending"
    assert "General waste" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    case = Case.objects.get()
    assert case.reference in page.inner_text(".govuk-panel")
    assert "We aim to collect your bin by" in page.inner_text("main")
    assert axe_of(page) == []


def test_location_by_clicking_the_map_with_javascript(page, live_server, places):
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    assert heading(page) == "Where is the pothole?"
    map_area = page.locator("#report-map")
    map_area.wait_for(state="visible")
    assert page.locator(".leaflet-interactive, .leaflet-overlay-pane svg").count() > 0
    assert axe_violations(page) == []
    box = map_area.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.locator("#where-latitude").input_value() != ""
    assert "You chose a place on the map" in page.inner_text("#report-map-chosen")
    continue_(page)
    assert heading(page) == "How deep is it, in centimetres?"
    page.get_by_label("How deep is it, in centimetres?").fill("6")
    continue_(page)
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    continue_(page)
    page.get_by_label("Add a photo").set_input_files(
        {"name": "hole.png", "mimeType": "image/png", "buffer": PNG}
    )
    continue_(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue without giving details").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "Report sent" in page.inner_text(".govuk-panel")
    case = Case.objects.get()
    assert abs(case.latitude - 52.7) < 0.02 and abs(case.longitude + 2.5) < 0.02
    assert case.attachments.count() == 1


def test_location_by_typing_a_street_without_javascript(
    page_without_javascript, axe_of, live_server, places
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    assert not page.locator("#report-map").is_visible()
    assert axe_of(page) == []
    continue_(page)
    assert "Choose a point on the map or describe the location" in page.inner_text(
        ".govuk-error-summary"
    )
    assert axe_of(page) == []
    page.get_by_label("Street name, or describe where it is").fill("Station Road")
    continue_(page)
    assert heading(page) == "Which street is it?"
    assert axe_of(page) == []
    page.get_by_label("Station Road, Wellington").check()
    continue_(page)
    assert heading(page) == "How deep is it, in centimetres?"
    page.get_by_label("How deep is it, in centimetres?").fill("6")
    continue_(page)
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("14")
    page.get_by_label("Year").fill("2026")
    continue_(page)
    assert "must be a real date" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    page.get_by_label("Month").fill("11")
    continue_(page)
    page.get_by_label("Add a photo").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"}
    )
    continue_(page)
    assert "must be a PDF, JPG or PNG" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    continue_(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue without giving details").click()
    assert "Station Road, Wellington" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    case = Case.objects.get()
    assert case.location_text == "Station Road, Wellington"
    assert (round(case.latitude, 3), round(case.longitude, 3)) == STATION_ROAD


def tab_to(page, wanted: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text, label or value holds ``wanted``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
                return [el.innerText || "", label, el.value || ""].join(" | ");
            }"""
        )
        if wanted in focused:
            return
    raise AssertionError(f"Could not reach {wanted!r} with the Tab key")


def test_missed_bin_by_keyboard_only(page, live_server, places):
    page.goto(f"{live_server.url}/wrekin/services/missed-bin/")
    tab_to(page, "Start now")
    page.keyboard.press("Enter")
    page.wait_for_url("**/question/bin/")
    tab_to(page, "General waste")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    page.keyboard.press("Space")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/question/details/")
    tab_to(page, "Anything else we should know?")
    page.keyboard.type("Left by the gate")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/your-details/")
    tab_to(page, "Full name")
    page.keyboard.type("Sam Patel")
    tab_to(page, "Email address")
    page.keyboard.type("sam@example.com")
    tab_to(page, "Email")
    page.keyboard.press("Space")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/check/")
    tab_to(page, "Send")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sent/")
    case = Case.objects.get()
    assert case.answers["bin"] == "Recycling"
    assert case.reference in page.inner_text(".govuk-panel")


def test_other_councils_places_nearby_reports_and_emergencies_pass_axe(
    page_without_javascript, axe_of, live_server, places
):
    page = page_without_javascript
    latitude, longitude = STATION_ROAD
    existing = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole",
            channel="phone",
            answers={
                "where": {"latitude": latitude, "longitude": longitude},
                "depth": 5,
                "noticed": "2026-11-01",
            },
        ),
        actor=SYSTEM,
    )
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    page.get_by_text("Enter a latitude and longitude instead").click()
    page.get_by_label("Latitude (optional)").fill(str(IN_SHROPSHIRE[0]))
    page.get_by_label("Longitude (optional)").fill(str(IN_SHROPSHIRE[1]))
    continue_(page)
    assert heading(page) == "We cannot take this report"
    assert "Shropshire Council" in page.inner_text("main")
    assert axe_of(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Choose a different place").click()
    page.get_by_text("Enter a latitude and longitude instead").click()
    page.get_by_label("Latitude (optional)").fill("52.7")
    page.get_by_label("Longitude (optional)").fill("east")
    continue_(page)
    assert "Longitude must be a number" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    page.get_by_label("Longitude (optional)").fill(str(longitude))
    continue_(page)
    assert heading(page) == "Has someone already reported it?"
    assert axe_of(page) == []
    continue_(page)
    assert "Select the report that is yours" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    page.get_by_label(f"{existing.request_type.name}, less than 10 metres away").check()
    continue_(page)
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("Phone number").fill("07700 900982")
    page.get_by_label("Text message").check()
    continue_(page)
    assert heading(page) == "You are following this report"
    assert axe_of(page) == []
    assert CaseFollower.objects.filter(case=existing).count() == 1
    page.goto(f"{live_server.url}/wrekin/report/fallen-tree/")
    assert "phone our 24-hour line on 01632 960199" in page.inner_text("main")
    assert axe_of(page) == []


def test_a_photo_with_a_thousand_character_name_is_explained_not_a_bare_bad_request(
    page_without_javascript, axe_of, live_server, places
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    page.goto(f"{live_server.url}/wrekin/report/pothole/question/photo/")
    page.get_by_label("Add a photo").set_input_files(
        {"name": "a" * 1000 + ".png", "mimeType": "image/png", "buffer": PNG}
    )
    continue_(page)
    assert "Bad Request" not in page.content()
    assert "its name is too long" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Go back to the form").click()
    assert heading(page) == "Add a photo"
