"""Write a council's service catalogue to two files, which catalogue_import reads back.

python manage.py catalogue_export --council wrekin catalogue.csv   # and catalogue.json
python manage.py catalogue_export --starter catalogue.csv          # the starter catalogue

The CSV has a line for each service; the JSON file beside it, with the same name, holds the
questions each asks and its charter targets (docs/catalogue-format.md).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.catalogue.exchange import catalogue_export
from civicdesk.catalogue.importing import CATALOGUE_CSV, CATALOGUE_JSON
from civicdesk.setup.commands import council_of, counted


class Command(BaseCommand):
    help = "Write a council's service catalogue (or the starter catalogue) to a CSV and a JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--council", help="The council's slug, e.g. wrekin.")
        source.add_argument(
            "--starter",
            action="store_true",
            help="The starter catalogue of 38 services, to edit and import.",
        )
        parser.add_argument(
            "file", type=Path, help="The CSV to write; the JSON goes beside it (same name)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.suffix.lower() != ".csv":
            raise CommandError(
                f"Give a file name ending .csv, like catalogue.csv, not {path.name}: the "
                "questions and targets go beside it in a .json file of the same name."
            )
        if not path.parent.is_dir():
            raise CommandError(f"There is no folder {path.parent}.")
        questions = path.with_suffix(".json")
        if options["starter"]:
            table = CATALOGUE_CSV.read_text(encoding="utf-8")
            spec = CATALOGUE_JSON.read_text(encoding="utf-8")
            whose = "The starter catalogue"
        else:
            council = council_of(options["council"])
            table, spec = catalogue_export(organisation=council)
            whose = council.name
        path.write_text(table, encoding="utf-8")
        questions.write_text(spec, encoding="utf-8")
        services = counted(max(len(list(csv.reader(io.StringIO(table)))) - 1, 0), "service")
        self.stdout.write(f"{whose}: {services} written to {path} and {questions}.")
