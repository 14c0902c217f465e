"""Service pages that end in an action, bin days and loosely typed places, in a real browser
with JavaScript off, each page checked with axe-core."""

from __future__ import annotations

from datetime import date, time

import pytest

from civicdesk.appointments.choices import SessionKind, VenueKind
from civicdesk.appointments.services import session_add, venue_create, venue_hours_set
from civicdesk.core.audit import SYSTEM
from civicdesk.geo.services import collection_round_save, landmark_save

from .. import factories
from ..report_setup import square, street

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def council():
    council = factories.OrganisationFactory(
        name="Wrekin Council",
        slug="wrekin",
        phone="01632 960100",
        emergency_phone="01632 960199",
        boundary=square(-2.6, 52.6, -2.4, 52.8),
        logo="portal/logos/telford-wrekin.svg",
    )
    for key, name, kind in (
        ("bin-day", "Check your bin collection day", "information"),
        ("digital-help", "Get help to go online", "information"),
        ("gritting", "Gritting and winter roads", "information"),
        ("missed-bin", "Report a missed bin collection", "report"),
    ):
        factories.RequestTypeFactory(organisation=council, key=key, name=name, kind=kind)
    pothole = factories.RequestTypeFactory(
        organisation=council, key="pothole", name="Report a pothole"
    )
    factories.QuestionFactory(
        request_type=pothole, key="where", label="Where is the pothole?", kind="location"
    )
    hub = venue_create(
        organisation=council,
        name="Wellington community hub",
        kind=VenueKind.COMMUNITY_HUB,
        address="Community Centre, Wellington",
    )
    venue_hours_set(
        venue=hub, hours={day: [(time(9, 30), time(15, 30))] for day in (0, 2)}, actor=SYSTEM
    )
    session_add(
        venue=hub,
        kind=SessionKind.DIGITAL_HELP,
        weekday=1,
        starts=time(10),
        ends=time(12),
        summary="Free help to go online.",
        actor=SYSTEM,
    )
    station = street(
        council, "1", "Station Road", [[-2.52, 52.70], [-2.50, 52.70]], locality="Wellington"
    )
    street(council, "2", "High Street", [[-2.45, 52.637], [-2.44, 52.637]], locality="Madeley")
    street(council, "3", "High Street", [[-2.47, 52.656], [-2.46, 52.656]], locality="Dawley")
    landmark_save(
        organisation=council,
        name="Wellington Library",
        also_known_as="the library",
        street=station,
        latitude=52.7,
        longitude=-2.51,
    )
    for bin_type in ("general", "recycling"):
        collection_round_save(
            organisation=council,
            name=f"TF1 {bin_type}",
            bin_type=bin_type,
            first_collection=date(2026, 1, 5),
            every_weeks=2,
            postcode_areas="TF1",
            localities="Wellington, Madeley",
        )
    return council


def heading(page) -> str:
    return page.locator("h1, legend h1, label h1").first.inner_text().strip()


def submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


@pytest.mark.parametrize("key", ["bin-day", "digital-help", "gritting"])
def test_information_service_pages_end_in_an_action_and_pass_axe(
    page_without_javascript, axe_of, live_server, council, key
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/services/{key}/")
    shown = page.inner_text("main")
    assert "Tuesdays, 10am to 12 noon" in shown or key == "digital-help"
    if key == "bin-day":
        assert page.get_by_label("What is your postcode?").is_visible()
    elif key == "digital-help":
        assert "Come to a free drop-in session" in shown and "Tuesdays, 10am to 12 noon" in shown
    else:
        assert "Where to go" in shown and "Monday and Wednesday" not in shown
        assert "Open Monday, 9:30am to 3:30pm; Wednesday, 9:30am to 3:30pm" in shown
    assert axe_of(page) == []


def test_bin_day_by_postcode_without_javascript(
    page_without_javascript, axe_of, live_server, council
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/bin-day/")
    assert heading(page) == "What is your postcode?"
    assert axe_of(page) == []
    page.get_by_label("What is your postcode?").fill("TF1")
    submit(page, "Find my bin days")
    assert "Enter a full postcode, like TF1 1LX" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    page.get_by_label("What is your postcode?").fill("tf1 1aa")
    submit(page, "Find my bin days")
    assert heading(page) == "Your bin collection days"
    shown = page.inner_text("main")
    assert "For TF1 1AA" in shown and "General waste" in shown and "Recycling" in shown
    assert "tf1" not in page.url.lower()
    assert axe_of(page) == []


def test_bin_day_by_choosing_a_street_without_javascript(
    page_without_javascript, axe_of, live_server, council
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/bin-day/")
    page.get_by_text("I do not know my postcode").click()
    page.get_by_label("The name of your street").fill("High St")
    submit(page, "Find my bin days")
    assert heading(page) == "Which street do you live on?"
    assert axe_of(page) == []
    submit(page, "Find my bin days")
    assert "Select your street" in page.inner_text(".govuk-error-summary")
    page.get_by_label("High Street, Madeley").check()
    submit(page, "Find my bin days")
    assert "For High Street, Madeley" in page.inner_text("main")


def test_a_town_with_rounds_on_different_days_asks_for_the_postcode_without_javascript(
    page_without_javascript, axe_of, live_server, council
):
    # Part of Madeley is in TF7, whose general waste goes on Thursdays, not Mondays as in TF1.
    collection_round_save(
        organisation=council,
        name="TF7 general",
        bin_type="general",
        first_collection=date(2026, 1, 8),
        every_weeks=2,
        postcode_areas="TF7",
        localities="Madeley",
    )
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/bin-day/")
    page.get_by_text("I do not know my postcode").click()
    page.get_by_label("The name of your street").fill("High St")
    submit(page, "Find my bin days")
    page.get_by_label("High Street, Madeley").check()
    submit(page, "Find my bin days")
    assert heading(page) == "We need your postcode"
    assert axe_of(page) == []
    page.get_by_label("Postcode").first.fill("TF1 1AA")
    submit(page, "Find my bin days")
    answer = page.inner_text("main")
    assert "For TF1 1AA" in answer and "General waste" in answer


def test_a_place_typed_in_words_finds_the_landmarks_street(
    page_without_javascript, axe_of, live_server, council
):
    page = page_without_javascript
    page.goto(f"{live_server.url}/wrekin/report/pothole/")
    page.get_by_label("Street name, or describe where it is").fill(
        "outside the library on Station Road"
    )
    submit(page, "Continue")
    assert "We took this to be Wellington Library, Station Road, Wellington" in page.inner_text(
        ".govuk-notification-banner"
    )
    assert axe_of(page) == []
    # A typo is offered as a choice, saying why.
    page.goto(f"{live_server.url}/wrekin/report/pothole/question/where/")
    page.get_by_label("Street name, or describe where it is").fill("by the bus stop, Staton Road")
    submit(page, "Continue")
    assert heading(page) == "Which street is it?"
    assert "spelt like" in page.inner_text("main")
    assert axe_of(page) == []
