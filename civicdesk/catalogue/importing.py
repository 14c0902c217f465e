"""Importing a council's service catalogue: the shared CSV plus the structure it cannot hold.

The CSV (``data/service-catalogue.csv``) names every service, its area, kind, tier and the
charter timescale as the charter publishes it. The questions each service asks and the charter
targets the clock runs on come from a spec, keyed by the same service key, which
``catalogue_spec_read`` reads from a JSON file (the starter catalogue's is
``data/service-catalogue.json``; docs/catalogue-format.md describes both files). Importing is
idempotent: service areas are matched by slug, request types by key, questions by key and
targets by priority and channel, so running it again updates records in place. Questions and
targets the spec no longer lists are removed; request types missing from the rows are left alone.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.text import slugify

from civicdesk.core.audit import SYSTEM, Actor, audit_record
from civicdesk.core.calendar import TimeUnit
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.models import Organisation, Team

from .cached import catalogue_changed
from .choices import ProviderTier, QuestionKind, RequestKind
from .models import CharterTarget, Question, RequestType, ServiceArea
from .urgency import urgency_problems

_Row = TypeVar("_Row", bound=models.Model)

CATALOGUE_CSV = Path(__file__).resolve().parent / "data" / "service-catalogue.csv"
CATALOGUE_JSON = CATALOGUE_CSV.with_suffix(".json")
REQUIRED_COLUMNS = ("key", "name", "service_area", "kind")
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_UNITS = [unit.value for unit in TimeUnit]


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    label: str
    kind: str
    _: KW_ONLY
    required: bool = True
    hint: str = ""
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    # The priority each choice gives a case, such as {"Yes": "emergency"}.
    priorities: Mapping[str, str] = field(default_factory=dict)
    danger_to_life: tuple[str, ...] = ()
    public: bool = False


@dataclass(frozen=True)
class TargetSpec:
    """A charter target. ``summary`` reads after "We aim to", e.g. "collect your bin"."""

    amount: int
    unit: str
    summary: str
    _: KW_ONLY
    priority: str = ""
    channel: str = ""


@dataclass(frozen=True)
class RequestTypeSpec:
    questions: tuple[QuestionSpec, ...] = ()
    targets: tuple[TargetSpec, ...] = ()
    sensitive: bool = False


@dataclass(frozen=True)
class ImportResult:
    service_areas: int
    request_types_created: int
    request_types_updated: int
    questions: int
    targets: int


def catalogue_rows_read(path: Path = CATALOGUE_CSV) -> list[dict[str, str]]:
    """The rows of a catalogue CSV, as column name -> text."""
    with path.open(encoding="utf-8", newline="") as source:
        return [dict(row) for row in csv.DictReader(source)]


def catalogue_spec_read(path: Path) -> dict[str, RequestTypeSpec]:
    """The questions and charter targets in a JSON spec file, by service key.

    Each service is an object with a list of ``questions``, a list of ``targets`` and, if its
    cases need special care, ``"sensitive": true``. Questions and targets have the fields of
    QuestionSpec and TargetSpec; a field left out takes its default. Raises ValidationFailed,
    naming the file and the service, question or target, if a value is missing or wrong.
    """
    return catalogue_spec_parse(path.read_text(encoding="utf-8"), name=path.name)


def catalogue_spec_parse(text: str, *, name: str) -> dict[str, RequestTypeSpec]:
    """``catalogue_spec_read`` for the text of a file called ``name`` (an upload, say)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            f"{name} is not valid JSON: {error.msg} on line {error.lineno}."
        ) from error
    problems = _spec_file_problems(document)
    spec = {} if problems else {key: _spec_from_json(entry) for key, entry in document.items()}
    for key, request_type in spec.items():
        problems.update(_spec_problems(key, request_type))
    if problems:
        first_field, first = next(iter(problems.items()))
        count = len(problems)
        raise ValidationFailed(
            f"{name} cannot be read: {count} problem{'s' if count > 1 else ''}, "
            f"the first in {first_field}: {first}.",
            fields=problems,
        )
    return spec


