"""Ask's limits slow a flood one chat at a time and never shut a building out: the computers of
a library or a community hub share one network address, and a resident there can always reach
a person, ask for a call back or see the council's phone number."""

from __future__ import annotations

import pytest
from django.test import Client

from civicdesk.assistant.models import Conversation, Message

from . import assistant_support, factories

pytestmark = pytest.mark.django_db
full_council = assistant_support.full_council
advisers_in = assistant_support.advisers_in

ASK = "/wrekin/ask/"
PERSON = "/wrekin/ask/person"
CALLBACK = "/wrekin/ask/call-me-back/"
PHONE = "01632 960100"


def limits(monkeypatch: pytest.MonkeyPatch, **values: int) -> None:
    for name, value in values.items():
        monkeypatch.setattr(f"civicdesk.portal.ask_views.{name}", value)


def send(client: Client, text: str = "how do I pay my council tax"):
    return client.post(ASK, {"message": text})


def assert_offers_a_person(page: str) -> None:
    assert "govuk-error-summary" in page
    assert f"call us on {PHONE}" in page
    assert ">Talk to a person</button>" in page
    assert f'href="{CALLBACK}">Ask us to call you back</a>' in page


def test_the_ask_page_always_shows_the_councils_phone_number(client, full_council):
    page = client.get(ASK).content.decode()
    assert f"Or call us on {PHONE}, Monday to Friday, 9am to 5pm" in page


def test_a_council_with_no_phone_number_offers_the_other_ways_to_a_person(client, db, monkeypatch):
    factories.OrganisationFactory(slug="wrekin", phone="")
    limits(monkeypatch, MESSAGE_LIMIT=1)
    assert send(client, "hello").status_code == 302
    page = send(client, "hello again").content.decode()
    assert "You can still talk to a person or ask us to call you back." in page
    assert "call us on" not in page.lower()
    assert ">Talk to a person</button>" in page


def test_a_busy_network_still_starts_chats_each_with_its_own_fewer_answers(
    full_council, monkeypatch
):
    limits(monkeypatch, NEW_CHAT_LIMIT=2, BUSY_MESSAGE_LIMIT=2)
    first, second, library = Client(), Client(), Client()
    assert send(first).status_code == 302
    assert send(second).status_code == 302
    # The third chat from the address still starts, with two automatic answers.
    for _ in range(2):
        assert send(library).status_code == 302
    refused = send(library, "when is my bin day")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Lots of people on your network are using Ask" in page
    assert "You will get more within 10 minutes." in page
    assert ">when is my bin day</textarea>" in page  # given back to send later
    assert_offers_a_person(page)
    # The chats that started first keep the whole allowance of their own.
    for _ in range(3):
        assert send(first).status_code == 302
    assert Conversation.objects.count() == 3


def test_past_the_ceiling_a_new_chat_has_no_automatic_answers_but_reaches_a_person(
    full_council, monkeypatch, advisers_in
):
    limits(monkeypatch, NEW_CHAT_LIMIT=1, NEW_CHAT_CEILING=2)
    for _ in range(2):
        assert send(Client()).status_code == 302
    resident = Client()
    refused = send(resident, "my bin was not emptied")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Lots of new chats have come from your network this hour" in page
    assert_offers_a_person(page)
    assert Conversation.objects.count() == 2  # no chat started just to say no

    assert resident.post(PERSON).status_code == 302
    waiting = Conversation.objects.get(state="waiting")
    # Waiting for an adviser, what they write goes to the adviser.
    assert send(resident, "my bin was not emptied").status_code == 302
    assert waiting.messages.filter(speaker="resident", text="my bin was not emptied").exists()

    callback = Client().post(CALLBACK, {"name": "Ann Smith", "phone": "07700 900123"})
    assert callback.status_code == 302
    assert Conversation.objects.filter(state="callback").count() == 1


def test_a_chat_out_of_answers_can_still_hand_over_and_write_to_the_adviser(
    client, full_council, monkeypatch, advisers_in
):
    limits(monkeypatch, MESSAGE_LIMIT=2)
    for _ in range(2):
        assert send(client).status_code == 302
    refused = send(client, "I need some help")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "You have sent a lot of messages" in page
    assert_offers_a_person(page)

    assert client.post(PERSON).status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.state == "waiting"
    assert send(client, "I need help with my rent").status_code == 302
    said = Message.objects.filter(conversation=conversation, speaker="resident").last()
    assert said is not None
    assert said.text == "I need help with my rent"
