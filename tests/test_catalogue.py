"""Answers to a request type's questions, checked the way a resident would be told."""

from __future__ import annotations

import pytest

from civicdesk.catalogue.selectors import charter_target_for
from civicdesk.catalogue.services import answers_validate
from civicdesk.core.errors import ValidationFailed

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulky_waste():
    request_type = factories.RequestTypeFactory(
        key="bulky-waste", name="Book a bulky waste collection"
    )
    factories.QuestionFactory(
        request_type=request_type,
        key="items",
        label="How many items?",
        kind="number",
        minimum=1,
        maximum=10,
    )
    factories.QuestionFactory(
        request_type=request_type,
        key="when",
        label="Which day suits you?",
        kind="date",
        required=False,
    )
    factories.QuestionFactory(
        request_type=request_type, key="where", label="Where will the items be?", kind="location"
    )
    return request_type


def errors(request_type, answers) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        answers_validate(request_type=request_type, answers=answers)
    return refused.value.fields


def test_good_answers_come_back_cleaned(bulky_waste):
    cleaned = answers_validate(
        request_type=bulky_waste,
        answers={
            "items": " 3 ",
            "when": "2026-12-01",
            "where": {"latitude": "52.6766123456", "longitude": -2.4454},
        },
    )
    assert cleaned == {
        "items": 3,
        "when": "2026-12-01",
        "where": {"latitude": 52.676612, "longitude": -2.4454},
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ("lots", "How many items must be a number"),
        ("1e2000000", "How many items must be a number"),
        ("9" * 40, "How many items must be a number"),
        ("NaN", "How many items must be a number"),
        ("0", "How many items must be 1 or more"),
        ("11", "How many items must be 10 or less"),
    ],
)
def test_numbers_are_checked_and_absurd_ones_refused_quickly(bulky_waste, items, message):
    where = {"description": "Front garden"}
    assert errors(bulky_waste, {"items": items, "where": where}) == {"items": message}


def test_dates_and_places_are_checked(bulky_waste):
    assert errors(
        bulky_waste, {"items": 2, "when": "31/02/2026", "where": {"latitude": 95, "longitude": 0}}
    ) == {
        "when": "Which day suits you must be a real date",
        "where": "Choose a point on the map or describe the location",
    }
    assert errors(bulky_waste, {"items": 2}) == {
        "where": "Choose a point on the map or describe the location"
    }


def test_the_most_specific_charter_target_wins():
    request_type = factories.RequestTypeFactory()
    anything = factories.CharterTargetFactory(request_type=request_type, amount=10)
    emails = factories.CharterTargetFactory(request_type=request_type, channel="email", amount=5)
    emergency = factories.CharterTargetFactory(
        request_type=request_type, priority="emergency", amount=24, unit="calendar_hours"
    )
    assert (
        charter_target_for(request_type=request_type, priority="standard", channel="phone")
        == anything
    )
    assert (
        charter_target_for(request_type=request_type, priority="standard", channel="email")
        == emails
    )
    assert (
        charter_target_for(request_type=request_type, priority="emergency", channel="email")
        == emergency
    )
