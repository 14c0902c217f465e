"""Take on a council's staff from a CSV, each invited by email to choose their password.

python manage.py staff_import --council wrekin staff.csv --dry-run
python manage.py staff_import --council wrekin staff.csv

The CSV has the columns name, email, role (adviser, officer, team_lead, manager, admin or
councillor) and teams (team names separated by ';'). People are matched by email address, so
running it again updates them; teams that do not exist yet are created. People not in the file
are left as they are.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import ValidationFailed
from civicdesk.notifications.links import public_page_link
from civicdesk.notifications.services import StaffEmail, notification_queue_to_staff
from civicdesk.organisations.invitations import INVITATION_DAYS
from civicdesk.organisations.services import (
    StaffImportPlan,
    StaffRow,
    staff_import,
    staff_import_plan,
)
from civicdesk.setup.commands import command_actor, council_of, counted, listed, refused

if TYPE_CHECKING:
    from civicdesk.organisations.models import Organisation, StaffMember

COLUMNS = ("name", "email", "role", "teams")
REQUIRED = ("name", "email", "role")


class Command(BaseCommand):
    help = "Take on or update a council's staff from a CSV (name, email, role, teams)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug, e.g. wrekin.")
        parser.add_argument("file", type=Path, help="The CSV of staff.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change, and change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        council = council_of(options["council"])
        rows = staff_rows_read(options["file"])
        try:
            if options["dry_run"]:
                plan = staff_import_plan(organisation=council, rows=rows)
            else:
                plan = staff_import(
                    organisation=council,
                    rows=rows,
                    actor=command_actor("staff_import"),
                    invite=invitation_sender(council),
                )
        except ValidationFailed as error:
            raise refused(error) from None
        self._report(council.name, plan, dry_run=options["dry_run"])

    def _report(self, council: str, plan: StaffImportPlan, *, dry_run: bool) -> None:
        would = "would be " if dry_run else ""
        lines = [f"{council}'s staff{' (dry run: nothing changed)' if dry_run else ''}:"]
        if plan.added:
            invited = "would each be" if dry_run else "each"
            lines.append(
                f"  {counted(len(plan.added), 'person', 'people')} {would}added, {invited} "
                f"invited by email to choose a password: {listed(plan.added)}"
            )
        if plan.changed:
            lines.append(f"  {counted(len(plan.changed), 'person', 'people')} {would}updated:")
            lines.extend(
                f"    {email}: {', '.join(what)}" for email, what in sorted(plan.changed.items())
            )
        if plan.unchanged:
            lines.append(f"  {counted(len(plan.unchanged), 'person', 'people')} unchanged")
        if plan.teams_new:
            lines.append(
                f"  {counted(len(plan.teams_new), 'new team')} {would}created: "
                f"{listed(plan.teams_new)}"
            )
        lines.append("People not in the file are left as they are.")
        self.stdout.write("\n".join(lines))


def staff_rows_read(path: Path) -> list[StaffRow]:
    if not path.is_file():
        raise CommandError(f"There is no file {path}.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(
            f"{path.name} is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [column.strip().lower() for column in reader.fieldnames or [] if column.strip()]
    missing = [column for column in REQUIRED if column not in columns]
    unknown = [column for column in columns if column not in COLUMNS]
    if missing or unknown:
        problem = (
            f"has no {listed(missing)} column{'s' if len(missing) > 1 else ''}"
            if missing
            else f"has columns it cannot use: {listed(unknown)}"
        )
        raise CommandError(f"{path.name} {problem}. The columns are: {', '.join(COLUMNS)}.")
    rows = []
    for row in reader:
        values = {
            (name or "").strip().lower(): (value or "").strip()
            for name, value in row.items()
            if isinstance(value, str)
        }
        if not any(values.values()):
            continue
        rows.append(
            StaffRow(
                line=reader.line_num,
                name=values.get("name", ""),
                email=values.get("email", ""),
                role=values.get("role", ""),
                teams=tuple(
                    name.strip() for name in values.get("teams", "").split(";") if name.strip()
                ),
            )
        )
    if not rows:
        raise CommandError(f"{path.name} lists nobody.")
    return rows


def invitation_sender(council: Organisation) -> Any:
    """Sends a new member of staff the link to choose their password, through the outbox."""

    def invite(staff: StaffMember, token: str) -> None:
        notification_queue_to_staff(
            messages=[
                StaffEmail(
                    organisation=council,
                    emails=[staff.user.email],
                    template="staff_invitation",
                    context={
                        "council": council.name,
                        "name": staff.user.get_full_name() or staff.user.get_username(),
                        "username": staff.user.get_username(),
                        "link": set_password_link(token),
                        "days": str(INVITATION_DAYS),
                    },
                )
            ]
        )

    return invite


def set_password_link(token: str) -> str:
    return public_page_link("workspace:sign-in-set-password", token)
