"""The staff workspace in a real browser: signing in with two factors, the adviser's journey
(find the caller, log the contact, raise a case), the officer's (take from the queue, update,
resolve), complaints and quality, and no WCAG 2.2 AA problems on any page, errors included."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.core.cache import cache
from django.utils import timezone

from civicdesk.appointments.services import venue_create
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.channels.models import InboundMessage
from civicdesk.complaints.models import ComplaintReason
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember
from civicdesk.quality.models import QualityCriterion

from .. import factories
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-staff-password"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def council():
    council = factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    missed_bin = factories.RequestTypeFactory(
        organisation=council, key="missed-bin", name="Report a missed bin collection"
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
        organisation=council, key="complaint", name="Make a complaint", kind="complaint"
    )
    return council


def member(council, role: str, *, enrolled: bool = True, team: bool = True) -> StaffMember:
    teams = [council.request_types.get(key="missed-bin").service_area.team] if team else []
    staff = factories.StaffFactory(organisation=council, role=role, teams=teams)
    staff.user.set_password(PASSWORD)
    staff.user.save()
    if enrolled:
        staff.totp_secret = pyotp.random_base32()
        staff.totp_confirmed_at = timezone.now()
        staff.save()
    return staff


@pytest.fixture
def resident(council):
    return customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="Ann",
            last_name="Smith",
            emails=["ann.smith@example.com"],
            phones=["07700 900123"],
            address_line_1="4 Holyhead Road",
            town="Wellington",
            postcode="TF1 1AA",
        ),
        actor=Actor(label="Test"),
    )


class Checker:
    """Runs axe-core on each page the journey reaches and keeps what it finds, by name."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: dict[str, list[str]] = {}

    def __call__(self, name: str) -> None:
        self.problems[name] = axe_violations(self.page)

    def assert_clean(self) -> None:
        assert {name: found for name, found in self.problems.items() if found} == {}


def press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).first.click()


def follow(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=name).first.click()


