"""Resident pages in a real browser: they work, and axe-core finds no WCAG 2.2 AA problems."""

from __future__ import annotations

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.core.audit import Actor
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.feedback.models import PageFeedback

from .. import factories
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def council():
    council = factories.OrganisationFactory(
        name="Wrekin Council",
        slug="wrekin",
        phone="01632 960100",
        emergency_phone="01632 960199",
        logo="portal/logos/telford-wrekin.svg",
    )
    missed_bin = factories.RequestTypeFactory(
        organisation=council,
        key="missed-bin",
        name="Report a missed bin collection",
        description="Your bin was not emptied on your collection day.",
    )
    factories.QuestionFactory(
        request_type=missed_bin,
        key="bin",
        label="Which bin was missed?",
        kind="choice",
        choices=["General waste", "Recycling"],
    )
    factories.CharterTargetFactory(
        request_type=missed_bin, amount=2, unit="working_days", summary="collect your bin"
    )
    factories.RequestTypeFactory(
        organisation=council, key="fallen-tree", name="Report a fallen tree", emergency=True
    )
    return council


def visit(page, live_server, path: str):
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None
    return response


@pytest.mark.parametrize(
    "path",
    [
        "/wrekin/",
        "/wrekin/services/",
        "/wrekin/services/?q=my+bin+wasnt+emptied",
        "/wrekin/services/?q=zzzz",
        "/wrekin/services/missed-bin/",
        "/wrekin/services/fallen-tree/",
        "/wrekin/contact/",
        "/wrekin/track/",
        "/wrekin/staff/sign-in/",
    ],
)
def test_every_page_passes_axe(page, live_server, council, path):
    assert visit(page, live_server, path).status == 200
    assert axe_violations(page) == []


def test_finding_a_service_in_plain_words(page, live_server, council):
    visit(page, live_server, "/wrekin/")
    page.get_by_label("What do you need help with?").fill("my bin wasn't emptied")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Report a missed bin collection").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Report a missed bin collection"
    assert "We aim to collect your bin within 2 working days." in page.content()


def test_emergency_services_say_to_phone_the_24_hour_line(page, live_server, council):
    visit(page, live_server, "/wrekin/services/fallen-tree/")
    assert "phone our 24-hour line on 01632 960199" in page.inner_text("main")


def test_tracking_shows_errors_then_the_request(
    page_without_javascript, live_server, council, axe_of
):
    page = page_without_javascript
    resident = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith", emails=["ann@example.com"]),
        actor=Actor(label="Test"),
    )
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=Actor(label="Test"),
    )
    visit(page, live_server, "/wrekin/track/")
    with page.expect_navigation():
        page.get_by_role("button", name="Show my request").click()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter your reference" in summary
    assert "Enter the email address or phone number you gave us" in summary
    assert axe_of(page) == []

    page.get_by_label("Your reference").fill(case.reference.lower())
    page.get_by_label("Email address or phone number").fill("someone.else@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Show my request").click()
    assert "We could not find a request" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_label("Your reference").input_value() == case.reference.lower()

    page.get_by_label("Email address or phone number").fill("ANN@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Show my request").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Request {case.reference}"
    assert "New" in page.inner_text("main")
    assert axe_of(page) == []


def test_page_feedback_without_javascript(page_without_javascript, live_server, council, axe_of):
    page = page_without_javascript
    visit(page, live_server, "/wrekin/services/missed-bin/")
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    assert "Select yes if you found what you were looking for" in page.inner_text("main")
    assert axe_of(page) == []
    page.get_by_label("No").check()
    page.get_by_label("Tell us more (optional)").fill("Call me on 07700 900123, I need a new bin")
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    assert page.url.endswith("/wrekin/services/missed-bin/#page-feedback-heading")
    assert "Thank you for your feedback." in page.inner_text("main")
    stored = PageFeedback.objects.get()
    assert (stored.path, stored.found) == ("/wrekin/services/missed-bin/", False)
    assert "07700" not in stored.comment
    assert "need a new bin" in stored.comment


def test_the_accessibility_check_does_catch_problems(page):
    page.set_content(
        '<html lang="en"><head><title>Broken</title></head>'
        '<body><main><input type="text"><img src="x.png"></main></body></html>'
    )
    found = " ".join(axe_violations(page))
    assert "label" in found
    assert "image-alt" in found


def test_the_installation_front_page_passes_axe(page, live_server, council):
    factories.OrganisationFactory(name="Severn Council", slug="severn")
    assert visit(page, live_server, "/").status == 200
    assert page.get_by_role("link", name="Wrekin Council").is_visible()
    assert axe_violations(page) == []


def test_the_council_brand_not_gov_uk(page, live_server, council):
    visit(page, live_server, "/wrekin/")
    header = page.locator("header.civicdesk-header")
    assert header.inner_text().strip().startswith("Wrekin Council")
    logo = header.locator("img.civicdesk-header__logo")
    assert logo.evaluate("image => image.complete && image.naturalWidth > 0")
    html = page.content()
    assert "GOV.UK" not in page.inner_text("body")
    assert "Crown copyright" not in html.replace("© Crown copyright and database right", "")
    fonts = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "GDS Transport" not in fonts


def test_reception_staff_sign_in_goes_to_the_workspace_sign_in(page, live_server, council):
    visit(page, live_server, "/wrekin/staff/sign-in/")
    page.get_by_label("Sign-in name").fill("nobody")
    page.get_by_label("Password", exact=True).fill("wrong")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue", exact=True).click()
    assert "a member of staff" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations(page) == []
