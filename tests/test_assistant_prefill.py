"""Ask to the form: what the resident already told the chat is filled in on the form's pages,
for them to check, and reading their words never guesses where it cannot be sure."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.assistant.prefill import Asked, answers_from_words, choice_named, place_named
from civicdesk.core.calendar import LONDON
from civicdesk.portal.report_journey import journey_load

from . import assistant_support

full_council = assistant_support.full_council
ASK = "/wrekin/ask/"
REPORT = "/wrekin/report/missed-bin"
# A Wednesday: "on Monday" is the 23rd.
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)
BINS = ("General waste", "Recycling", "Garden waste", "Food waste")


@pytest.fixture
def wednesday(monkeypatch):
    assistant_support.clock_at(monkeypatch, WEDNESDAY)


def say(client, text: str) -> str:
    assert client.post(ASK, {"message": text}).status_code == 302
    return client.get(ASK).content.decode()


def checked_choice(page: str) -> list[str]:
    return re.findall(r'value="([^"]+)" checked', page)


@pytest.mark.django_db
def test_a_missed_bin_told_to_ask_is_filled_in_on_every_page_it_covers(
    client, full_council, wednesday
):
    page = say(client, "My bin wasn't collected on Monday")
    assert "I think you need: Report a missed bin collection" in page
    say(client, "It's the black bin, outside 14 Orchard Close")
    response = client.post("/wrekin/ask/start-form", {"key": "missed-bin"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{REPORT}/question/bin/"
    assert checked_choice(page) == ["General waste"]
    assert "We filled this in from what you told Ask" in page

    response = client.post(f"{REPORT}/question/bin/", {"bin": "General waste"})
    assert response["Location"] == f"{REPORT}/question/address/"
    page = client.get(f"{REPORT}/question/address/").content.decode()
    assert 'value="14 Orchard Close"' in page

    page = client.get(f"{REPORT}/question/collection-date/").content.decode()
    assert 'value="23"' in page and 'value="11"' in page and 'value="2026"' in page

    # Nothing was said about the time the bin went out: that page is left to the resident.
    page = client.get(f"{REPORT}/question/out-by-7am/").content.decode()
    assert checked_choice(page) == []
    assert "We filled this in from what you told Ask" not in page


@pytest.mark.django_db
def test_a_changed_answer_is_kept_over_what_the_chat_said(client, full_council, wednesday):
    say(client, "my recycling was not collected on Monday")
    client.post("/wrekin/ask/start-form", {"key": "missed-bin"})
    client.post(f"{REPORT}/question/bin/", {"bin": "Garden waste"})
    client.post("/wrekin/ask/start-form", {"key": "missed-bin"})
    page = client.get(f"{REPORT}/question/bin/").content.decode()
    assert checked_choice(page) == ["Garden waste"]
    journey = journey_load(client.session, "wrekin", "missed-bin")
    assert journey is not None and journey.answers["bin"] == "Garden waste"


@pytest.mark.django_db
def test_words_about_another_service_are_not_carried_into_the_form(client, full_council, wednesday):
    say(client, "how do I pay my council tax")
    say(client, "there is damp and mould in my council flat")
    client.post("/wrekin/ask/start-form", {"key": "housing-repair"})
    journey = journey_load(client.session, "wrekin", "housing-repair")
    assert journey is not None
    assert journey.suggested["details"] == "there is damp and mould in my council flat"
    assert journey.suggested["problem"] == "Damp or mould"


@pytest.mark.django_db
def test_starting_a_form_without_a_chat_fills_in_nothing(client, full_council):
    response = client.post("/wrekin/ask/start-form", {"key": "missed-bin"})
    assert response["Location"] == f"{REPORT}/"
    journey = journey_load(client.session, "wrekin", "missed-bin")
    assert journey is not None and journey.suggested == {}


def test_the_bin_day_question_from_the_issue_is_answered_not_asked_about(settings):
    from civicdesk.assistant.engine import decided, engine_for

    guesses = engine_for("baseline").rank("My bin wasn't collected on Monday")
    assert guesses[0].key == "missed-bin"
    assert decided(guesses)


def test_close_guesses_are_asked_about_and_a_clear_lead_is_not():
    from civicdesk.assistant.engine import Guess, decided

    assert decided([Guess("missed-bin", 0.25), Guess("bin-day", 0.05)])
    assert not decided([Guess("missed-bin", 0.25), Guess("bin-day", 0.2)])
    assert not decided([Guess("missed-bin", 0.1), Guess("bin-day", 0.01)])
    assert decided([Guess("missed-bin", 0.35), Guess("bin-day", 0.3)])
    assert not decided([])


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("it's at 14 orchard close", "14 Orchard Close"),
        ("the lamp on Oak Tree Avenue near the school", "Oak Tree Avenue"),
        ("number 12 high st", "12 High St"),
        ("left on the corner, TF3 4NT", "TF3 4NT"),
        ("in the park by the river", ""),
        ("when I walk the dog", ""),
    ],
)
def test_places_are_read_from_street_names_and_postcodes(text, place):
    assert place_named(text) == place


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("the black bin was left", "General waste"),
        ("my recycling wasn't taken", "Recycling"),
        ("the food caddy is still full", "Food waste"),
        ("neither the recycling nor the garden bin were emptied", ""),
        ("my bin was missed", ""),
    ],
)
def test_a_choice_is_read_only_when_exactly_one_is_named(text, choice):
    assert choice_named(text, BINS) == choice


def test_two_dates_or_a_future_one_are_left_for_the_form():
    asked = [Asked(key="when", kind="date", label="When should it have been collected?")]
    today = date(2026, 11, 25)
    read = answers_from_words
    assert read(said=["missed yesterday"], questions=asked, today=today) == {"when": "2026-11-24"}
    assert read(said=["monday or tuesday"], questions=asked, today=today) == {}
    assert read(said=["due 30/11/2026"], questions=asked, today=today) == {}
    future = [Asked(key="move", kind="date", label="What date do you move?")]
    assert read(said=["moving on Friday"], questions=future, today=today) == {}


@settings(deadline=None, max_examples=200)
@given(said=st.lists(st.text(max_size=300), max_size=4))
def test_any_words_give_answers_of_the_right_shape(said):
    asked = [
        Asked(key="bin", kind="choice", label="Which bin?", choices=BINS),
        Asked(key="address", kind="location", label="Where?"),
        Asked(key="when", kind="date", label="When should it have been collected?"),
        Asked(key="registration", kind="text", label="What is the registration number?"),
        Asked(key="details", kind="text", label="Describe the problem"),
    ]
    found = answers_from_words(said=said, questions=asked, today=date(2026, 11, 25))
    assert set(found) <= {"bin", "address", "when", "registration", "details"}
    assert found.get("bin", BINS[0]) in BINS
    assert isinstance(found.get("address", {}), dict)
    if "when" in found:
        assert date.fromisoformat(found["when"]) <= date(2026, 11, 25)


@pytest.mark.django_db
def test_a_question_for_nobody_at_the_council_is_told_what_ask_can_do(client, full_council):
    page = say(client, "what's the weather tomorrow")
    assert "I can help with council things, like bins, roads, homes and care." in page
    assert "I think you need" not in page
    assert "Contact </a>" not in page
    page = say(client, "my gas bill is too high")
    assert "Your energy firm deals with your gas or electric bill" in page
