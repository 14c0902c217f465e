"""Writing planning records: the rota (one entry at a time or a whole CSV file) and the
forecasts kept each day."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from civicdesk.core.calendar import Nation, bank_holidays
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.jobs import job_lease
from civicdesk.organisations.models import Organisation

from .choices import PLANNED_CHANNELS, QUEUE_CHANNELS, WEEKDAYS
from .forecasting import forecast, history_from
from .models import ForecastedDay, ForecastRun, RotaEntry
from .selectors import daily_volumes, history_start, organisations_with_contacts

log = logging.getLogger(__name__)

ROTA_COLUMNS = ("name", "channel", "weekday", "start", "end")
MAX_ROTA_ROWS = 5000
FORECAST_DAYS = 8 * 7
FORECAST_JOB = "planning-forecasts"


@dataclass(frozen=True)
class RotaLine:
    person: str
    channel: str
    weekday: str
    starts: str
    ends: str
    where: str = ""  # the line's place in a file, for error messages


def _half_hour(text: str) -> time | None:
    try:
        moment = time.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.second or moment.microsecond or moment.minute not in (0, 30):
        return None
    return moment


def _weekday(text: str) -> int | None:
    cleaned = text.strip().lower()
    for number, name in enumerate(WEEKDAYS):
        if cleaned in (name.lower(), name[:3].lower()):
            return number
    return None


def _rota_entry(organisation: Organisation, line: RotaLine) -> tuple[RotaEntry | None, dict]:
    problems: dict[str, str] = {}
    person = line.person.strip()
    if not person:
        problems["person"] = "Enter the name of the person on the rota"
    elif len(person) > 120:
        problems["person"] = "The name must be 120 characters or fewer"
    channel = line.channel.strip().lower().replace(" ", "_")
    if channel not in QUEUE_CHANNELS:
        problems["channel"] = "Choose phone, chat or face_to_face"
    weekday = _weekday(line.weekday)
    if weekday is None:
        problems["weekday"] = "Choose a day of the week, like Monday"
    starts, ends = _half_hour(line.starts), _half_hour(line.ends)
    if starts is None:
        problems["starts"] = "Enter the start on the hour or half hour, like 09:00"
    if ends is None:
        problems["ends"] = "Enter the end on the hour or half hour, like 17:30"
    if starts is not None and ends is not None and ends <= starts:
        problems["ends"] = "The end must be after the start"
    if problems:
        return None, problems
    assert weekday is not None and starts is not None and ends is not None
    return (
        RotaEntry(
            organisation=organisation,
            person=person,
            channel=channel,
            weekday=weekday,
            starts=starts,
            ends=ends,
        ),
        {},
    )


def rota_entry_add(*, organisation: Organisation, line: RotaLine) -> RotaEntry:
    entry, problems = _rota_entry(organisation, line)
    if entry is None:
        raise ValidationFailed("There is a problem with the rota entry.", fields=problems)
    entry.save()
    return entry


def rota_entry_remove(*, entry: RotaEntry) -> None:
    entry.delete()


def rota_replace(*, organisation: Organisation, lines: list[RotaLine]) -> int:
    """Replace the organisation's whole rota. Nothing changes unless every line is right."""
    if len(lines) > MAX_ROTA_ROWS:
        raise ValidationFailed(
            "The rota is too long.",
            fields={"file": f"A rota can have at most {MAX_ROTA_ROWS:,} rows"},
        )
    entries: list[RotaEntry] = []
    for number, line in enumerate(lines, start=1):
        entry, problems = _rota_entry(organisation, line)
        if entry is None:
            raise ValidationFailed(
                "The rota has a problem.",
                fields={
                    "file": f"{line.where or f'Line {number}'}: {next(iter(problems.values()))}"
                },
            )
        entries.append(entry)
    with transaction.atomic():
        RotaEntry.objects.filter(organisation=organisation).delete()
        RotaEntry.objects.bulk_create(entries)
    return len(entries)


def rota_import(*, organisation: Organisation, csv_text: str) -> int:
    """Replace the organisation's rota with the rows of a CSV file (columns name, channel,
    weekday, start, end). Nothing changes unless every row is right."""
    try:
        reader = csv.DictReader(io.StringIO(csv_text))
        fieldnames = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as problem:
        raise ValidationFailed(
            "The rota file cannot be read.",
            fields={"file": f"The file is not a CSV file we can read ({problem})"},
        ) from None
    columns = [column.strip().lower() for column in fieldnames]
    missing = [column for column in ROTA_COLUMNS if column not in columns]
    if missing:
        raise ValidationFailed(
            "The rota file cannot be read.",
            fields={"file": f"The file needs the columns {', '.join(ROTA_COLUMNS)}"},
        )
    lines: list[RotaLine] = []
    for number, row in enumerate(rows, start=2):
        values = {(key or "").strip().lower(): (value or "") for key, value in row.items()}
        if not any(str(value).strip() for value in values.values()):
            continue
        lines.append(
            RotaLine(
                values["name"],
                values["channel"],
                values["weekday"],
                values["start"],
                values["end"],
                where=f"Row {number}",
            )
        )
    return rota_replace(organisation=organisation, lines=lines)


# Forecasts


def forecast_make(*, organisation: Organisation, channel: str, made_on: date) -> ForecastRun:
    """The channel's forecast for the weeks after ``made_on``, from the history up to the day
    before; made once a day and kept. Raises ValidationFailed when the history is too short."""
    existing = ForecastRun.objects.filter(
        organisation=organisation, channel=channel, made_on=made_on
    ).first()
    if existing is not None:
        return existing
    if channel not in PLANNED_CHANNELS:
        raise ValidationFailed(
            "That channel is not planned.", fields={"channel": "Choose a channel"}
        )
    last = made_on - timedelta(days=1)
    first = history_start(organisation=organisation, channel=channel, last=last) or made_on
    rows = (
        daily_volumes(organisation=organisation, channel=channel, first=first, last=last)
        if first <= last
        else []
    )
    history = history_from(rows, holidays=bank_holidays(Nation(organisation.nation)))
    result = forecast(history, horizon=FORECAST_DAYS)
    with transaction.atomic():
        run, created = ForecastRun.objects.get_or_create(
            organisation=organisation,
            channel=channel,
            made_on=made_on,
            defaults={
                "method": result.method,
                "history_days": len(history),
                "origins": result.origins,
                "backtest_days": result.backtest_days,
                "scores": [
                    {
                        "method": score.method,
                        "mae": score.mae,
                        "mape": score.mape,
                        "coverage": score.coverage,
                        "chosen": score.chosen,
                    }
                    for score in result.scores
                ],
            },
        )
        if created:
            ForecastedDay.objects.bulk_create(
                ForecastedDay(
                    run=run, day=point.day, forecast=point.forecast, low=point.low, high=point.high
                )
                for point in result.days
            )
    return run


def forecasts_make(*, today: date | None = None) -> int:
    """The worker's daily job: each council's forecast for every planned channel, once a day,
    each channel in its own short transaction."""
    today = today or timezone.localdate()
    made = 0
    with job_lease(FORECAST_JOB, seconds=600) as lease:
        if lease is None:
            return 0
        for organisation in organisations_with_contacts(since=today - timedelta(weeks=8)):
            for channel in PLANNED_CHANNELS:
                try:
                    forecast_make(organisation=organisation, channel=channel, made_on=today)
                except ValidationFailed:
                    log.info(
                        "No forecast for organisation %s %s: too little history",
                        organisation.pk,
                        channel,
                    )
                    continue
                made += 1
                if not lease.renew():
                    return made
    return made
