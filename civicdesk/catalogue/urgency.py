"""What a resident's answers say about how urgent their report is.

A choice question may give its choices a priority (``priorities``: "Yes" to "Is it dangerous
right now?" makes the case an emergency) and may name the choices that mean someone's life is
in danger now (``danger_to_life``): the resident is told to phone 999 before anything else, and
a case opened with such an answer anyway (by an adviser, or over the API) is an emergency.
Every way of opening a case goes through ``case_open``, which asks ``urgency_of_answers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from civicdesk.core.choices import Priority

from .choices import QuestionKind

if TYPE_CHECKING:
    from .models import Question, RequestType

# Most urgent first.
PRIORITY_ORDER: tuple[str, ...] = (Priority.EMERGENCY, Priority.URGENT, Priority.STANDARD)


@dataclass(frozen=True)
class TellingAnswer:
    """An answer that made a difference: the question as asked and the choice made."""

    question_key: str
    label: str
    answer: str


@dataclass(frozen=True)
class Urgency:
    """``priority`` is None when no answer says anything about urgency; ``because`` holds the
    answers that set it, and ``danger_to_life`` those that mean someone's life is in danger."""

    priority: str | None
    because: tuple[TellingAnswer, ...] = ()
    danger_to_life: tuple[TellingAnswer, ...] = ()


def most_urgent(priorities: Iterable[str]) -> str | None:
    """The most urgent of these priorities, or None if there are none."""
    given = set(priorities)
    return next((priority for priority in PRIORITY_ORDER if priority in given), None)


def answer_means_danger_to_life(question: Question, value: Any) -> bool:
    return question.kind == QuestionKind.CHOICE and str(value) in question.danger_to_life


def urgency_of_answers(*, request_type: RequestType, answers: Mapping[str, Any]) -> Urgency:
    """The priority the answers give, from the catalogue's declarations for each choice."""
    given: list[tuple[str, TellingAnswer]] = []
    danger: list[TellingAnswer] = []
    for question in request_type.questions.all():
        if question.kind != QuestionKind.CHOICE or question.key not in answers:
            continue
        choice = str(answers[question.key])
        telling = TellingAnswer(question_key=question.key, label=question.label, answer=choice)
        if answer_means_danger_to_life(question, choice):
            danger.append(telling)
            given.append((Priority.EMERGENCY, telling))
        elif choice in question.priorities:
            given.append((str(question.priorities[choice]), telling))
    priority = most_urgent(priority for priority, _ in given)
    return Urgency(
        priority=priority,
        because=tuple(telling for level, telling in given if level == priority),
        danger_to_life=tuple(danger),
    )


def urgency_problems(
    *, kind: str, choices: Sequence[str], priorities: Any, danger_to_life: Any
) -> list[str]:
    """What is wrong with a question's urgency declarations, in words (empty if nothing)."""
    problems: list[str] = []
    if not isinstance(priorities, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in priorities.items()
    ):
        return ["priorities must map each choice to a priority"]
    if not isinstance(danger_to_life, list) or not all(
        isinstance(choice, str) for choice in danger_to_life
    ):
        return ["danger to life must be a list of choices"]
    if (priorities or danger_to_life) and kind != QuestionKind.CHOICE:
        return ["only a choice question can set the priority or mean danger to life"]
    known = [str(choice) for choice in choices]
    for choice, priority in priorities.items():
        if choice not in known:
            problems.append(f"'{choice}' is not one of the choices, so it cannot set a priority")
        elif priority not in Priority.values:
            problems.append(f"'{priority}' is not a priority (use {', '.join(Priority.values)})")
    for choice in danger_to_life:
        if choice not in known:
            problems.append(f"'{choice}' is not one of the choices, so it cannot mean danger")
    return problems


def request_type_can_be_dangerous(request_type: RequestType) -> bool:
    """Whether some answer can make its case an emergency: its pages then give the 24-hour
    number as well as the form."""
    return request_type.emergency or any(
        question.danger_to_life or Priority.EMERGENCY in question.priorities.values()
        for question in request_type.questions.all()
    )
