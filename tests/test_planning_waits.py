"""The wait told to a caller put through to an adviser: from the live queue when the rota has
advisers on duty, through the phone line as the telephony platform calls it."""

from __future__ import annotations

from itertools import pairwise

import pytest

from civicdesk.assistant.models import Conversation
from civicdesk.planning.selectors import wait_told
from civicdesk.planning.services import RotaLine, rota_replace
from civicdesk.planning.waits import expected_wait_seconds

from . import assistant_support

pytestmark = pytest.mark.django_db
full_council = assistant_support.full_council
advisers_in = assistant_support.advisers_in

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


def put_through(client, caller: str) -> dict:
    call(client, call=caller, speech="my bin was not emptied")
    return call(client, call=caller, digits="0")


def test_the_wait_comes_from_the_advisers_on_the_rota_now(client, full_council, advisers_in):
    # Monday 10:00. Three people on the phones and chats, less 30% shrinkage: two advisers
    # answering, each call taking the phone's usual 300 seconds (no durations recorded).
    rota_replace(
        organisation=full_council,
        lines=[
            RotaLine("Sam Patel", "phone", "Monday", "09:00", "13:00"),
            RotaLine("Jo Brown", "phone", "Monday", "09:00", "13:00"),
            RotaLine("Al Green", "chat", "Monday", "09:00", "13:00"),
        ],
    )
    first = put_through(client, "c1")
    assert first["wait_minutes"] == round(150 / 60) == 2
    assert "The wait is about 2 minutes" in first["say"]
    # The second caller has one person ahead, who may give up: 150 s, then 1 / (2 / 300 +
    # 1 / 180) s more, about 82, so under twice as long.
    second = put_through(client, "c2")
    expected = expected_wait_seconds(ahead=1, advisers=2, handle_seconds=300, patience_seconds=180)
    assert 150 < expected < 300
    assert second["wait_minutes"] == round(expected / 60) == 4


def test_with_nobody_on_the_rota_the_phone_line_keeps_its_estimate(
    client, full_council, advisers_in
):
    assert put_through(client, "c1")["wait_minutes"] == 4


def test_the_expected_wait_grows_with_the_queue_and_shrinks_with_advisers():
    waits = [
        expected_wait_seconds(ahead=ahead, advisers=3, handle_seconds=300, patience_seconds=120)
        for ahead in range(6)
    ]
    assert waits == sorted(waits) and waits[0] == pytest.approx(100)
    # People ahead giving up make each extra place in the queue count for less.
    steps = [later - earlier for earlier, later in pairwise(waits)]
    assert steps == sorted(steps, reverse=True)
    assert expected_wait_seconds(
        ahead=2, advisers=6, handle_seconds=300, patience_seconds=None
    ) == pytest.approx(150)
    assert (
        expected_wait_seconds(ahead=0, advisers=0, handle_seconds=300, patience_seconds=None)
        is None
    )


def test_a_chat_put_through_is_told_the_wait_from_the_rota(client, full_council, advisers_in):
    # Monday 10:00 (advisers_in). Three on the rota less 30% shrinkage: two answering chats,
    # each taking the chat's usual time: the first in the queue is told that wait at once.
    rota_replace(
        organisation=full_council,
        lines=[
            RotaLine(name, "chat", "Monday", "09:00", "13:00")
            for name in ("Sam Patel", "Jo Brown", "Al Green")
        ],
    )
    client.post("/wrekin/ask/person", {})
    conversation = Conversation.objects.get()
    told = conversation.messages.filter(speaker="assistant").last().text
    expected = wait_told(organisation=full_council, channel=conversation.channel, position=1)
    assert expected != 4  # not the estimate the chat gives with nobody on the rota
    assert f"The wait is about {expected} minute" in told
