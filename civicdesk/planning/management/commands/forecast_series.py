"""Forecast any daily series read as CSV from standard input.

python manage.py forecast_series --horizon 10 < history.csv

Each line is ``date,volume`` (ISO dates; a heading line is skipped). A series with no Saturdays
or Sundays is taken as weekdays only, and so is its forecast. It prints ``date,forecast,low,high``
for the next H periods (low and high bound an 80% prediction interval); the method, chosen by
the rolling-origin backtest, and every method's backtest error go to standard error.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.calendar import Nation, bank_holidays
from civicdesk.core.errors import ValidationFailed
from civicdesk.planning.forecasting import BACKTEST_ORIGINS, forecast, history_from

NO_HOLIDAYS = "none"


def rows_read(lines: list[str]) -> list[tuple[date, float]]:
    rows: list[tuple[date, float]] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        cells = [cell.strip() for cell in text.split(",")]
        if len(cells) != 2:
            raise CommandError(f"Line {number}: expected date,volume")
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            if number == 1 and not rows:
                continue  # a heading
            raise CommandError(
                f"Line {number}: {cells[0]!r} is not a date like 2026-01-31"
            ) from None
        try:
            volume = float(cells[1])
        except ValueError:
            raise CommandError(f"Line {number}: {cells[1]!r} is not a number") from None
        rows.append((day, volume))
    return rows


class Command(BaseCommand):
    help = "Forecast a daily series (date,volume lines on standard input)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--horizon", type=int, required=True, help="Periods to forecast.")
        parser.add_argument(
            "--season", type=int, help="Periods in the weekly cycle: 7, or 5 for weekdays only."
        )
        parser.add_argument(
            "--bank-holidays",
            choices=[*(nation.value for nation in Nation), NO_HOLIDAYS],
            default=Nation.ENGLAND_AND_WALES.value,
            help="Whose bank holidays the regression knows about.",
        )
        parser.add_argument("--origins", type=int, default=BACKTEST_ORIGINS)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rows_read(sys.stdin.readlines())
        nation = options["bank_holidays"]
        holidays = frozenset() if nation == NO_HOLIDAYS else bank_holidays(Nation(nation))
        if not 1 <= options["origins"] <= 52:
            raise CommandError("--origins: choose from 1 to 52 backtest origins.")
        try:
            history = history_from(rows, season=options["season"], holidays=holidays)
            result = forecast(history, horizon=options["horizon"], origins=options["origins"])
        except ValidationFailed as problem:
            raise CommandError(
                " ".join([problem.message, *(f"{text}." for text in problem.fields.values())])
            ) from None
        self.stdout.write("date,forecast,low,high")
        for day in result.days:
            self.stdout.write(
                f"{day.day.isoformat()},{day.forecast:.1f},{day.low:.1f},{day.high:.1f}"
            )
        self.stderr.write(
            f"method: {result.method} ({result.name}); backtest: {result.origins} origins, "
            f"{result.backtest_days} periods ahead"
        )
        for score in result.scores:
            mape = "-" if score.mape is None else f"{100 * score.mape:.1f}%"
            self.stderr.write(
                f"  {score.method}: MAE {score.mae:.2f}, MAPE {mape}, "
                f"inside the 80% interval {100 * score.coverage:.0f}%"
                f"{' (chosen)' if score.chosen else ''}"
            )
