"""Bring a council's customers and its open and recent cases over from its previous system.

python manage.py legacy_import --council wrekin --customers customers.csv --cases cases.csv \
    --dry-run
python manage.py legacy_import --council wrekin --customers customers.csv --cases cases.csv

The columns of both files are in docs/legacy-import.md. Every line is checked first: if any is
wrong, the command lists every problem by file and line (and with --report writes them to a
CSV) and imports nothing. Running it again never makes a second copy of a customer or a case.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.cases.moving_in import (
    CASE_COLUMNS,
    CASE_REQUIRED,
    CUSTOMER_COLUMNS,
    CUSTOMER_REQUIRED,
    TRANSACTION_SECONDS,
    LegacyImportRefused,
    LegacyLine,
    LegacyPlan,
    LegacyProblem,
    legacy_import,
    legacy_import_check,
)
from civicdesk.setup.commands import command_actor, council_of, counted, listed


class Command(BaseCommand):
    help = "Bring customers and cases over from the council's previous system (two CSV files)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug, e.g. wrekin.")
        parser.add_argument("--customers", type=Path, help="The CSV of customers.")
        parser.add_argument("--cases", type=Path, help="The CSV of cases.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the files and say what would change."
        )
        parser.add_argument(
            "--report", type=Path, help="Write every problem found to this CSV file."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        council = council_of(options["council"])
        if options["customers"] is None and options["cases"] is None:
            raise CommandError(
                "Give the customers file (--customers), the cases file (--cases), or both."
            )
        report: Path | None = options["report"]
        if report is not None and not report.parent.is_dir():
            raise CommandError(f"There is no folder {report.parent} to write the report in.")
        customers = _lines_read(options["customers"], CUSTOMER_COLUMNS, CUSTOMER_REQUIRED)
        cases = _lines_read(options["cases"], CASE_COLUMNS, CASE_REQUIRED)
        if not customers and not cases:
            raise CommandError(
                "There is nothing to import: the files have no lines below the header."
            )
        started = time.monotonic()
        try:
            if options["dry_run"]:
                plan = legacy_import_check(organisation=council, customers=customers, cases=cases)
                self._plan_report(council.name, plan, dry_run=True)
                return
            result = legacy_import(
                organisation=council,
                customers=customers,
                cases=cases,
                actor=command_actor("legacy_import"),
            )
        except LegacyImportRefused as refused:
            self._problems_report(refused.problems, report)
            raise CommandError(refused.message) from None
        self._plan_report(council.name, result.plan, dry_run=False)
        if result.overdue:
            self.stdout.write(
                f"  {counted(result.overdue, 'case')} brought over open "
                f"{'is' if result.overdue == 1 else 'are'} already past the charter target: the "
                "charter sweep flags them and tells the team leads."
            )
        took = f"Took {time.monotonic() - started:.1f} seconds"
        if not result.transactions:
            self.stdout.write(f"{took}: there was nothing new to write.")
            return
        self.stdout.write(
            f"{took}, in {counted(result.transactions, 'transaction')} taking lines for up to "
            f"{TRANSACTION_SECONDS * 1000:.0f} ms each (the longest was open "
            f"{result.longest_transaction_seconds * 1000:.0f} ms)."
        )

    def _plan_report(self, council: str, plan: LegacyPlan, *, dry_run: bool) -> None:
        would = "would be " if dry_run else ""
        lines = [
            f"{council}, from the old system{' (dry run: nothing changed)' if dry_run else ''}:"
        ]
        lines.append(f"  {counted(plan.customers_new, 'customer')} {would}added")
        if plan.customers_with_new_details:
            given = would or ("was " if plan.customers_with_new_details == 1 else "were ")
            lines.append(
                f"  {counted(plan.customers_with_new_details, 'customer')} brought over before "
                f"{given}given new email addresses or phone numbers"
            )
        if plan.customers_unchanged:
            lines.append(
                f"  {counted(plan.customers_unchanged, 'customer')} brought over before, unchanged"
            )
        lines.append(f"  {counted(plan.cases_new, 'case')} {would}added")
        if plan.cases_finished_since:
            lines.append(
                f"  {counted(plan.cases_finished_since, 'case')} the old system has finished "
                f"since the last import {would or ''}closed here too"
            )
        if plan.cases_unchanged:
            lines.append(
                f"  {counted(plan.cases_unchanged, 'case')} brought over before, unchanged"
            )
        self.stdout.write("\n".join(lines))

    def _problems_report(self, problems: Sequence[LegacyProblem], report: Path | None) -> None:
        files = sorted({problem.file for problem in problems})
        self.stderr.write(
            f"{counted(len(problems), 'problem')} in the {listed(files)} "
            f"file{'s' if len(files) > 1 else ''}:"
        )
        for problem in problems:
            self.stderr.write(f"  {problem.where}: {problem.message}")
        if report is not None:
            with report.open("w", encoding="utf-8", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(["file", "line", "column", "problem"])
                writer.writerows(
                    [problem.file, problem.line, problem.column, problem.message]
                    for problem in problems
                )
            self.stderr.write(f"The same list is in {report}.")


def _lines_read(
    path: Path | None, columns: Sequence[str], required: Sequence[str]
) -> list[LegacyLine]:
    """The lines of one export, numbered as a spreadsheet numbers them (the header is line 1)."""
    if path is None:
        return []
    if not path.is_file():
        raise CommandError(f"There is no file {path}.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(
            f"{path.name} is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column and column not in columns]
    if missing or unknown:
        problem = (
            f"has no {listed(missing)} column{'s' if len(missing) > 1 else ''}"
            if missing
            else f"has columns it cannot use: {listed(unknown)}"
        )
        raise CommandError(
            f"{path.name} {problem}. Its columns can be: {', '.join(columns)} "
            "(docs/legacy-import.md says what each holds). Leave out what you do not need."
        )
    lines = []
    for row in reader:
        values = {
            (name or "").strip().lower(): value
            for name, value in row.items()
            if isinstance(value, str)
        }
        if any(value.strip() for value in values.values()):
            lines.append(LegacyLine(line=reader.line_num, values=values))
    return lines
