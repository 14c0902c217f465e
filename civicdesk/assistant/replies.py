"""What the assistant says back: plain words, and what it offers to do next.

Kept apart from the services so the same reply can be shown in the chat and spoken on the
phone. Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .elsewhere import OUT_OF_SCOPE
from .selectors import Understanding

# Longest message the assistant reads; longer messages are cut (and the resident told).
MAX_MESSAGE = 1000

# Asking for a person, in words: "can I speak to someone", "put me through", "call me back".
_ASKS_FOR_PERSON = re.compile(
    r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:someone|somebody|anyone|a|an|the|real|your)\b"
    r"|\b(?:call|ring|phone)\s+me\b|\b(?:put|get)\s+me\s+through\b"
    r"|\b(?:transfer|connect)\s+me\b|\bcustomer\s+services\b",
    re.IGNORECASE,
)
# The words alone count only in a short message ("adviser please", "a real human"): in a
# longer one they are usually the subject ("a person is sleeping in the bus shelter", "my
# letting agent will not fix the boiler") and the message should be understood, not passed on.
_PERSON_WORD = re.compile(
    r"\b(?:human|person|people|someone real|adviser|advisor|agent|operator)\b", re.IGNORECASE
)
SHORT_REQUEST_WORDS = 4

_GREETING = re.compile(
    r"^\s*(hi|hello|hiya|hey|good (morning|afternoon|evening)|thanks?( you)?|cheers|ok|okay)"
    r"[\s!.,]*$",
    re.IGNORECASE,
)
# Words that mean the resident is upset with us, not asking about a service. We stay calm
# and offer a person; we never repeat the words back.
_ABUSE = re.compile(r"\b(f+u+c*k+\w*|shit\w*|useless|stupid|idiots?|crap|bloody)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    text: str
    offers: dict[str, Any] = field(default_factory=dict)


def wants_person(text: str) -> bool:
    if _ASKS_FOR_PERSON.search(text):
        return True
    return len(text.split()) <= SHORT_REQUEST_WORDS and bool(_PERSON_WORD.search(text))


def is_greeting(text: str) -> bool:
    return bool(_GREETING.match(text))


def sounds_upset(text: str) -> bool:
    return bool(_ABUSE.search(text))


def empty_reply() -> Reply:
    return Reply("Please type your question. For example: when is my bin day?")


def greeting_reply() -> Reply:
    return Reply(
        "Hello. Tell me what you need in a few words, such as 'my bin was not emptied' "
        "or 'pay council tax'. You can ask for a person at any time."
    )


def upset_reply(then: Reply | None = None) -> Reply:
    """An apology and a person, before ``then`` when the message also said what is needed."""
    apology = "I am sorry this has been hard. A person can help you."
    if then is None:
        return Reply(apology, {"person": True})
    return Reply(f"{apology} {then.text}", {**then.offers, "person": True})


def understood_reply(understanding: Understanding, *, unsure_turns: int) -> Reply:
    """Answer, route or ask: the heart of the conversation."""
    if understanding.elsewhere is not None and understanding.sure:
        place = understanding.elsewhere
        if place.key == OUT_OF_SCOPE:
            return Reply(place.advice, {"elsewhere": place.key})
        return Reply(
            f"This is not something the council deals with. {place.advice}",
            {"elsewhere": place.key},
        )
    best = understanding.best
    if best is not None and understanding.sure:
        offers: dict[str, Any] = {
            "service": best.key,
            "articles": [article.pk for article in understanding.articles],
        }
        if understanding.articles:
            text = f"I think you need: {best.name}. This may answer your question:"
        else:
            text = f"I think you need: {best.name}."
        return Reply(text, offers)
    choices = [suggestion.key for suggestion in understanding.suggestions][:3]
    if unsure_turns >= 1 or not choices:
        # Twice unsure (or nothing to go on): never leave the resident going round in circles.
        return Reply(
            "Sorry, I am not sure what you need. You can pick one of these, or a person "
            "can help you.",
            {"choices": choices, "person": True},
        )
    return Reply(
        "I am not sure I understood. Is it one of these? If not, tell me a bit more.",
        {"choices": choices},
    )


def person_reply(*, position: int | None, minutes: int | None, open_now: bool) -> Reply:
    if open_now and position is not None and minutes is not None:
        ahead = "You are next" if position == 1 else f"You are number {position} in the queue"
        return Reply(
            f"I am passing you to an adviser with our chat so far. {ahead}. The wait is about "
            f"{minutes} minute{'s' if minutes != 1 else ''}. Please keep this page open.",
            {"waiting": True},
        )
    return Reply(
        "Our advisers are not free to chat right now. We can call you back, or you can fill "
        "in a form and we will reply.",
        {"callback": True},
    )