def sign_in(page, live_server, staff: StaffMember, check: Checker | None = None) -> None:
    page.goto(f"{live_server.url}/staff/")
    if check:
        check("sign in")
    page.get_by_label("Sign-in name").fill(staff.user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press(page, "Continue")
    if staff.totp_secret:
        if check:
            check("sign in: code")
        code = pyotp.TOTP(staff.totp_secret).now()
    else:
        if check:
            check("sign in: set up")
        shown = page.locator(".civicdesk-secret").inner_text().replace(" ", "")
        code = pyotp.TOTP(shown).now()
    page.get_by_label("Code from your authenticator app").fill(code)
    press(page, "Sign in" if staff.totp_secret else "Finish and sign in")


def test_the_adviser_finds_the_caller_logs_the_contact_and_raises_a_case(
    page, live_server, council, resident
):
    adviser = member(council, Role.ADVISER, enrolled=False, team=False)
    check = Checker(page)
    page.goto(f"{live_server.url}/staff/sign-in/")
    page.get_by_label("Sign-in name").fill(adviser.user.username)
    page.get_by_label("Password", exact=True).fill("wrong")
    press(page, "Continue")
    check("sign in, error")
    sign_in(page, live_server, adviser, check)
    check("find a customer")

    page.get_by_label("Name, phone, email, postcode, address or case reference").fill("07700900123")
    press(page, "Search")
    check("search results")
    follow(page, "Ann Smith")
    assert page.get_by_role("heading", name="Ann Smith").is_visible()
    check("customer")

    press(page, "Log a contact")
    check("log a contact")
    press(page, "Save contact")
    check("log a contact, errors")
    assert page.get_by_role("link", name="Select why the customer got in touch").is_visible()
    page.get_by_label("Phone", exact=True).check()
    page.get_by_label("New request").check()
    page.get_by_label("Raise a new case").check()
    page.get_by_label("Notes (optional)").fill("Bin missed twice")
    press(page, "Save contact")

    page.get_by_label("Service").select_option("missed-bin")
    press(page, "Choose service")
    press(page, "Raise case")
    check("raise a case, errors")
    page.get_by_label("Recycling").check()
    press(page, "Raise case")
    case = Case.objects.get()
    assert page.get_by_role("heading", name=f"Case {case.reference}").is_visible()
    check("case")
    assert Contact.objects.get().summary == "Bin missed twice"

    follow(page, "Ann Smith")
    assert page.get_by_text(case.reference).first.is_visible()

    # The same caller on an older record: merged only after a second look.
    customer_create(
        organisation=council,
        details=CustomerDetails(first_name="A", last_name="Smith", phones=["07700 900123"]),
        actor=Actor(label="Test"),
    )
    page.reload()
    check("customer, possible duplicate")
    # The banner's words read across the main column, on a desktop and on a 320 px screen.
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        words = page.get_by_text("These records share a contact detail").bounding_box()
        column = page.locator("main").bounding_box()
        assert words is not None and column is not None
        assert words["width"] > column["width"] / 2, width
    page.set_viewport_size({"width": 1280, "height": 720})
    press(page, "Merge A Smith into this record")
    check("merge, confirm")
    # The fuller first name is offered first; the adviser can still choose the other.
    assert page.get_by_label("Ann (the record that stays)").is_checked()
    press(page, "Merge the records")
    assert page.get_by_role("heading", name="Ann Smith").is_visible()
    assert page.get_by_text("A Smith", exact=True).is_visible()
    assert Customer.objects.filter(merged_into__isnull=False).count() == 1

    page.goto(f"{live_server.url}/staff/customers/new/")
    press(page, "Save customer")
    check("new customer, errors")
    page.goto(f"{live_server.url}/staff/team-lead/")
    check("not allowed")
    check.assert_clean()


def test_a_simple_resolved_call_is_logged_in_four_actions_from_the_keyboard(
    page, live_server, council, resident, record_property
):
    adviser = member(council, Role.ADVISER, team=False)
    sign_in(page, live_server, adviser)
    page.goto(f"{live_server.url}/staff/customers/{resident.pk}/")
    started = time.perf_counter()
    actions = 0  # Counted as the adviser makes them: the contact is saved after these four.

    press(page, "Log a contact")  # 1: the channel is already Phone, the adviser's usual
    actions += 1
    page.keyboard.press("2")  # 2: "Asking for information"
    page.keyboard.press("R")  # 3: "Resolved now, at first contact"
    actions += 2
    with page.expect_navigation():
        page.keyboard.press("Enter")  # 4: save
    actions += 1
    took = time.perf_counter() - started

    contact = Contact.objects.get()
    assert (contact.channel, contact.reason, contact.outcome, contact.handled_by) == (
        "phone",
        "information",
        "resolved_first_contact",
        adviser.user,
    )
    assert page.get_by_role("heading", name="Ann Smith").is_visible()
    record_property("measured: actions to log a simple resolved call", actions)
    record_property("measured: seconds to log a simple resolved call", round(took, 2))

    # The keys can be turned off (WCAG 2.1.4), and then typing does nothing to the form.
    press(page, "Log a contact")
    page.get_by_role("button", name="Turn off keyboard shortcuts").click()
    page.get_by_label("Asking for information").focus()
    page.keyboard.press("5")
    assert page.get_by_label("Complaint").is_checked() is False
    page.reload()
    assert page.get_by_role("button", name="Turn on keyboard shortcuts").is_visible()


def test_the_officer_takes_a_case_from_the_queue_updates_and_resolves_it(
    page, live_server, council, resident
):
    officer = member(council, Role.OFFICER)
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=Actor(label="Test"),
    )
    check = Checker(page)
    sign_in(page, live_server, officer, check)
    follow(page, "Queues")
    check("queue")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Take {case.reference}").click()
    case.refresh_from_db()
    assert case.assigned_to == officer.user

    follow(page, case.reference)
    page.get_by_label("The customer too (public update, sent to them)").check()
    press(page, "Add note")
    check("case, errors")
    page.get_by_label("Note", exact=True).fill("The crew will come tomorrow.")
    press(page, "Add note")

    # Someone else changes the case while this page is open: the next change is refused.
    Case.objects.filter(pk=case.pk).update(version=case.version + 10)
    page.get_by_label("New status").select_option("resolved")
    press(page, "Change status")
    assert page.get_by_role("link", name="Someone else changed case").is_visible()
    check("case, conflict")
    page.get_by_label("New status").select_option("resolved")
    page.get_by_label("Message to the customer").fill("Collected today.")
    press(page, "Change status")
    case.refresh_from_db()
    assert case.status == "resolved"
    check.assert_clean()