def catalogue_import(
    *,
    organisation: Organisation,
    rows: Iterable[Mapping[str, str]],
    spec: Mapping[str, RequestTypeSpec],
    teams: Mapping[str, Team] | None = None,
    actor: Actor = SYSTEM,
) -> ImportResult:
    """Create or update an organisation's catalogue from CSV rows and a spec for every row.

    ``teams`` maps a service area's name (as in the CSV) to the team whose queue its cases go
    to; areas it does not name keep the team they have. Raises ValidationFailed, and changes
    nothing, if any row, question or target is not valid.
    """
    table = [dict(row) for row in rows]
    teams = teams or {}
    problems = _problems(organisation, table, spec, teams)
    if problems:
        first_field, first = next(iter(problems.items()))
        count = len(problems)
        raise ValidationFailed(
            f"The catalogue cannot be imported: {count} problem{'s' if count > 1 else ''}, "
            f"the first in {first_field}: {first}.",
            fields=problems,
        )
    with transaction.atomic():
        areas = _service_areas_sync(organisation, table, teams)
        existing = {
            request_type.key: request_type
            for request_type in RequestType.objects.filter(
                organisation=organisation
            ).prefetch_related("questions", "charter_targets")
        }
        created = updated = questions = targets = 0
        for row in table:
            key = row["key"].strip()
            request_type, is_new = _request_type_sync(
                organisation, row, spec[key], areas, existing.get(key)
            )
            created += is_new
            updated += not is_new
            questions += _questions_sync(request_type, spec[key].questions, is_new)
            targets += _targets_sync(request_type, spec[key].targets, is_new)
        result = ImportResult(
            service_areas=len(areas),
            request_types_created=created,
            request_types_updated=updated,
            questions=questions,
            targets=targets,
        )
        audit_record(
            organisation=organisation,
            subject_type="organisation",
            subject_id=organisation.pk,
            action="catalogue_imported",
            actor=actor,
            after=asdict(result),
        )
        # Written in bulk, past the signals that tell every process of single edits.
        catalogue_changed(organisation_id=organisation.pk)
    return result


# Validation


def _problems(
    organisation: Organisation,
    rows: list[dict[str, str]],
    spec: Mapping[str, RequestTypeSpec],
    teams: Mapping[str, Team],
) -> dict[str, str]:
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        key = (row.get("key") or "").strip()
        where = key or f"row {number}"
        for column in REQUIRED_COLUMNS:
            if not (row.get(column) or "").strip():
                problems[f"{where}.{column}"] = f"the {column.replace('_', ' ')} is missing"
        if not key:
            continue
        if not _KEY.match(key):
            problems[key] = "a key must be lower-case letters, digits and hyphens"
        if key in seen:
            problems[key] = "the key appears more than once"
        seen.add(key)
        problems.update(_row_problems(key, row))
        if key not in spec:
            problems[f"{key}.spec"] = "there are no questions or charter targets for it"
        else:
            problems.update(_spec_problems(key, spec[key]))
    for key in spec:
        if key not in seen:
            problems[key] = "the spec describes a service that is not in the catalogue"
    for area, team in teams.items():
        if team.organisation_id != organisation.pk:
            problems[f"teams.{area}"] = f"the {team.name} team belongs to another organisation"
    return problems


