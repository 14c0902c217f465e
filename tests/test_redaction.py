"""What is taken out of residents' words kept for improvement (the assistant's log, feedback
and survey comments), and what ordinary words are left alone."""

from __future__ import annotations

import pytest

from civicdesk.core.redaction import redact_personal_data

REMOVED = [
    ("Card 4111 1111 1111 1111 please", "Card [removed] please"),
    ("card 4111-1111-1111-1111", "card [removed]"),
    ("my NI number is QQ 12 34 56 C", "my NI number is [removed]"),
    ("ni qq123456c", "ni [removed]"),
    ("I was born 3/4/1985", "I was born [removed]"),
    ("DOB 03-04-1985", "DOB [removed]"),
    ("date of birth 3 April 1985", "date of birth [removed]"),
    ("I am John Smith", "I am [removed]"),
    ("I'm John Smith and my bin was missed", "I'm [removed] and my bin was missed"),
    ("I\u2019m John Smith", "I\u2019m [removed]"),
    ("this is Mrs Jones", "this is Mrs [removed]"),
    ("Mr A Patel rang", "Mr [removed] rang"),
    ("my name is Ann Marie Smith", "my name is [removed]"),
    ("ring me on 07700 900123", "ring me on [removed]"),
    ("or +44 (0)7700 900123", "or [removed]"),
    ("email ann@example.com", "email [removed]"),
    ("I live at 12b Orchard Close, TF1 1AA", "I live at [removed], [removed]"),
]

KEPT = [
    "I am worried about my bin",
    "I am at the park",
    "I Am Very Worried",
    "3 bags of rubbish and 2 bins on the road",
    "Ring 999 in an emergency",
    "When is my bin day?",
    "It is the Friday collection",
]


@pytest.mark.parametrize(("text", "redacted"), REMOVED)
def test_personal_data_is_removed(text, redacted):
    assert redact_personal_data(text) == redacted


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_words_are_left_alone(text):
    assert redact_personal_data(text) == text
