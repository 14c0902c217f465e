"""Import a council's published list of streets.

python manage.py import_streets telford-wrekin streets.csv
python manage.py import_streets telford-wrekin streets.csv --lines usrn-lines.csv

The CSV has the columns usrn, name, locality, adoption (adopted, unadopted, private or
national_highways, or the words of a list of streets such as "maintainable at public expense"),
maintainer and geometry (WKT ``LINESTRING`` or ``MULTILINESTRING`` in longitude and latitude, or
``lon lat; lon lat; ...``). A street without a line of its own takes the one --lines has for its
USRN: OS Open USRN converted to longitude and latitude (docs/streets.md). Streets are matched by
USRN, so importing again updates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.geo.services import (
    street_lines_read,
    street_rows_read,
    street_rows_with_lines,
    streets_import,
)
from civicdesk.organisations.selectors import organisation_by_slug

PROBLEMS_SHOWN = 20


class Command(BaseCommand):
    help = "Import or update a council's streets (USRN, name, adoption, line) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("council", help="The council's slug, e.g. telford-wrekin.")
        parser.add_argument("file", type=Path, help="The CSV file of streets.")
        parser.add_argument(
            "--lines",
            type=Path,
            help="A CSV of lines by USRN (usrn and WKT columns) for streets without their own.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisation_by_slug(options["council"])
        except NotFound as error:
            raise CommandError(f"There is no council '{options['council']}'.") from error
        path: Path = options["file"]
        lines_path: Path | None = options["lines"]
        for given in (path, lines_path):
            if given is not None and not given.is_file():
                raise CommandError(f"There is no file {given}.")
        try:
            rows: Sequence[Mapping[str, str | None]] = street_rows_read(path)
            if lines_path is not None:
                rows = street_rows_with_lines(rows, street_lines_read(lines_path))
            result = streets_import(organisation=organisation, rows=rows)
        except ValidationFailed as error:
            lines = [f"  {where}: {message}" for where, message in error.fields.items()]
            more = len(lines) - PROBLEMS_SHOWN
            if more > 0:
                lines = [*lines[:PROBLEMS_SHOWN], f"  and {more} more"]
            raise CommandError("\n".join([error.message, *lines])) from error
        self.stdout.write(
            f"{organisation.name}: {result.created} streets added, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
