"""The "report or apply" journey: what a resident has told us so far, kept in their session.

Nothing a resident types goes into a URL. Answers, the location check and uploaded files are
keyed by the session only; uploaded files wait in private storage under a random name until
the request is made, and are removed then (or after a day if the resident never finishes).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from civicdesk.cases.documents import CheckedDocument, Upload
from civicdesk.catalogue.choices import QuestionKind
from civicdesk.catalogue.services import answers_validate
from civicdesk.core.errors import ValidationFailed

if TYPE_CHECKING:
    from civicdesk.catalogue.models import Question, RequestType

SESSION_KEY = "report_journeys"
DONE_KEY = "report_done"
PENDING_FOLDER = "report-pending"
PENDING_MAX_AGE = timedelta(days=1)
MAX_PLACES = 10


@dataclass
class Journey:
    """One resident's answers for one service, as plain data the session can store."""

    token: str
    answers: dict[str, Any]
    files: dict[str, list[dict[str, Any]]]
    places: dict[str, list[dict[str, Any]]]
    nearby: list[int]
    provider_id: int | None
    verdict: dict[str, Any] | None
    details: dict[str, str] | None
    anonymous: bool
    follow_id: int | None
    # Answers read from what the resident told Ask: shown on their question's page, filled
    # in for the resident to check, and kept only once they continue from it.
    suggested: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fresh(cls) -> Journey:
        return cls(
            token=secrets.token_urlsafe(24),
            answers={},
            files={},
            places={},
            nearby=[],
            provider_id=None,
            verdict=None,
            details=None,
            anonymous=False,
            follow_id=None,
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _slot(council: str, key: str) -> str:
    return f"{council}/{key}"


def journey_load(session: SessionBase, council: str, key: str) -> Journey | None:
    stored = session.get(SESSION_KEY, {}).get(_slot(council, key))
    if not isinstance(stored, dict):
        return None
    try:
        return Journey(**stored)
    except TypeError:
        return None


def journey_save(session: SessionBase, council: str, key: str, journey: Journey) -> None:
    journeys = dict(session.get(SESSION_KEY, {}))
    journeys[_slot(council, key)] = journey.as_dict()
    session[SESSION_KEY] = journeys


def journey_start(session: SessionBase, council: str, key: str) -> Journey:
    """The resident's journey for this service, or a new one."""
    journey = journey_load(session, council, key)
    if journey is None:
        journey = Journey.fresh()
        journey_save(session, council, key, journey)
    return journey


def journey_end(
    session: SessionBase, council: str, key: str, *, keep_files: frozenset[str] = frozenset()
) -> None:
    """Forget the journey and its waiting files, except ``keep_files`` (the ids of files that
    another journey has taken over)."""
    journeys = dict(session.get(SESSION_KEY, {}))
    journey = journeys.pop(_slot(council, key), None)
    session[SESSION_KEY] = journeys
    if isinstance(journey, dict):
        for stored in journey.get("files", {}).values():
            for item in stored:
                identifier = str(item.get("id", ""))
                if identifier not in keep_files:
                    pending_delete(identifier)


def done_record(session: SessionBase, token: str, case_id: int) -> None:
    done = dict(session.get(DONE_KEY, {}))
    done[token] = case_id
    session[DONE_KEY] = done


def done_case_id(session: SessionBase, token: str) -> int | None:
    value = session.get(DONE_KEY, {}).get(token)
    return value if isinstance(value, int) else None


# Questions, one a page.


def question_after(request_type: RequestType, key: str | None) -> Question | None:
    """The question after ``key`` (the first question when ``key`` is None)."""
    questions = list(request_type.questions.all())
    if key is None:
        return questions[0] if questions else None
    keys = [question.key for question in questions]
    if key not in keys:
        return None
    position = keys.index(key) + 1
    return questions[position] if position < len(questions) else None


def question_get(request_type: RequestType, key: str) -> Question | None:
    return next((q for q in request_type.questions.all() if q.key == key), None)


def first_unanswered(request_type: RequestType, journey: Journey) -> Question | None:
    for question in request_type.questions.all():
        if question.key not in journey.answers and question.key not in journey.files:
            return question
    return None


def answer_error(request_type: RequestType, question: Question, value: Any) -> str | None:
    """The catalogue's plain-English message for this one answer, or None when it is fine."""
    try:
        if question.kind == QuestionKind.FILE:
            answers_validate(request_type=request_type, answers={}, file_names=value)
        else:
            answers_validate(request_type=request_type, answers={question.key: value})
    except ValidationFailed as problem:
        return problem.fields.get(question.key)
    return None


@dataclass(frozen=True)
class DateParts:
    day: str
    month: str
    year: str


_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")
# Questions worded like these ask about something that has already happened.
_PAST_WORDING = ("when did ", "when was ", "what was the date", "date of birth")


def asks_about_the_past(question: Question) -> bool:
    """Whether the question's own wording asks about the past ("When did you first notice
    it?", "What is your child's date of birth?"), so that a date after today is refused."""
    label = question.label.lower()
    return any(wording in label for wording in _PAST_WORDING)


def date_check(
    question: Question, parts: DateParts, today: date | None = None
) -> tuple[str | None, str, str]:
    """(ISO date or None, error message, which part to point the error at)."""
    label = question.label.rstrip("?")
    values = {name: getattr(parts, name).strip() for name in ("day", "month", "year")}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == 3:
        if question.required:
            return None, f"Enter {label.lower()}", "day"
        return "", "", ""
    if missing:
        what = " and a ".join(missing)
        return None, f"{label} must include a {what}", missing[0]
    # Digits only: int() would also read "1_0" as 10, " ٣" as 3.
    for name in ("day", "month"):
        if not _DAY_OR_MONTH.fullmatch(values[name]):
            return None, f"{label} must be a real date", name
    if not _YEAR.fullmatch(values["year"]) or values["year"].startswith("0"):
        return None, "Year must include 4 numbers", "year"
    try:
        chosen = date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        return None, f"{label} must be a real date", "day"
    if asks_about_the_past(question) and chosen > (today or timezone.localdate()):
        return None, f"{label} must be today or in the past", "day"
    return chosen.isoformat(), "", ""


def answer_summary(question: Question, journey: Journey) -> str:
    """How an answer reads on the check answers page."""
    if question.kind == QuestionKind.FILE:
        names = [str(item["name"]) for item in journey.files.get(question.key, [])]
        return ", ".join(names) or "Not given"
    value = journey.answers.get(question.key)
    if value in (None, "", {}):
        return "Not given"
    if question.kind == QuestionKind.DATE:
        chosen = date.fromisoformat(str(value))
        return f"{chosen.day} {chosen:%B %Y}"
    if question.kind == QuestionKind.LOCATION and isinstance(value, dict):
        parts = [str(value.get("description") or "")]
        if value.get("matched"):
            parts.append(f"Found as {value['matched']}")
        if value.get("latitude") is not None:
            parts.append(f"Map position {value['latitude']:.5f}, {value['longitude']:.5f}")
        return "\n".join(part for part in parts if part)
    return str(value)


# Uploaded files waiting for the request to be made.


def pending_store(document: CheckedDocument) -> dict[str, Any]:
    """Keep a checked file in private storage under a random name; never served by URL."""
    pending_sweep()
    identifier = secrets.token_hex(16)
    extension = document.stored_name.rsplit(".", 1)[-1]
    default_storage.save(
        f"{PENDING_FOLDER}/{identifier}.{extension}", ContentFile(document.content)
    )
    return {
        "id": f"{identifier}.{extension}",
        "name": document.original_name,
        "content_type": document.content_type,
        "size": len(document.content),
    }


def pending_read(item: dict[str, Any]) -> Upload:
    identifier = str(item["id"])
    if not _safe_identifier(identifier):
        raise ValidationFailed(
            "That file is no longer available.", fields={"file": "Upload it again"}
        )
    try:
        with default_storage.open(f"{PENDING_FOLDER}/{identifier}", "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise ValidationFailed(
            "That file is no longer available.", fields={"file": "Upload the file again"}
        ) from None
    return Upload(name=str(item["name"]), content=content)


def pending_delete(identifier: str) -> None:
    if _safe_identifier(identifier):
        default_storage.delete(f"{PENDING_FOLDER}/{identifier}")


def pending_sweep() -> None:
    """Remove files left by journeys nobody finished."""
    try:
        _, names = default_storage.listdir(PENDING_FOLDER)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - PENDING_MAX_AGE
    for name in names:
        path = f"{PENDING_FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue


def _safe_identifier(identifier: str) -> bool:
    stem, _, extension = identifier.partition(".")
    return (
        len(stem) == 32
        and all(c in "0123456789abcdef" for c in stem)
        and extension in ("pdf", "png", "jpg")
    )
