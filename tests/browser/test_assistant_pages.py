"""Ask in a real browser: the chat as a plain form without JavaScript, live updates with it,
the staff pages, and no WCAG 2.2 AA problems on any of them, errors included."""

from __future__ import annotations

import pytest
from django.test import Client

from civicdesk.assistant.models import Conversation
from civicdesk.assistant.services import adviser_reply, handover_take
from civicdesk.catalogue.models import RequestType
from civicdesk.organisations.choices import Role
from civicdesk.web.staff import mark_two_factors_passed

from .. import assistant_support, factories
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
full_council = assistant_support.full_council
advisers_in = assistant_support.advisers_in
advisers_away = assistant_support.advisers_away


@pytest.fixture
def answer(full_council):
    return factories.ArticleFactory(
        organisation=full_council,
        title="How do I pay my council tax?",
        body="The easiest way is by direct debit.\n\nYou can also pay online by card.",
        services=[RequestType.objects.get(organisation=full_council, key="council-tax-pay")],
    )


def press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).first.click()


def test_the_chat_works_without_javascript(
    page_without_javascript, axe_of, live_server, full_council, answer, advisers_away
):
    page = page_without_javascript
    problems = {}
    page.goto(f"{live_server.url}/wrekin/ask/")
    problems["start"] = axe_of(page)
    press(page, "Send")
    assert "Type your question" in page.locator(".govuk-error-summary").inner_text()
    problems["error"] = axe_of(page)
    page.get_by_label("Your question").fill("how do I pay my council tax")
    press(page, "Send")
    log = page.locator("#chat-log")
    assert "I think you need: Pay your council tax" in log.inner_text()
    assert "You can also pay online by card." in log.inner_text()
    problems["answer"] = axe_of(page)
    page.get_by_label("Your reply").fill("can I talk to a person")
    press(page, "Send")
    assert "Our advisers are not free to chat right now" in log.inner_text()
    with page.expect_navigation():
        page.locator("#chat-log").get_by_role("link", name="Ask us to call you back").click()
    press(page, "Call me back")
    problems["callback error"] = axe_of(page)
    page.get_by_label("Your name").fill("Ann Smith")
    page.get_by_label("Phone number").fill("07700 900123")
    press(page, "Call me back")
    assert "We will call you back on the next working day" in page.inner_text("main")
    problems["callback asked"] = axe_of(page)
    page.goto(f"{live_server.url}/wrekin/ask/answers/{answer.pk}/")
    problems["answer page"] = axe_of(page)
    assert {name: found for name, found in problems.items() if found} == {}


def test_with_javascript_messages_arrive_without_reloading(
    page, live_server, full_council, advisers_in
):
    adviser = factories.StaffFactory(organisation=full_council, role=Role.ADVISER)
    page.goto(f"{live_server.url}/wrekin/ask/")
    page.get_by_label("Your question").fill("I would like to speak to a person")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#chat-log").get_by_text("passing you to an adviser").wait_for()
    assert page.locator("#chat-log").get_attribute("aria-live") == "polite"
    assert "You are next in the queue" in page.locator("#chat-status").inner_text()
    assert page.evaluate("document.activeElement.id") == "message"
    conversation = Conversation.objects.get()
    handover_take(staff=adviser, conversation=conversation)
    adviser_reply(staff=adviser, conversation=conversation, text="Hello, I am here to help.")
    # The page asks for news every few seconds while someone is waiting or chatting.
    page.locator("#chat-log").get_by_text("Hello, I am here to help.").wait_for(timeout=15_000)
    # Announced: the news lands inside the status region that was on the page from the start,
    # not in a new one (screen readers ignore live regions added with their content).
    news = page.get_by_role("status").filter(has_text="You are chatting with an adviser")
    assert news.get_attribute("id") == "chat-status"
    assert axe_violations(page) == []


def staff_page(browser, live_server, staff):
    session = Client()
    session.force_login(staff.user)
    store = session.session
    mark_two_factors_passed(store, staff.user)
    store.save()
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": "sessionid", "value": store.session_key, "url": live_server.url}])
    return context.new_page()


def test_staff_pages_from_the_keyboard(browser, live_server, full_council, answer, advisers_in):
    adviser = factories.StaffFactory(organisation=full_council, role=Role.ADVISER)
    resident = Client()
    resident.post("/wrekin/ask/", {"message": "my bin was not emptied, talk to a person"})
    conversation = Conversation.objects.get()
    page = staff_page(browser, live_server, adviser)
    problems = {}
    page.goto(f"{live_server.url}/staff/ask/queue/")
    problems["queue"] = axe_violations(page)
    with page.expect_navigation():
        page.locator(f"a[href='/staff/ask/queue/{conversation.pk}/']").focus()
        page.keyboard.press("Enter")
    problems["conversation"] = axe_violations(page)
    page.get_by_role("button", name="Take this chat").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    press(page, "Send")
    assert "Type a message" in page.inner_text("main")
    problems["reply error"] = axe_violations(page)
    page.goto(f"{live_server.url}/staff/ask/answers/")
    problems["answers"] = axe_violations(page)
    page.goto(f"{live_server.url}/staff/ask/answers/new/")
    press(page, "Save as a draft")
    problems["new answer, errors"] = axe_violations(page)
    page.goto(f"{live_server.url}/staff/ask/answers/{answer.pk}/")
    problems["answer"] = axe_violations(page)
    page.goto(f"{live_server.url}/staff/ask/log/")
    problems["log"] = axe_violations(page)
    assert {name: found for name, found in problems.items() if found} == {}


def test_what_was_said_to_ask_is_filled_in_on_the_form_without_javascript(
    page_without_javascript, axe_of, live_server, full_council, advisers_away
):
    page = page_without_javascript
    problems = {}
    page.goto(f"{live_server.url}/wrekin/ask/")
    page.get_by_label("Your question").fill("My bin wasn't collected yesterday")
    press(page, "Send")
    page.get_by_label("Your reply").fill("It's the black bin, outside 14 Orchard Close")
    press(page, "Send")
    press(page, "Start: Report a missed bin collection")
    assert page.get_by_label("General waste").is_checked()
    assert "We filled this in from what you told Ask" in page.inner_text("main")
    problems["choice filled in"] = axe_of(page)
    press(page, "Continue")
    assert page.get_by_role("textbox").first.input_value() == "14 Orchard Close"
    problems["place filled in"] = axe_of(page)
    assert {name: found for name, found in problems.items() if found} == {}
