"""Make a council's service catalogue what two files say (see docs/catalogue-format.md).

python manage.py catalogue_import --council wrekin catalogue.csv --dry-run
python manage.py catalogue_import --council wrekin catalogue.csv
python manage.py catalogue_import --council wrekin services.csv --questions questions.json

The questions and charter targets are read from the JSON file beside the CSV with the same name,
unless --questions names another. Services not in the files are retired; a question cases have
answered or a target open cases are timed against is never dropped (the import is refused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.cases.selectors import catalogue_case_use
from civicdesk.catalogue.exchange import (
    CataloguePlan,
    catalogue_files_read,
    catalogue_plan,
    catalogue_replace,
)
from civicdesk.core.errors import ValidationFailed
from civicdesk.setup.commands import command_actor, council_of, counted, listed, refused


class Command(BaseCommand):
    help = "Import a council's service catalogue from a CSV and its JSON of questions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug, e.g. wrekin.")
        parser.add_argument("file", type=Path, help="The CSV of services.")
        parser.add_argument(
            "--questions",
            type=Path,
            help="The JSON of questions and charter targets (default: beside the CSV, .json).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change, and change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        council = council_of(options["council"])
        path: Path = options["file"]
        questions: Path = options["questions"] or path.with_suffix(".json")
        if options["questions"] is None and path.suffix.lower() != ".csv":
            raise CommandError(
                f"{path.name} does not end .csv: give the questions file with --questions."
            )
        if options["questions"] is None and not questions.is_file():
            raise CommandError(
                f"There is no {questions.name} beside {path.name} with the questions and charter "
                "targets; give it with --questions FILE.json."
            )
        case_use = catalogue_case_use(organisation_id=council.pk)
        try:
            rows, spec = catalogue_files_read(path, questions)
            if options["dry_run"]:
                plan = catalogue_plan(organisation=council, rows=rows, spec=spec, case_use=case_use)
            else:
                plan = catalogue_replace(
                    organisation=council,
                    rows=rows,
                    spec=spec,
                    case_use=case_use,
                    actor=command_actor("catalogue_import"),
                )
        except ValidationFailed as error:
            raise refused(error) from None
        self._report(council.name, plan, dry_run=options["dry_run"])

    def _report(self, council: str, plan: CataloguePlan, *, dry_run: bool) -> None:
        would = "would be " if dry_run else ""
        lines = [f"{council}'s catalogue{' (dry run: nothing changed)' if dry_run else ''}:"]
        if plan.added:
            lines.append(
                f"  {counted(len(plan.added), 'service')} {would}added: {listed(plan.added)}"
            )
        if plan.changed:
            lines.append(f"  {counted(len(plan.changed), 'service')} {would}changed:")
            lines.extend(
                f"    {key}: {', '.join(what)}" for key, what in sorted(plan.changed.items())
            )
        if plan.retired:
            lines.append(f"  {counted(len(plan.retired), 'service')} {would}retired:")
            lines.extend(
                f"    {key}" + (f" ({counted(count, 'open case')} stay open)" if count else "")
                for key, count in plan.retired.items()
            )
        if plan.unchanged:
            lines.append(f"  {counted(len(plan.unchanged), 'service')} unchanged")
        if plan.teams_new:
            lines.append(
                f"  {counted(len(plan.teams_new), 'new team')} {would}created for their cases: "
                f"{listed(plan.teams_new)}"
            )
        self.stdout.write("\n".join(lines))
