"""Import a council's published list of streets.

python manage.py import_streets telford-wrekin streets.csv

The CSV has the columns usrn, name, locality, adoption (adopted, unadopted, private or
national_highways), maintainer and geometry (WKT ``LINESTRING (lon lat, ...)`` or
``lon lat; lon lat; ...``). Streets are matched by USRN, so importing again updates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.geo.services import street_rows_read, streets_import
from civicdesk.organisations.selectors import organisation_by_slug

PROBLEMS_SHOWN = 20


class Command(BaseCommand):
    help = "Import or update a council's streets (USRN, name, adoption, line) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("council", help="The council's slug, e.g. telford-wrekin.")
        parser.add_argument("file", type=Path, help="The CSV file of streets.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisation_by_slug(options["council"])
        except NotFound as error:
            raise CommandError(f"There is no council '{options['council']}'.") from error
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        try:
            result = streets_import(organisation=organisation, rows=street_rows_read(path))
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
