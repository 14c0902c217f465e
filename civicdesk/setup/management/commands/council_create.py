"""Create a council with its boundary, or update the council with this slug.

python manage.py council_create --name "Wrekin Borough Council" --slug wrekin \
    --kind unitary --nation england --boundary wrekin.geojson --code E06000099 \
    --phone "01632 960000" --out-of-hours-phone "01632 960999"

The boundary is a GeoJSON Polygon or MultiPolygon (or a Feature or FeatureCollection of one)
in WGS84 longitude and latitude; a very detailed one is simplified, and the command says by how
much. Running it again with the same slug changes only what it is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.boundaries import boundary_read
from civicdesk.organisations.choices import OrganisationKind
from civicdesk.organisations.services import NATIONS, CouncilDetails, council_save
from civicdesk.setup.commands import command_actor, refused

NATION_NAMES = {
    "england-and-wales": "England and Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
}


class Command(BaseCommand):
    help = "Create a council with its boundary, or update the council with this slug."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="Its web address, e.g. wrekin.")
        parser.add_argument("--name", help="e.g. 'Wrekin Borough Council'.")
        parser.add_argument("--kind", choices=OrganisationKind.values)
        parser.add_argument("--nation", choices=[n for n in NATIONS if n != "england-and-wales"])
        parser.add_argument(
            "--boundary", type=Path, help="GeoJSON of its area in WGS84 longitude and latitude."
        )
        parser.add_argument(
            "--boundary-attribution",
            help="The credit the boundary's licence asks for, shown under the map.",
        )
        parser.add_argument("--code", help="ONS local authority code, e.g. E06000020.")
        parser.add_argument("--phone", help="The number residents call.")
        parser.add_argument(
            "--out-of-hours-phone", help="The 24-hour number for emergencies when closed."
        )
        parser.add_argument("--website", help="Its own website, an https:// address.")
        parser.add_argument("--email-from", help="The address notifications are sent from.")
        parser.add_argument("--opens", help="When the working day starts, e.g. 09:00.")
        parser.add_argument("--closes", help="When the working day ends, e.g. 17:00.")

    def handle(self, *args: Any, **options: Any) -> None:
        boundary = None
        path: Path | None = options["boundary"]
        if path is not None:
            if not path.is_file():
                raise CommandError(f"There is no file {path}.")
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise CommandError(f"{path.name} is not GeoJSON: it is not UTF-8 text.") from None
            try:
                boundary = boundary_read(text, file_name=path.name)
            except ValidationFailed as error:
                raise CommandError(error.message) from None
        details = CouncilDetails(
            slug=options["slug"],
            name=options["name"],
            kind=options["kind"],
            nation=options["nation"],
            boundary=boundary,
            boundary_attribution=options["boundary_attribution"],
            code=options["code"],
            phone=options["phone"],
            emergency_phone=options["out_of_hours_phone"],
            website=options["website"],
            email_from=options["email_from"],
            opens=options["opens"],
            closes=options["closes"],
        )
        try:
            saved = council_save(details=details, actor=command_actor("council_create"))
        except ValidationFailed as error:
            raise refused(error) from None
        council = saved.organisation
        address = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/{council.slug}/"
        if saved.created:
            self.stdout.write(
                f"Created {council.name}, a {council.get_kind_display().lower()}, at {address}\n"
                f"Working days: {council.opens:%H:%M} to {council.closes:%H:%M}, with the bank "
                f"holidays of {NATION_NAMES[council.nation]}."
            )
        elif saved.changed:
            changed = ", ".join(name.replace("_", " ") for name in saved.changed)
            self.stdout.write(f"Updated {council.name} ({council.slug}): {changed}.")
        else:
            self.stdout.write(f"{council.name} ({council.slug}) is already like that; no change.")
        if boundary is not None:
            self.stdout.write(f"Boundary: {boundary.summary}.")
            if boundary.code_in_file and council.code and boundary.code_in_file != council.code:
                self.stdout.write(
                    f"Note: the boundary file is for {boundary.code_in_file}"
                    f"{' (' + boundary.name_in_file + ')' if boundary.name_in_file else ''}, "
                    f"not {council.code}. Check it is the right file."
                )
        if saved.created:
            self.stdout.write(
                "Next: load its services with "
                f"'python manage.py catalogue_import --council {council.slug} FILE.csv'."
            )
