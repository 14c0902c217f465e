"""Ask on the phone, through HTTP as the telephony platform calls it."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest

from civicdesk.assistant.models import Conversation, LogEntry
from civicdesk.catalogue.models import RequestType

from . import assistant_support, factories

pytestmark = pytest.mark.django_db
full_council = assistant_support.full_council
advisers_in = assistant_support.advisers_in
advisers_away = assistant_support.advisers_away

URL = "/telephony/wrekin/ask"
SECRET = "a-long-shared-secret-for-the-phone-platform"


@pytest.fixture(autouse=True)
def phone_secret(settings):
    settings.TELEPHONY_SECRET = SECRET


def call(client, **data):
    response = client.post(
        URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_the_platform_must_send_the_secret(client, full_council, settings):
    body = {"call": "c1", "speech": "hello"}
    assert client.post(URL, body, content_type="application/json").status_code == 401
    wrong = client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer nearly-right"
    )
    assert wrong.status_code == 401
    settings.TELEPHONY_SECRET = ""
    unset = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer ")
    assert unset.status_code == 401
    assert not Conversation.objects.exists()


def test_a_call_is_greeted_then_answered_from_the_knowledge_base(client, full_council):
    factories.ArticleFactory(
        organisation=full_council,
        title="When is my bin day?",
        body="Bins are collected every week on the same day. Put your bin out by 7am.",
        services=[RequestType.objects.get(organisation=full_council, key="bin-day")],
    )
    greeting = call(client, call="c1")
    assert greeting["say"].startswith("Welcome to Wrekin Council.")
    assert {"digit": "0", "means": "person"} in greeting["options"]
    answer = call(client, call="c1", speech="what day do my bins get collected")
    assert "I think you need: Check your bin collection day." in answer["say"]
    assert "Put your bin out by 7am." in answer["say"]
    assert answer["action"] == "listen"
    assert Conversation.objects.get().channel == "phone"


def test_not_the_council_is_spoken_simply(client, full_council):
    answer = call(client, call="c2", speech="I can smell gas in my house")
    assert "0800 111 999" in answer["say"]


def test_unsure_offers_keypad_choices(client, full_council):
    answer = call(client, call="c3", speech="bin")
    digits = [option["digit"] for option in answer["options"]]
    assert digits[:3] == ["1", "2", "3"] and "0" in digits
    chosen = answer["options"][1]["means"]
    picked = call(client, call="c3", digits="2")
    assert Conversation.objects.get().service.key == chosen
    assert "I think you need" in picked["say"]


def test_zero_reaches_an_operator_with_a_spoken_wait(client, full_council, advisers_in):
    call(client, call="c4", speech="my bin was not emptied")
    transfer = call(client, call="c4", digits="0")
    assert transfer["action"] == "transfer"
    assert transfer["wait_minutes"] == 4
    assert "The wait is about 4 minutes" in transfer["say"]
    conversation = Conversation.objects.get()
    assert conversation.state == "waiting"
    assert conversation.service.key == "missed-bin"
    assert LogEntry.objects.filter(kind="hand_over", channel="phone").exists()


def test_asking_for_a_person_in_words_works_first_time(client, full_council, advisers_in):
    transfer = call(client, call="c5", speech="can I speak to a person")
    assert transfer["action"] == "transfer"


def test_out_of_hours_a_caller_can_ask_for_a_callback(client, full_council, advisers_away):
    offer = call(client, call="c6", digits="0", caller="07700 900123")
    assert "Press 1 and we will call you back" in offer["say"]
    done = call(client, call="c6", digits="1", caller="07700 900123")
    assert done["action"] == "hang_up"
    conversation = Conversation.objects.get()
    assert (conversation.state, conversation.callback_phone) == ("callback", "07700 900123")


def test_silence_and_nonsense_get_a_prompt(client, full_council):
    call(client, call="c7")
    again = call(client, call="c7", speech="", digits="9")
    assert "did not hear that" in again["say"]
    odd = call(client, call="c7", speech="zzkrrt vvvb")
    assert "press 0" in odd["say"].lower()


def test_a_bad_request_gets_a_clear_error(client, full_council):
    response = client.post(
        URL, "not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "call_missing"


def test_the_platform_can_ask_for_xml(client, full_council):
    response = client.post(
        URL,
        {"call": "c8", "speech": "pay my council tax"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
        HTTP_ACCEPT="application/xml",
    )
    root = fromstring(response.content)  # noqa: S314
    assert root.tag == "Response"
    assert "Pay your council tax" in root.findtext("Say")
    assert [d.get("key") for d in root.iter("Digit")] == ["0"]


def test_an_unknown_council_is_not_found(client, full_council):
    response = client.post(
        "/telephony/nowhere/ask",
        {"call": "c9"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
    )
    assert response.status_code == 404


def test_a_form_encoded_post_works_too(client, full_council):
    response = client.post(
        URL, {"call": "c10", "speech": "pay my council tax"}, HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.status_code == 200
    assert "Pay your council tax" in response.json()["say"]


def test_a_caller_waiting_is_in_the_advisers_queue(client, full_council, advisers_in, staff_client):
    call(client, call="c11", speech="I want to speak to an operator")
    adviser = factories.StaffFactory(organisation=full_council)
    queue = staff_client(adviser).get("/staff/ask/queue/").content.decode()
    assert "Phone" in queue
    again = call(client, call="c11", speech="hello?")
    assert again["action"] == "transfer"


def test_keys_from_other_scripts_are_treated_as_no_key(client, full_council):
    call(client, call="c12", speech="bin")
    for odd in ["²", "٣", "x"]:
        again = call(client, call="c12", digits=odd)
        assert "did not hear that" in again["say"]
    assert Conversation.objects.get().service is None


def test_a_withheld_number_is_not_offered_a_callback(client, full_council, advisers_away):
    offer = call(client, call="c13", digits="0", caller="anonymous")
    assert "call you back" not in offer["say"]
    assert "Please call again when we are open" in offer["say"]
    pressed = call(client, call="c13", digits="1", caller="anonymous")
    assert pressed["action"] != "hang_up"
    assert Conversation.objects.get().state != "callback"


def test_absurdly_nested_json_is_a_clear_error(client, full_council):
    body = '{"call": "c14", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "call_missing"


def test_nul_characters_in_json_are_dropped(client, full_council):
    answer = call(client, call="c15\x00", speech="pay my council\x00 tax")
    assert "Pay your council tax" in answer["say"]
