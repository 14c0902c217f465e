"""What a resident already told Ask, read as answers to a service's form questions.

Only plain, checkable things are read: the place (a street or a postcode), which of a
question's choices they named, a date they gave ("on Monday", "yesterday", 3/11/2026), a
vehicle registration, and their own words for a "describe the problem" question. Anything
unclear (two choices named, two dates) is left for the form to ask. The form shows what was
read, for the resident to check and change, so nothing here is ever sent unseen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from civicdesk.catalogue.choices import QuestionKind

from .engine import word_stems

# Free-text questions that want the resident's account in their own words.
_DESCRIBE_OPENINGS = (
    "describe",
    "tell us",
    "what happened",
    "what are you worried",
    "what information",
    "what would you like us to delete",
)
# Choices that name nothing a resident would say in passing.
_UNSAID = frozenset(
    "something else other yes no not sure both myself someone i care for".split()  # noqa: SIM905
)
# How residents name the common bin choices, beyond the choice's own words. Colours differ
# between councils, so only black (general waste almost everywhere) is read.
_ALSO_SAID = {
    "general waste": ("black bin", "rubbish bin", "household waste", "landfill"),
    "garden waste": ("garden bin", "green waste", "grass cuttings"),
    "food waste": ("food caddy", "food bin"),
    "recycling": ("recycle",),
}
_STREET_TYPES = (
    "road|rd|street|st|lane|close|avenue|ave|drive|way|crescent|place|court|grove|gardens|"
    "terrace|walk|rise|hill|square|green|view|row|mews|parade|park|croft|meadow|fields"
)
# Words that end a street's name when reading back from "Road", "Close" and the like.
_NAME_ENDERS = (
    "a an the my our your their his her on in at of to by near outside opposite down up "
    "along off from behind next and or is was it its this that bin bins car light i we "
    "you they he she me when where what how can cant will would just"
)
_NOT_A_NAME = frozenset(_NAME_ENDERS.split())
_STREET_TYPE = re.compile(rf"\b({_STREET_TYPES})\b", re.IGNORECASE)
_WORD_OR_NUMBER = re.compile(r"[A-Za-z][A-Za-z'-]*|\d{1,4}[A-Za-z]?")
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_REGISTRATION = re.compile(r"\b([A-Z]{2}[0-9]{2})\s?([A-Z]{3})\b", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")
# Question wordings about something that has already happened.
_PAST = ("when did", "when was", "should it have been", "what was the date", "date of birth")


@dataclass(frozen=True)
class Asked:
    """One question of the form, as much of it as reading an answer needs."""

    key: str
    kind: str
    label: str
    choices: tuple[str, ...] = ()


def answers_from_words(
    *, said: Sequence[str], questions: Sequence[Asked], today: date
) -> dict[str, Any]:
    """Answers to ``questions`` found in what the resident ``said`` (their messages, oldest
    first), keyed by question; a location is ``{"description": ...}``, a date ISO text."""
    said = [text.strip() for text in said if text.strip()]
    if not said:
        return {}
    text = " ".join(said)
    found: dict[str, Any] = {}
    for question in questions:
        value = _answer(question, said=said, text=text, today=today)
        if value:
            found[question.key] = value
    return found


def _answer(question: Asked, *, said: list[str], text: str, today: date) -> Any:
    label = question.label.lower()
    if question.kind == QuestionKind.LOCATION:
        place = place_named(text)
        return {"description": place} if place else None
    if question.kind == QuestionKind.CHOICE:
        return choice_named(text, question.choices)
    if question.kind == QuestionKind.DATE:
        given = date_named(text, today=today) if _asks_past(label) else None
        return given.isoformat() if given else None
    if question.kind == QuestionKind.TEXT:
        if "registration" in label:
            return registration_named(text)
        if "postcode" in label:
            return postcode_named(text)
        if question.key == "details" or label.startswith(_DESCRIBE_OPENINGS):
            return "\n".join(said)
    return None


def _asks_past(label: str) -> bool:
    return any(wording in label for wording in _PAST)


def place_named(text: str) -> str:
    """The street (with its house number) or postcode the text names, or empty."""
    for match in _STREET_TYPE.finditer(text):
        before = _WORD_OR_NUMBER.findall(text[: match.start()])
        name: list[str] = []
        while before and len(name) < 3 and before[-1].isalpha():
            if before[-1].lower() in _NOT_A_NAME:
                break
            name.insert(0, before.pop())
        if not name:
            continue
        street = " ".join(word.capitalize() for word in [*name, match.group(1)])
        number = before[-1] if before and before[-1][0].isdigit() else ""
        return f"{number} {street}" if number else street
    return postcode_named(text)


def postcode_named(text: str) -> str:
    match = _POSTCODE.search(text)
    return f"{match.group(1)} {match.group(2)}".upper() if match else ""


def registration_named(text: str) -> str:
    match = _REGISTRATION.search(text)
    return f"{match.group(1)} {match.group(2)}".upper() if match else ""


def choice_named(text: str, choices: Sequence[str]) -> str:
    """The one choice the text names (by all the words of one of its alternatives, "Damp or
    mould", or a usual way of saying it), or empty when none or several are named."""
    stems = set(word_stems(text))
    plain = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
    named = [choice for choice in choices if _names(choice, stems=stems, plain=plain)]
    return named[0] if len(named) == 1 else ""


def _names(choice: str, *, stems: set[str], plain: str) -> bool:
    if any(f" {phrase} " in f" {plain} " for phrase in _ALSO_SAID.get(choice.lower(), ())):
        return True
    for alternative in re.split(r",|\bor\b", choice.lower()):
        wanted = [w for w in word_stems(alternative) if w not in _UNSAID]
        if wanted and len(wanted) == len(word_stems(alternative)) and set(wanted) <= stems:
            return True
    return False


def date_named(text: str, *, today: date) -> date | None:
    """The one past date the text gives: today, yesterday, a weekday (the latest one, up to
    today) or day/month(/year). None when there is none, or more than one."""
    lowered = text.lower()
    dates: set[date] = set()
    if re.search(r"\btoday\b|\bthis morning\b", lowered):
        dates.add(today)
    if re.search(r"\byesterday\b", lowered):
        dates.add(today - timedelta(days=1))
    for number, name in enumerate(_WEEKDAYS):
        if re.search(rf"\b{name}\b", lowered):
            dates.add(today - timedelta(days=(today.weekday() - number) % 7))
    for day, month, year in _NUMERIC_DATE.findall(lowered):
        full_year = int(year) + 2000 if year and len(year) == 2 else int(year or today.year)
        try:
            given = date(full_year, int(month), int(day))
        except ValueError:
            continue
        if given <= today:
            dates.add(given)
    return dates.pop() if len(dates) == 1 else None