def _row_problems(key: str, row: dict[str, str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    kind = (row.get("kind") or "").strip()
    if kind and kind not in RequestKind.values:
        problems[f"{key}.kind"] = (
            f"'{kind}' is not a kind of request ({_listed(RequestKind.values)})"
        )
    tier = (row.get("provider_tier") or "").strip()
    if tier and tier not in ProviderTier.values:
        problems[f"{key}.provider_tier"] = (
            f"'{tier}' is not a provider tier ({_listed(ProviderTier.values)})"
        )
    emergency = (row.get("emergency") or "").strip().lower()
    if emergency not in _YES | _NO:
        problems[f"{key}.emergency"] = f"'{emergency}' must be yes or no"
    return problems


def _spec_problems(key: str, spec: RequestTypeSpec) -> dict[str, str]:
    problems: dict[str, str] = {}
    question_keys: set[str] = set()
    for question in spec.questions:
        where = f"{key}.questions.{question.key}"
        if not _KEY.match(question.key) or question.key in question_keys:
            problems[where] = "each question needs its own key of letters, digits and hyphens"
        question_keys.add(question.key)
        if question.kind not in QuestionKind.values:
            problems[where] = (
                f"'{question.kind}' is not a kind of question ({_listed(QuestionKind.values)})"
            )
        elif question.kind == QuestionKind.CHOICE and not question.choices:
            problems[where] = "a choice question needs its choices"
        else:
            urgency = urgency_problems(
                kind=question.kind,
                choices=question.choices,
                priorities=dict(question.priorities),
                danger_to_life=list(question.danger_to_life),
            )
            if urgency:
                problems[where] = "; ".join(urgency)
        if (
            question.minimum is not None
            and question.maximum is not None
            and question.minimum > question.maximum
        ):
            problems[where] = "the minimum is more than the maximum"
    scopes: set[tuple[str, str]] = set()
    for target in spec.targets:
        where = f"{key}.targets.{target.priority or 'any'}.{target.channel or 'any'}"
        if (target.priority, target.channel) in scopes:
            problems[where] = "there are two targets for the same priority and channel"
        scopes.add((target.priority, target.channel))
        problems.update(_target_problems(where, target))
    return problems


def _target_problems(where: str, target: TargetSpec) -> dict[str, str]:
    if target.unit not in _UNITS:
        return {where: f"'{target.unit}' is not a unit of time ({_listed(_UNITS)})"}
    if target.amount < 0:
        return {where: "a target cannot be negative"}
    if target.priority and target.priority not in Priority.values:
        return {where: f"'{target.priority}' is not a priority ({_listed(Priority.values)})"}
    if target.channel and target.channel not in Channel.values:
        return {where: f"'{target.channel}' is not a channel ({_listed(Channel.values)})"}
    if not target.summary.strip():
        return {where: "say what is done by then, e.g. 'collect your bin'"}
    return {}


def _listed(values: Iterable[str]) -> str:
    return "use " + ", ".join(values)


# Reading the spec file

_TEXT = "text"
_FLAG = "true or false"
_WHOLE_NUMBER = "a whole number"
_WHOLE_NUMBER_OR_NULL = "a whole number or null"
_TEXTS = "a list of text"
_CHOICE_PRIORITIES = "an object of choices and priorities"
_OBJECTS = "a list of objects"
_SERVICE_FIELDS = {"sensitive": _FLAG, "questions": _OBJECTS, "targets": _OBJECTS}
_QUESTION_FIELDS = {
    "key": _TEXT,
    "label": _TEXT,
    "kind": _TEXT,
    "required": _FLAG,
    "hint": _TEXT,
    "choices": _TEXTS,
    "minimum": _WHOLE_NUMBER_OR_NULL,
    "maximum": _WHOLE_NUMBER_OR_NULL,
    "priorities": _CHOICE_PRIORITIES,
    "danger_to_life": _TEXTS,
    "public": _FLAG,
}
_TARGET_FIELDS = {
    "amount": _WHOLE_NUMBER,
    "unit": _TEXT,
    "summary": _TEXT,
    "priority": _TEXT,
    "channel": _TEXT,
}
_PARTS = (
    ("questions", _QUESTION_FIELDS, ("key", "label", "kind")),
    ("targets", _TARGET_FIELDS, ("amount", "unit", "summary")),
)


def _spec_file_problems(document: Any) -> dict[str, str]:
    """Fields missing, unknown or of the wrong type, by where they are: ``missed-bin``,
    ``missed-bin.questions.2.required``, ``pothole.targets.1.amount``."""
    if not isinstance(document, dict):
        return {"the file": "it must be an object with a field for each service key"}
    problems: dict[str, str] = {}
    for key, entry in document.items():
        problems.update(_fields_problems(key, entry, _SERVICE_FIELDS, required=()))
        if not isinstance(entry, dict):
            continue
        for part, fields, required in _PARTS:
            items = entry.get(part, [])
            for number, item in enumerate(items if isinstance(items, list) else [], start=1):
                where = f"{key}.{part}.{number}"
                problems.update(_fields_problems(where, item, fields, required=required))
    return problems


def _fields_problems(
    where: str, entry: Any, fields: Mapping[str, str], *, required: tuple[str, ...]
) -> dict[str, str]:
    if not isinstance(entry, dict):
        return {where: "it must be an object of fields"}
    problems = {
        f"{where}.{name}": f"the {name} is missing" for name in required if name not in entry
    }
    for name, value in entry.items():
        expected = fields.get(name)
        if expected is None:
            problems[f"{where}.{name}"] = f"'{name}' is not a field here ({_listed(fields)})"
        elif not _is_a(expected, value):
            problems[f"{where}.{name}"] = f"it must be {expected}, not {json.dumps(value)}"
    return problems


def _is_a(expected: str, value: Any) -> bool:
    whole_number = isinstance(value, int) and not isinstance(value, bool)
    if expected == _TEXT:
        return isinstance(value, str)
    if expected == _FLAG:
        return isinstance(value, bool)
    if expected == _WHOLE_NUMBER:
        return whole_number
    if expected == _WHOLE_NUMBER_OR_NULL:
        return whole_number or value is None
    if expected == _TEXTS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if expected == _CHOICE_PRIORITIES:
        return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())
    return isinstance(value, list)


def _spec_from_json(entry: dict[str, Any]) -> RequestTypeSpec:
    return RequestTypeSpec(
        questions=tuple(
            QuestionSpec(
                **{
                    **question,
                    "choices": tuple(question.get("choices", ())),
                    "priorities": dict(question.get("priorities", {})),
                    "danger_to_life": tuple(question.get("danger_to_life", ())),
                }
            )
            for question in entry.get("questions", [])
        ),
        targets=tuple(TargetSpec(**target) for target in entry.get("targets", [])),
        sensitive=entry.get("sensitive", False),
    )


# Writing


def _service_areas_sync(
    organisation: Organisation, rows: list[dict[str, str]], teams: Mapping[str, Team]
) -> dict[str, ServiceArea]:
    names = list(dict.fromkeys(row["service_area"].strip() for row in rows))
    existing = {area.slug: area for area in ServiceArea.objects.filter(organisation=organisation)}
    areas: dict[str, ServiceArea] = {}
    for name in names:
        slug = slugify(name)
        area = existing.get(slug) or ServiceArea(organisation=organisation, slug=slug)
        team = teams.get(name)
        changed = area.pk is None or area.name != name
        changed |= team is not None and area.team_id != team.pk
        area.name = name
        if team is not None:
            area.team = team
        if changed:
            area.save()
        areas[name] = area
    return areas


def _request_type_sync(
    organisation: Organisation,
    row: dict[str, str],
    spec: RequestTypeSpec,
    areas: dict[str, ServiceArea],
    request_type: RequestType | None,
) -> tuple[RequestType, bool]:
    values = {
        "service_area_id": areas[row["service_area"].strip()].pk,
        "name": row["name"].strip(),
        "description": (row.get("description") or "").strip(),
        "kind": row["kind"].strip(),
        "provider_tier": (row.get("provider_tier") or "").strip() or ProviderTier.ANY,
        "emergency": (row.get("emergency") or "").strip().lower() in _YES,
        "sensitive": spec.sensitive,
        "charter_summary": (row.get("charter_target") or "").strip(),
    }
    if request_type is None:
        created = RequestType.objects.create(
            organisation=organisation, key=row["key"].strip(), **values
        )
        return created, True
    changed = [name for name, value in values.items() if getattr(request_type, name) != value]
    for name in changed:
        setattr(request_type, name, values[name])
    if changed:
        request_type.save(update_fields=[*changed, "updated_at"])
    return request_type, False


def _questions_sync(
    request_type: RequestType, specs: tuple[QuestionSpec, ...], is_new: bool
) -> int:
    existing = {} if is_new else {q.key: q for q in request_type.questions.all()}
    _rows_sync(
        Question,
        existing,
        [
            (
                spec.key,
                partial(Question, request_type=request_type, key=spec.key),
                {
                    "label": spec.label,
                    "hint": spec.hint,
                    "kind": spec.kind,
                    "required": spec.required,
                    "choices": list(spec.choices),
                    "minimum": spec.minimum,
                    "maximum": spec.maximum,
                    "priorities": dict(spec.priorities),
                    "danger_to_life": list(spec.danger_to_life),
                    "public": spec.public,
                    "position": position,
                },
            )
            for position, spec in enumerate(specs, start=1)
        ],
    )
    return len(specs)


def _targets_sync(request_type: RequestType, specs: tuple[TargetSpec, ...], is_new: bool) -> int:
    existing = (
        {} if is_new else {(t.priority, t.channel): t for t in request_type.charter_targets.all()}
    )
    _rows_sync(
        CharterTarget,
        existing,
        [
            (
                (spec.priority, spec.channel),
                partial(
                    CharterTarget,
                    request_type=request_type,
                    priority=spec.priority,
                    channel=spec.channel,
                ),
                {"amount": spec.amount, "unit": str(spec.unit), "summary": spec.summary},
            )
            for spec in specs
        ],
    )
    return len(specs)


def _rows_sync(
    model: type[_Row],
    existing: dict[Any, _Row],
    wanted: list[tuple[Any, Callable[[], _Row], dict[str, Any]]],
) -> None:
    """Make a request type's child rows exactly ``wanted``: add the missing, update what
    differs, delete the rest, in three statements."""
    new: list[_Row] = []
    changed: list[_Row] = []
    for key, make, values in wanted:
        row = existing.pop(key, None) or make()
        if row.pk is None:
            new.append(row)
        elif any(getattr(row, name) != value for name, value in values.items()):
            changed.append(row)
        for name, value in values.items():
            setattr(row, name, value)
    model._default_manager.bulk_create(new)
    if changed:
        model._default_manager.bulk_update(changed, list(wanted[0][2]))
    model._default_manager.filter(pk__in=[row.pk for row in existing.values()]).delete()
