"""Rules about the catalogue: validating a resident's answers to a request type's questions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from civicdesk.core.errors import ValidationFailed

from .choices import QuestionKind
from .models import Question, RequestType

MAX_TEXT_LENGTH = 5000
LOCATION_MESSAGE = "Choose a point on the map or describe the location"


def answers_validate(
    *, request_type: RequestType, answers: dict[str, Any], file_names: list[str] | None = None
) -> dict[str, Any]:
    """Check answers against the request type's questions and return them cleaned.

    Raises ValidationFailed with one plain-English message per question that is wrong, in the
    order the questions are asked, and refuses answers to questions the service does not ask.
    """
    questions = list(request_type.questions.all())
    known = {question.key for question in questions}
    errors: dict[str, str] = {}
    for key in answers:
        if key not in known:
            errors[key] = f"'{key}' is not a question for {request_type.name.lower()}"
    cleaned: dict[str, Any] = {}
    for question in questions:
        if question.kind == QuestionKind.FILE:
            value: Any = list(file_names or [])
        else:
            value = answers.get(question.key)
        try:
            result = _clean(question, value)
        except ValueError as problem:
            errors[question.key] = str(problem)
            continue
        if result is not None:
            cleaned[question.key] = result
    if errors:
        raise ValidationFailed("There is a problem with your answers.", fields=errors)
    return cleaned


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _clean(question: Question, value: Any) -> Any:
    label = question.label.rstrip("?").lower()
    if isinstance(value, str):
        value = value.strip()
    if _is_blank(value):
        if question.required:
            if question.kind == QuestionKind.LOCATION:
                raise ValueError(LOCATION_MESSAGE)
            verb = {QuestionKind.CHOICE: "Select", QuestionKind.FILE: "Upload"}.get(
                QuestionKind(question.kind), "Enter"
            )
            raise ValueError(f"{verb} {label}")
        return None
    cleaner = _CLEANERS[QuestionKind(question.kind)]
    return cleaner(question, value, label)


def _clean_text(question: Question, value: Any, label: str) -> str:
    text = str(value)
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"{label.capitalize()} must be {MAX_TEXT_LENGTH} characters or fewer")
    return text


# Numbers on council forms are counts, sizes and amounts; anything longer is not one of those,
# and refusing it early stops "1e2000000" from costing minutes of arithmetic.
MAX_NUMBER_CHARACTERS = 20
MAX_NUMBER_DIGITS = 15


def _clean_number(question: Question, value: Any, label: str) -> int | float:
    text = str(value).replace(",", "").strip()
    try:
        if len(text) > MAX_NUMBER_CHARACTERS:
            raise InvalidOperation
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label.capitalize()} must be a number") from None
    if not number.is_finite() or number.adjusted() >= MAX_NUMBER_DIGITS:
        raise ValueError(f"{label.capitalize()} must be a number")
    if question.minimum is not None and number < question.minimum:
        raise ValueError(f"{label.capitalize()} must be {question.minimum} or more")
    if question.maximum is not None and number > question.maximum:
        raise ValueError(f"{label.capitalize()} must be {question.maximum} or less")
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_date(question: Question, value: Any, label: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(f"{label.capitalize()} must be a real date") from None


def _clean_choice(question: Question, value: Any, label: str) -> str:
    if str(value) not in [str(choice) for choice in question.choices]:
        raise ValueError(f"Choose one of the listed options for {label}")
    return str(value)


def _clean_location(question: Question, value: Any, label: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"description": _clean_text(question, value, label)}
    if not isinstance(value, dict):
        raise ValueError(LOCATION_MESSAGE)
    location: dict[str, Any] = {}
    if value.get("latitude") is not None or value.get("longitude") is not None:
        try:
            latitude, longitude = float(value["latitude"]), float(value["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(LOCATION_MESSAGE) from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(LOCATION_MESSAGE)
        location.update(latitude=round(latitude, 6), longitude=round(longitude, 6))
    for field in ("description", "address", "postcode"):
        if value.get(field):
            location[field] = _clean_text(question, value[field], label)
    if not location:
        raise ValueError(LOCATION_MESSAGE)
    return location


def _clean_files(question: Question, value: Any, label: str) -> list[str]:
    return [str(name) for name in value]


_CLEANERS = {
    QuestionKind.TEXT: _clean_text,
    QuestionKind.NUMBER: _clean_number,
    QuestionKind.DATE: _clean_date,
    QuestionKind.CHOICE: _clean_choice,
    QuestionKind.LOCATION: _clean_location,
    QuestionKind.FILE: _clean_files,
}
