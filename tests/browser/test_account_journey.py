"""A resident's account in a real browser: signing up and in with the emailed link (JavaScript
off), seeing a request, saying it is not fixed, and no WCAG 2.2 AA problems on any account
page, errors included."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from civicdesk.accounts.services import account_register
from civicdesk.cases.attachments import case_attach
from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.documents import Upload
from civicdesk.cases.lifecycle import CaseRequest, case_open, case_transition
from civicdesk.cases.models import Case
from civicdesk.core.audit import Actor
from civicdesk.customers.models import Customer
from civicdesk.customers.services import RESIDENT, CustomerDetails, customer_create
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.web.staff import mark_two_factors_passed

from .. import factories
from ..sample_files import PDF
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/wrekin/account/link/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Sign-in counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def council():
    council = factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    missed_bin = factories.RequestTypeFactory(
        organisation=council, key="missed-bin", name="Report a missed bin collection"
    )
    factories.CharterTargetFactory(
        request_type=missed_bin, amount=2, unit="working_days", summary="collect your bin"
    )
    return council


@pytest.fixture
def officer(council):
    team = council.request_types.get().service_area.team
    return factories.StaffFactory(organisation=council, role=Role.ADVISER, teams=[team])


@pytest.fixture
def resident(council, officer) -> Customer:
    """A resident with an account, who has a request or two from before they had one."""
    customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith", emails=["ann@example.com"]),
        actor=Actor.for_user(officer.user),
    )
    return account_register(
        organisation=council,
        email="ann@example.com",
        first_name="Ann",
        last_name="Smith",
        actor=RESIDENT,
    ).customer


def open_case(resident: Customer, officer, *, resolved_days_ago: int | None = None) -> Case:
    actor = Actor.for_user(officer.user)
    case = case_open(
        organisation=resident.organisation,
        request=CaseRequest(request_type_key="missed-bin", channel="web", customer=resident),
        actor=actor,
    )
    case_attach(case=case, upload=Upload("letter.pdf", PDF), actor=actor)
    if resolved_days_ago is not None:
        case = case_transition(
            case=case,
            to_status=CaseStatus.RESOLVED,
            actor=actor,
            note="We emptied your bin.",
            now=timezone.now() - timedelta(days=resolved_days_ago),
        )
    return case


def emailed_link(email: str) -> str:
    message = OutboxMessage.objects.filter(template="account_sign_in_link", recipient=email).latest(
        "id"
    )
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def visit(page, live_server, path: str):
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None
    return response


def sign_in_with_link(page, live_server, email: str) -> None:
    visit(page, live_server, "/wrekin/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    with page.expect_navigation():
        page.get_by_role("button", name="Email me a sign-in link").click()
    visit(page, live_server, emailed_link(email))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue to your account").click()


def test_sign_up_and_sign_in_with_the_emailed_link_without_javascript(
    page_without_javascript, axe_of, live_server, council
):
    page = page_without_javascript
    visit(page, live_server, "/wrekin/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu").get_by_role("link", name="Sign in").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Create an account").click()
    assert axe_of(page) == []
    page.get_by_label("First name").fill("Dee")
    page.get_by_label("Last name").fill("Walker")
    page.get_by_label("Email address").fill("dee@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert "dee@example.com" in page.inner_text("main")
    assert "dee" not in page.url
    assert axe_of(page) == []

    path = emailed_link("dee@example.com")
    visit(page, live_server, path)
    assert axe_of(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Continue to your account").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert "You have no requests yet" in page.inner_text("main")
    assert page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your account")
    assert axe_of(page) == []

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", level=1).inner_text() == "You have signed out"
    visit(page, live_server, path)
    assert "expired or has already been used" in page.inner_text("main")
    assert axe_of(page) == []

    sign_in_with_link(page, live_server, "dee@example.com")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"


def test_view_a_request_and_say_it_is_not_fixed(
    page_without_javascript, axe_of, live_server, council, resident, officer
):
    case = open_case(resident, officer, resolved_days_ago=2)
    page = page_without_javascript
    sign_in_with_link(page, live_server, "ann@example.com")
    with page.expect_navigation():
        page.get_by_role("link", name=case.reference).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Request {case.reference}"
    main = page.inner_text("main")
    assert "We emptied your bin." in main and "letter.pdf" in main
    assert axe_of(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="letter.pdf").click()
    assert download.value.suggested_filename == "letter.pdf"

    with page.expect_navigation():
        page.get_by_role("link", name="Tell us whether it is fixed").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "Select yes if the problem is fixed" in page.inner_text("main")
    assert axe_of(page) == []
    page.get_by_role("group", name="Is the problem fixed?").get_by_label("No").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "Tell us what is still wrong" in page.inner_text(".govuk-error-summary")
    assert axe_of(page) == []
    page.get_by_label("What is still wrong?").fill("The green bin was left behind again.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "We have reopened your request" in page.inner_text("main")
    assert "The green bin was left behind again." in page.inner_text("main")
    assert axe_of(page) == []
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED


def errors_shown(page) -> bool:
    return page.locator(".govuk-error-summary").count() == 1


def test_every_account_page_passes_axe_including_errors(
    page, browser, live_server, council, resident, officer, settings
):
    open_case(resident, officer)
    resolved = open_case(resident, officer, resolved_days_ago=1)
    too_late = open_case(resident, officer, resolved_days_ago=40)
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = axe_violations(page)

    for path in (
        "/wrekin/account/sign-in/",
        "/wrekin/account/sign-in/password/",
        "/wrekin/account/create/",
        "/wrekin/account/link/not-a-real-link/",
        "/wrekin/account/signed-out/",
    ):
        visit(page, live_server, path)
        check(path)
    visit(page, live_server, "/wrekin/account/sign-in/")
    with page.expect_navigation():
        page.get_by_role("button", name="Email me a sign-in link").click()
    assert errors_shown(page)
    check("sign in, no email")
    visit(page, live_server, "/wrekin/account/create/")
    page.get_by_label("Email address").fill("not an email")
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    assert errors_shown(page)
    check("create, errors")
    visit(page, live_server, "/wrekin/account/sign-in/password/")
    page.get_by_label("Email address").fill("ann@example.com")
    page.get_by_label("Password").fill("wrong")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert errors_shown(page)
    check("password sign in, wrong")

    sign_in_with_link(page, live_server, "ann@example.com")
    check("account home")
    base = "/wrekin/account/requests"
    for path in (
        f"{base}/{resolved.reference}/",
        f"{base}/{too_late.reference}/",
        f"{base}/{resolved.reference}/fixed/",
        "/wrekin/account/preferences/",
        "/wrekin/account/password/",
    ):
        visit(page, live_server, path)
        check(path)
    first = resident.cases.filter(status=CaseStatus.NEW).get()
    visit(page, live_server, f"{base}/{first.reference}/")
    check("open request")
    with page.expect_navigation():
        page.get_by_role("link", name="Add information or a document").click()
    check("add information")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert errors_shown(page)
    check("add information, empty")
    page.get_by_label("What do you want to tell us?").fill("x" * 5001)
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "5,000 characters or less" in page.locator(".govuk-error-summary").inner_text()
    check("add information, too long")
    page.get_by_label("What do you want to tell us?").fill("It was the green bin")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "We have added your information" in page.inner_text("main")
    check("information added")
    visit(page, live_server, f"{base}/{too_late.reference}/fixed/")
    page.get_by_role("group", name="Is the problem fixed?").get_by_label("No").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "Tell us again" in page.inner_text("main")
    assert not errors_shown(page)
    check("too late to reopen")
    visit(page, live_server, f"{base}/{resolved.reference}/fixed/")
    page.get_by_role("group", name="Is the problem fixed?").get_by_label("No").check()
    page.get_by_label("What is still wrong?").fill("Still not emptied")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "We have reopened your request" in page.inner_text("main")
    visit(page, live_server, f"{base}/{resolved.reference}/fixed/")
    assert "already been reopened" in page.inner_text("h1")
    check("already reopened")
    visit(page, live_server, "/wrekin/account/preferences/")
    page.get_by_label("Add a phone number (optional)").fill("nope")
    with page.expect_navigation():
        page.get_by_role("button", name="Save preferences").click()
    assert errors_shown(page)
    check("preferences, errors")
    visit(page, live_server, "/wrekin/account/password/")
    page.get_by_label("New password").fill("12345678")
    page.get_by_label("Type the password again").fill("12345678")
    with page.expect_navigation():
        page.get_by_role("button", name="Save password").click()
    assert errors_shown(page)
    check("password, too weak")
    page.get_by_label("New password").fill("bin day on tuesday")
    page.get_by_label("Type the password again").fill("bin day on tuesday")
    with page.expect_navigation():
        page.get_by_role("button", name="Save password").click()
    check("password saved")
    visit(page, live_server, "/wrekin/account/assisted/")
    check("assisted, refused")

    staff = browser.new_context(locale="en-GB")
    staff_page = staff.new_page()
    session = Client()
    session.force_login(officer.user)
    signed_in = session.session
    mark_two_factors_passed(signed_in, officer.user)
    signed_in.save()
    staff.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    visit(staff_page, live_server, "/wrekin/account/assisted/")
    problems["assisted"] = axe_violations(staff_page)
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Set up account").click()
    assert errors_shown(staff_page)
    problems["assisted, errors"] = axe_violations(staff_page)
    staff_page.get_by_label("Resident's first name").fill("Eve")
    staff_page.get_by_label("Resident's email address").fill("eve@example.com")
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Set up account").click()
    assert "Account set up" in staff_page.inner_text("main")
    problems["assisted, done"] = axe_violations(staff_page)
    visit(staff_page, live_server, emailed_link("eve@example.com"))
    assert "You are signed in as staff" in staff_page.inner_text("main")
    problems["link while signed in as staff"] = axe_violations(staff_page)
    staff.close()

    assert {name: found for name, found in problems.items() if found} == {}
