"""What residents and officers say in the demo's history: how cases are described, the answers
typed into questions, and the summaries of failure demand and officers' calls.

The words are in ``data/phrasings.json`` and ``data/answers-by-urgency.csv``; this module reads
them and checks that every service and question they name is in the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from civicdesk.catalogue.choices import QuestionKind
from civicdesk.catalogue.importing import QuestionSpec

from .catalogue_spec import SPEC
from .datafiles import Document, Row, document_read, table_read


@dataclass(frozen=True)
class Phrasings:
    case_descriptions: Mapping[str, tuple[str, ...]]  # by service
    text_answers: Mapping[str, tuple[str, ...]]  # by question key, in any service
    # (service, question) -> (the answer if the case is an emergency or urgent, otherwise)
    answers_by_urgency: Mapping[tuple[str, str], tuple[str, str]]
    failure_demand: Mapping[str, str]  # by service
    failure_demand_otherwise: str
    officer_calls: tuple[str, ...]


@cache
def phrasings_read() -> Phrasings:
    """The demo's phrasings, read from their data files once. Raises DemoDataError, naming the
    file and the line or field, if one is missing or names something not in the catalogue."""
    document = document_read(
        name="phrasings.json",
        fields=(
            "case_descriptions",
            "text_answers",
            "failure_demand",
            "failure_demand_otherwise",
            "officer_calls",
        ),
    )
    descriptions = document.texts_by_name("case_descriptions")
    failure_demand = document.text_by_name("failure_demand")
    for field, services in (
        ("case_descriptions", descriptions),
        ("failure_demand", failure_demand),
    ):
        _services_check(document, field, services)
    text_answers = document.texts_by_name("text_answers")
    asked = {question.key for spec in SPEC.values() for question in spec.questions}
    for key in text_answers:
        if key not in asked:
            raise document.problem(f"text_answers.{key}", "no service asks this question")
    return Phrasings(
        case_descriptions=descriptions,
        text_answers=text_answers,
        answers_by_urgency=_answers_by_urgency_read(),
        failure_demand=failure_demand,
        failure_demand_otherwise=document.text("failure_demand_otherwise"),
        officer_calls=document.texts("officer_calls"),
    )


def _services_check(document: Document, field: str, services: Mapping[str, object]) -> None:
    for key in services:
        if key not in SPEC:
            raise document.problem(f"{field}.{key}", "this is not a service in the catalogue")


def _answers_by_urgency_read() -> dict[tuple[str, str], tuple[str, str]]:
    columns = ("service", "question", "if_urgent", "otherwise")
    answers: dict[tuple[str, str], tuple[str, str]] = {}
    for row in table_read(name="answers-by-urgency.csv", columns=columns):
        question = _question(row)
        pair = (row.text("if_urgent"), row.text("otherwise"))
        for answer in pair:
            if question.kind == QuestionKind.CHOICE and answer not in question.choices:
                raise row.problem(f"'{answer}' is not one of the choices for {question.key}")
        key = (row.text("service"), question.key)
        if key in answers:
            raise row.problem(f"{key[0]} {key[1]} has a line already")
        answers[key] = pair
    return answers


def _question(row: Row) -> QuestionSpec:
    service, key = row.text("service"), row.text("question")
    if service not in SPEC:
        raise row.problem(f"'{service}' is not a service in the catalogue")
    for question in SPEC[service].questions:
        if question.key == key:
            return question
    raise row.problem(f"{service} asks no question '{key}'")