def test_reception_books_an_appointment_checks_the_resident_in_and_sees_them(
    page, live_server, council, resident
):
    venue_create(organisation=council, name="Wellington hub", kind="community_hub")
    adviser = member(council, Role.ADVISER, team=False)
    check = Checker(page)
    sign_in(page, live_server, adviser)
    page.goto(f"{live_server.url}/staff/customers/{resident.pk}/")
    press(page, "Book an appointment or check in")
    check("book an appointment")
    press(page, "Book appointment")
    check("book an appointment, errors")
    page.get_by_label("Place").select_option(label="Wellington hub")
    page.get_by_label("What it is about").fill("Help with a blue badge form")
    press(page, "Check in now")
    assert page.get_by_role("heading", name="Reception: Wellington hub").is_visible()
    check("reception")
    with page.expect_navigation():
        page.locator("form[action$='/seen/'] button").click()
    assert page.get_by_text("Log what you did for Ann Smith at Wellington hub").is_visible()
    assert page.get_by_label("Face to face").is_checked()
    page.goto(f"{live_server.url}/staff/reception/")
    press(page, "Add to the waiting list")
    check("reception, errors")
    check.assert_clean()


def test_team_leads_work_complaints_and_quality(
    page, live_server, page_without_javascript, axe_of, council, resident
):
    lead = member(council, Role.TEAM_LEAD)
    ComplaintReason.objects.create(organisation=council, name="Delay", customer_experience=True)
    QualityCriterion.objects.create(organisation=council, name="Greeting")
    complaint = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="complaint", channel="email", customer=resident),
        actor=Actor(label="Test"),
    )
    Contact.objects.update(handled_by=lead.user)
    check = Checker(page)
    sign_in(page, live_server, lead)
    follow(page, "Team lead view")
    check("team lead")
    follow(page, "Complaints")
    check("complaints")
    follow(page, complaint.reference)
    press(page, "Record complaint at stage 1")
    check("complaint, errors")
    page.get_by_label("Delay").check()
    press(page, "Record complaint at stage 1")
    check("complaint")

    follow(page, "Quality")
    check("quality")
    follow(page, "Check")
    press(page, "Save assessment")
    check("quality check, errors")
    page.get_by_label("Met", exact=True).check()
    page.get_by_label("Comments for the adviser").fill("Friendly and clear.")
    press(page, "Save assessment")
    assert page.get_by_text("Friendly and clear.").is_visible()
    check("quality assessment")
    page.goto(f"{live_server.url}/staff/quality/mystery-customer/")
    check("mystery customer")

    InboundMessage.objects.create(
        organisation=council,
        channel="email",
        message_id="<m1@example.com>",
        sender="ann.smith@example.com",
        subject="Old paint",
        body="Where do I take old paint?",
        received_at=timezone.now(),
        outcome="triage",
    )
    follow(page, "Messages to sort")
    check("messages to sort")
    follow(page, "Old paint")
    press(page, "Close message")
    check("message, errors")
    check.assert_clean()

    # Without JavaScript the pages still work and pass: the queue's filters are plain forms.
    other = member(council, Role.TEAM_LEAD)
    sign_in(page_without_javascript, live_server, other)
    page_without_javascript.goto(f"{live_server.url}/staff/queue/?due=overdue")
    assert axe_of(page_without_javascript) == []
    assert re.search(r"\d+ open case", page_without_javascript.content())
