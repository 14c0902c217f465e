"""A council's catalogue as two files, both ways: exported, and imported with a preview.

The files are the ones ``importing`` reads: a CSV with a line for each service and a JSON file
of the questions and charter targets of each (docs/catalogue-format.md). An export imports back
to the same catalogue, and exporting that gives the same files.

Importing a council's files makes its catalogue what they say: services not in them are retired
(their cases stay as they are; bringing a service back in the files makes it active again). A
question some case has answered, or the charter target open cases are timed against, is never
dropped: the import is refused, naming them, and changes nothing. Which those are is the cases
app's to know; it says through ``CaseUse``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.models import Organisation
from civicdesk.organisations.services import teams_ensure, teams_missing

from .cached import catalogue_changed
from .choices import ProviderTier
from .importing import (
    REQUIRED_COLUMNS,
    QuestionSpec,
    RequestTypeSpec,
    _problems,
    catalogue_import,
    catalogue_spec_parse,
)
from .models import CharterTarget, Question, RequestType
from .selectors import charter_target_for

COLUMNS = (
    "key",
    "name",
    "service_area",
    "team",
    "provider_tier",
    "kind",
    "charter_target",
    "emergency",
    "description",
)
_PRIORITY_ORDER = {"emergency": 0, "urgent": 1, "standard": 2, "": 3}


@dataclass(frozen=True)
class CaseUse:
    """What an organisation's cases use of its catalogue, by request type id.

    ``answered(request_type_id, question_key)``: how many cases have an answer to the question.
    ``open_by_scope(request_type_id)``: open cases by (priority, channel).
    """

    answered: Callable[[int, str], int]
    open_by_scope: Callable[[int], Mapping[tuple[str, str], int]]


@dataclass(frozen=True)
class CataloguePlan:
    """What importing a catalogue does (or did), by service key."""

    added: list[str]
    changed: dict[str, list[str]]
    retired: dict[str, int]  # with how many open cases each has
    unchanged: list[str]
    teams_new: list[str]


# Reading and writing the files


def catalogue_files_read(
    csv_path: Path, json_path: Path
) -> tuple[list[dict[str, str]], dict[str, RequestTypeSpec]]:
    """The rows of a catalogue CSV and the questions and targets of its JSON file, or
    ValidationFailed naming the file and what is wrong with it."""
    for path in (csv_path, json_path):
        if not path.is_file():
            raise ValidationFailed(f"There is no file {path}.")
    return catalogue_texts_read(
        csv_data=csv_path.read_bytes(),
        csv_name=csv_path.name,
        json_data=json_path.read_bytes(),
        json_name=json_path.name,
    )


def catalogue_texts_read(
    *, csv_data: bytes, csv_name: str, json_data: bytes, json_name: str
) -> tuple[list[dict[str, str]], dict[str, RequestTypeSpec]]:
    """``catalogue_files_read`` for the contents of two files (uploaded, say) and their names."""
    texts = []
    for data, name, saved_as in (
        (csv_data, csv_name, "CSV UTF-8"),
        (json_data, json_name, "UTF-8"),
    ):
        try:
            texts.append(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise ValidationFailed(
                f"{name} is not UTF-8 text. Save it as '{saved_as}' and try again."
            ) from None
    text, spec_text = texts
    try:
        reader = csv.DictReader(io.StringIO(text))
        fieldnames = reader.fieldnames or []
        read_rows = list(reader)
    except csv.Error as unreadable:
        raise ValidationFailed(
            f"{csv_name} cannot be read as CSV ({unreadable}).",
            fields={"columns": str(unreadable)},
        ) from None
    columns = [column for column in fieldnames if column and column.strip()]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    unknown = [column for column in columns if column not in COLUMNS]
    if missing or unknown:
        problem = (
            f"has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}"
            if missing
            else f"has columns it cannot use: {', '.join(unknown)}"
        )
        raise ValidationFailed(
            f"{csv_name} {problem}. The columns are: {', '.join(COLUMNS)}.",
            fields={"columns": problem},
        )
    rows = [
        {column: (row.get(column) or "").strip() for column in columns}
        for row in read_rows
        if any((value or "").strip() for value in row.values() if isinstance(value, str))
    ]
    return rows, catalogue_spec_parse(spec_text, name=json_name)


def catalogue_export(*, organisation: Organisation) -> tuple[str, str]:
    """The organisation's active services as the text of the two files: the CSV and the JSON
    of questions and targets, in the same order (by service area, then name)."""
    request_types = (
        RequestType.objects.filter(organisation=organisation, active=True)
        .select_related("service_area__team")
        .prefetch_related("questions", "charter_targets")
        .order_by("service_area__name", "name", "key")
    )
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(COLUMNS)
    spec: dict[str, dict[str, Any]] = {}
    for request_type in request_types:
        area = request_type.service_area
        writer.writerow(
            [
                request_type.key,
                request_type.name,
                area.name,
                area.team.name if area.team else "",
                request_type.provider_tier,
                request_type.kind,
                request_type.charter_summary,
                "yes" if request_type.emergency else "no",
                request_type.description,
            ]
        )
        entry: dict[str, Any] = {"sensitive": True} if request_type.sensitive else {}
        entry["questions"] = [_question_json(q) for q in request_type.questions.all()]
        entry["targets"] = [
            _target_json(target)
            for target in sorted(
                request_type.charter_targets.all(),
                key=lambda t: (_PRIORITY_ORDER.get(t.priority, 9), t.channel),
            )
        ]
        spec[request_type.key] = entry
    return table.getvalue(), json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _question_json(question: Question) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": question.key, "label": question.label, "kind": question.kind}
    if not question.required:
        entry["required"] = False
    if question.hint:
        entry["hint"] = question.hint
    if question.choices:
        entry["choices"] = list(question.choices)
    if question.minimum is not None:
        entry["minimum"] = question.minimum
    if question.maximum is not None:
        entry["maximum"] = question.maximum
    if question.priorities:
        entry["priorities"] = dict(question.priorities)
    if question.danger_to_life:
        entry["danger_to_life"] = list(question.danger_to_life)
    if question.public:
        entry["public"] = True
    return entry


def _target_json(target: CharterTarget) -> dict[str, Any]:
    entry: dict[str, Any] = {"amount": target.amount, "unit": target.unit}
    entry["summary"] = target.summary
    if target.priority:
        entry["priority"] = target.priority
    if target.channel:
        entry["channel"] = target.channel
    return entry


# Importing


def catalogue_plan(
    *,
    organisation: Organisation,
    rows: list[dict[str, str]],
    spec: Mapping[str, RequestTypeSpec],
    case_use: CaseUse,
) -> CataloguePlan:
    """What importing the files would change, changing nothing. ValidationFailed if a row,
    question or target is wrong, or if the import would drop something cases use."""
    if not rows:
        raise ValidationFailed(
            "The catalogue lists no services. Importing it would retire every service; "
            "retire services one by one in the admin instead."
        )
    problems = _problems(organisation, rows, spec, {})
    problems.update(_team_problems(rows))
    if problems:
        first_field, first = next(iter(problems.items()))
        count = len(problems)
        raise ValidationFailed(
            f"The catalogue cannot be imported: {count} problem{'s' if count > 1 else ''}, "
            f"the first in {first_field}: {first}.",
            fields=problems,
        )
    existing = {
        request_type.key: request_type
        for request_type in RequestType.objects.filter(organisation=organisation)
        .select_related("service_area__team")
        .prefetch_related("questions", "charter_targets")
    }
    added: list[str] = []
    changed: dict[str, list[str]] = {}
    unchanged: list[str] = []
    in_use: dict[str, str] = {}
    for row in rows:
        key = row["key"]
        request_type = existing.get(key)
        if request_type is None:
            added.append(key)
            continue
        differences = _differences(request_type, row, spec[key])
        if differences:
            changed[key] = differences
        else:
            unchanged.append(key)
        in_use.update(_dropped_in_use(request_type, spec[key], case_use))
    if in_use:
        raise ValidationFailed(
            "The catalogue cannot be imported: it leaves out "
            + "; ".join(f"{where} ({why})" for where, why in in_use.items())
            + ". Keep them in the file: cases use them.",
            fields=in_use,
        )
    listed = {row["key"] for row in rows}
    retired = {
        key: sum(case_use.open_by_scope(request_type.pk).values())
        for key, request_type in sorted(existing.items())
        if key not in listed and request_type.active
    }
    return CataloguePlan(
        added=added,
        changed=changed,
        retired=retired,
        unchanged=unchanged,
        teams_new=teams_missing(organisation=organisation, names=_teams_by_area(rows).values()),
    )


def catalogue_replace(
    *,
    organisation: Organisation,
    rows: list[dict[str, str]],
    spec: Mapping[str, RequestTypeSpec],
    case_use: CaseUse,
    actor: Actor,
) -> CataloguePlan:
    """Make the organisation's catalogue what the files say (see ``catalogue_plan``): add and
    update services, retire those left out, and create the teams their areas name. All or
    nothing."""
    with transaction.atomic():
        plan = catalogue_plan(organisation=organisation, rows=rows, spec=spec, case_use=case_use)
        by_area = _teams_by_area(rows)
        teams = teams_ensure(organisation=organisation, names=by_area.values(), actor=actor)
        catalogue_import(
            organisation=organisation,
            rows=rows,
            spec=spec,
            teams={area: teams[name] for area, name in by_area.items()},
            actor=actor,
        )
        now = timezone.now()
        services = RequestType.objects.filter(organisation=organisation)
        services.filter(key__in=list(plan.retired)).update(active=False, updated_at=now)
        services.filter(key__in=[row["key"] for row in rows], active=False).update(
            active=True, updated_at=now
        )
        catalogue_changed(organisation_id=organisation.pk)
        audit_record(
            organisation=organisation,
            subject_type="organisation",
            subject_id=organisation.pk,
            action="catalogue_replaced",
            actor=actor,
            after={
                "added": plan.added,
                "changed": sorted(plan.changed),
                "retired": sorted(plan.retired),
            },
        )
    return plan


def _teams_by_area(rows: list[dict[str, str]]) -> dict[str, str]:
    """The team each service area's cases go to: the row's team, or one named like the area."""
    return {row["service_area"]: row.get("team") or row["service_area"] for row in rows}


def _team_problems(rows: list[dict[str, str]]) -> dict[str, str]:
    problems: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for row in rows:
        area, team = row.get("service_area", ""), row.get("team") or row.get("service_area", "")
        if not area:
            continue
        if team and not slugify(team):
            problems[f"{row['key']}.team"] = f"'{team}' is not a team name"
        if area in chosen and slugify(chosen[area]) != slugify(team):
            problems[f"{row['key']}.team"] = (
                f"the {area} service area's cases go to one team; another line names {chosen[area]}"
            )
        chosen.setdefault(area, team)
    return problems


def _differences(
    request_type: RequestType, row: dict[str, str], spec: RequestTypeSpec
) -> list[str]:
    area = request_type.service_area
    wanted = {
        "name": row["name"],
        "description": row.get("description", ""),
        "kind": row["kind"],
        "provider tier": row.get("provider_tier") or ProviderTier.ANY,
        "emergency": (row.get("emergency") or "").lower() in {"yes", "y", "true", "1"},
        "sensitive": spec.sensitive,
        "charter timescale": row.get("charter_target", ""),
    }
    current = {
        "name": request_type.name,
        "description": request_type.description,
        "kind": request_type.kind,
        "provider tier": request_type.provider_tier,
        "emergency": request_type.emergency,
        "sensitive": request_type.sensitive,
        "charter timescale": request_type.charter_summary,
    }
    differences = [name for name in wanted if wanted[name] != current[name]]
    if area.name != row["service_area"]:
        differences.append("service area")
    team = row.get("team") or row["service_area"]
    if area.team is None or area.team.slug != slugify(team):
        differences.append("team")
    questions = _changes(
        {q.key: _question_tuple(q) for q in request_type.questions.all()},
        {q.key: _spec_question_tuple(q) for q in spec.questions},
        ordered=True,
    )
    if questions:
        differences.append(f"questions ({questions})")
    targets = _changes(
        {
            _scope(t.priority, t.channel): _target_tuple(t)
            for t in request_type.charter_targets.all()
        },
        {
            _scope(t.priority, t.channel): (t.priority, t.channel, t.amount, str(t.unit), t.summary)
            for t in spec.targets
        },
        ordered=False,
    )
    if targets:
        differences.append(f"charter targets ({targets})")
    if not request_type.active:
        differences.append("brought back")
    return differences


def _changes(current: Mapping[str, Any], wanted: Mapping[str, Any], *, ordered: bool) -> str:
    """What changes from ``current`` to ``wanted`` (each by name), in words: "added where;
    changed bin; removed details", or, if their order matters, "in a new order"; empty if
    nothing does."""
    parts = [
        f"{what} {', '.join(names)}"
        for what, names in (
            ("added", [name for name in wanted if name not in current]),
            (
                "changed",
                [name for name in wanted if name in current and wanted[name] != current[name]],
            ),
            ("removed", [name for name in current if name not in wanted]),
        )
        if names
    ]
    if ordered and not parts and list(current) != list(wanted):
        parts.append("in a new order")
    return "; ".join(parts)


def _scope(priority: str, channel: str) -> str:
    """Whose cases a charter target is for, in words: "urgent", "any priority by phone"."""
    return (priority or "any priority") + (f" by {channel}" if channel else "")


def _question_tuple(question: Question) -> tuple[Any, ...]:
    return (
        question.key,
        question.label,
        question.hint,
        question.kind,
        question.required,
        list(question.choices),
        question.minimum,
        question.maximum,
        dict(question.priorities),
        list(question.danger_to_life),
        question.public,
    )


def _spec_question_tuple(question: QuestionSpec) -> tuple[Any, ...]:
    return (
        question.key,
        question.label,
        question.hint,
        question.kind,
        question.required,
        list(question.choices),
        question.minimum,
        question.maximum,
        dict(question.priorities),
        list(question.danger_to_life),
        question.public,
    )


def _target_tuple(target: CharterTarget) -> tuple[Any, ...]:
    return (target.priority, target.channel, target.amount, target.unit, target.summary)


def _dropped_in_use(
    request_type: RequestType, spec: RequestTypeSpec, case_use: CaseUse
) -> dict[str, str]:
    """Questions and targets the files leave out that cases still use, with why."""
    in_use: dict[str, str] = {}
    kept_questions = {question.key for question in spec.questions}
    for question in request_type.questions.all():
        if question.key in kept_questions:
            continue
        answered = case_use.answered(request_type.pk, question.key)
        if answered:
            in_use[f"{request_type.key}.questions.{question.key}"] = (
                f"{_cases(answered)} answered it"
            )
    kept_scopes = {(target.priority, target.channel) for target in spec.targets}
    dropped = [
        target
        for target in request_type.charter_targets.all()
        if (target.priority, target.channel) not in kept_scopes
    ]
    if dropped:
        timed: dict[int, int] = {}
        for (priority, channel), count in case_use.open_by_scope(request_type.pk).items():
            target = charter_target_for(
                request_type=request_type, priority=priority, channel=channel
            )
            if target is not None:
                timed[target.pk] = timed.get(target.pk, 0) + count
        for target in dropped:
            if timed.get(target.pk):
                scope = f"{target.priority or 'any'}.{target.channel or 'any'}"
                in_use[f"{request_type.key}.targets.{scope}"] = _open_cases_timed(timed[target.pk])
    return in_use


def _open_cases_timed(count: int) -> str:
    return f"{count} open case{' is' if count == 1 else 's are'} timed against it"


def _cases(count: int) -> str:
    return f"{count} case{'s' if count != 1 else ''}"
