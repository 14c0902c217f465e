"""Make someone an administrator of a council: the first sign-in of a new installation.

python manage.py admin_create --council wrekin --email edith.jones@wrekin.gov.uk \
    --name "Edith Jones"

It prints a link with which they choose their own password (it works once, for a week); it
never sets or prints a password. Running it again prints a new link.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.invitations import INVITATION_DAYS
from civicdesk.organisations.services import administrator_create
from civicdesk.setup.commands import command_actor, council_of, refused

from .staff_import import set_password_link


class Command(BaseCommand):
    help = "Make someone a council's administrator and print a link to choose their password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", required=True, help="The council's slug, e.g. wrekin.")
        parser.add_argument("--email", required=True, help="Their email: their sign-in name.")
        parser.add_argument("--name", required=True, help="Their full name.")

    def handle(self, *args: Any, **options: Any) -> None:
        council = council_of(options["council"])
        try:
            staff, token, created = administrator_create(
                organisation=council,
                email=options["email"],
                name=options["name"],
                actor=command_actor("admin_create"),
            )
        except ValidationFailed as error:
            raise refused(error) from None
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        who = f"{staff.user.get_full_name()} ({staff.user.get_username()})"
        self.stdout.write(
            f"{who} is {'now' if created else 'still'} an administrator of {council.name}.\n"
            f"Give them this link to choose their password. It works once, for "
            f"{INVITATION_DAYS} days:\n\n  {set_password_link(token)}\n\n"
            f"Then they sign in at {base}/staff/ and set up their authenticator app. The admin "
            f"site, for teams, staff and the catalogue, is at {base}/admin/."
        )
