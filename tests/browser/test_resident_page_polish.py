"""Issue 15 in a real browser: preferences that say what is missing, "it's not fixed" with what
is still wrong, the account's requests on a 320 pixel screen, placing the map's pin by keyboard,
the council's own "page not found" and error pages, and the favicon. Every page passes axe,
including its "region" rule: nothing, not even a back link, sits outside a landmark."""

from __future__ import annotations

from unittest import mock

import pytest

from ..report_setup import councils
from . import test_account_journey
from .conftest import axe_violations
from .test_account_journey import open_case, sign_in_with_link, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The account journey's council, resident (with an account) and officer, by the same names.
council = test_account_journey.council
resident = test_account_journey.resident
officer = test_account_journey.officer
fresh_cache = test_account_journey.fresh_cache


def save_preferences(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save preferences").click()


def test_letters_need_an_address_which_the_resident_can_give_without_javascript(
    page_without_javascript, axe_of, live_server, council, resident
):
    page = page_without_javascript
    sign_in_with_link(page, live_server, "ann@example.com")
    visit(page, live_server, "/wrekin/account/preferences/")
    page.get_by_label("Letter").check()
    save_preferences(page)
    assert "Enter your address to get letters" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    with page.expect_navigation():
        page.locator(".govuk-error-summary").get_by_role("link").first.click()
    assert page.url.endswith("#address_line_1")

    page.get_by_label("Text message").check()
    save_preferences(page)
    assert "Enter a mobile number to get text messages" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []

    page.get_by_label("Letter").check()
    page.get_by_label("Address line 1").fill("1 High Street")
    page.get_by_label("Postcode").fill("TF3")
    save_preferences(page)
    assert "Enter a real postcode" in page.inner_text(".govuk-error-summary")
    assert page.get_by_label("Address line 1").input_value() == "1 High Street"
    assert axe_of(page) == []
    page.get_by_label("Postcode").fill("tf3 4ja")
    save_preferences(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert "Your contact preferences have been saved" in page.inner_text("main")
    visit(page, live_server, "/wrekin/account/preferences/")
    assert "Postal address: 1 High Street, TF3 4JA" in page.inner_text("main")
    assert page.get_by_label("Letter").is_checked()
    assert axe_of(page) == []


def test_saying_what_is_still_wrong_with_javascript(page, live_server, council, resident, officer):
    case = open_case(resident, officer, resolved_days_ago=1)
    sign_in_with_link(page, live_server, "ann@example.com")
    visit(page, live_server, f"/wrekin/account/requests/{case.reference}/fixed/")
    page.get_by_label("No, it is not fixed").check()
    box = page.get_by_label("If it is not fixed, what is still wrong?")
    box.fill("The lid is still broken.")
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "The lid is still broken." in page.inner_text("main")


def test_the_accounts_requests_fit_a_320_pixel_screen(
    page, live_server, council, resident, officer
):
    for days in (None, 3):
        open_case(resident, officer, resolved_days_ago=days)
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in_with_link(page, live_server, "ann@example.com")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    widest = page.evaluate("() => document.documentElement.scrollWidth")
    assert widest <= 320
    first_row = page.locator("table tbody tr").first.inner_text()
    assert "Reference" in first_row and "Status" in first_row
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1024, "height": 768})
    assert page.locator("table thead").is_visible()
    assert not page.locator(".civicdesk-stacked-table__label").first.is_visible()


def test_the_map_pin_can_be_placed_by_keyboard(page, live_server):
    councils()
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    the_map = page.locator("#report-map")
    the_map.wait_for(state="visible")
    assert "press Enter to put the pin" in page.inner_text("#report-map-keys")
    page.get_by_label("Street name, or describe where it is").focus()
    page.keyboard.press("Shift+Tab")
    for _ in range(10):
        if page.evaluate("() => document.activeElement.id") == "report-map":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == "report-map"
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.getElementById('report-map'));"
        " return [s.outlineStyle, s.outlineColor, s.boxShadow]; }"
    )
    assert outline[0] == "solid" and outline[1] == "rgb(255, 221, 0)"
    assert "rgb(11, 12, 12)" in outline[2]
    assert page.locator(".civicdesk-report-map__crosshair").is_visible()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.locator("#where-latitude").input_value() != ""
    assert page.locator("#where-longitude").input_value() != ""
    assert "You chose a place on the map" in page.inner_text("#report-map-chosen")
    assert page.locator(".leaflet-interactive").count() >= 1
    assert axe_violations(page) == []


def test_page_not_found_and_error_pages_are_the_councils_own(
    page_without_javascript, axe_of, live_server, council
):
    page = page_without_javascript
    response = visit(page, live_server, "/wrekin/feedback/place/no-such-survey/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert "Wrekin Council" in page.inner_text("header")
    assert axe_of(page) == []

    response = visit(page, live_server, "/nowhere-at-all/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert axe_of(page) == []

    def ask_for_a_request() -> int:
        visit(page, live_server, "/wrekin/track/")
        page.get_by_label("Your reference").fill("K7RM-4XQD")
        page.get_by_label("Email address or phone number").fill("ann@example.com")
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Show my request").click()
        return navigation.value.status

    with mock.patch(
        "civicdesk.portal.views.case_for_tracking", side_effect=RuntimeError("a fault")
    ):
        assert ask_for_a_request() == 500
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == "Sorry, there is a problem with the service"
        assert "Wrekin Council" in page.inner_text("header")
        assert "a fault" not in page.content()
        assert axe_of(page) == []
        with mock.patch(
            "civicdesk.portal.errors.organisation_by_slug", side_effect=RuntimeError("no database")
        ):
            assert ask_for_a_request() == 500
        assert "CivicDesk" in page.inner_text("header")
        assert axe_of(page) == []


def test_the_favicon_is_there(page, live_server, council):
    response = visit(page, live_server, "/favicon.ico")
    assert response.status == 200
    visit(page, live_server, "/wrekin/")
    icons = page.evaluate(
        "() => [...document.querySelectorAll('link[rel=icon]')].map((link) => link.href)"
    )
    assert f"{live_server.url}/favicon.ico" in icons
