"""Print the current sign-in code of a demo member of staff, so the workspace can be tried
without an authenticator app. Refused when DEBUG is off, like load_demo."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.organisations.selectors import active_staff_member
from civicdesk.organisations.two_factor import totp_current_code


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo member of staff (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The demo sign-in, such as adviser@telford.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "DEBUG is off: sign-in codes come only from each person's authenticator app."
            )
        staff = active_staff_member(username=options["username"])
        if staff is None:
            raise CommandError(f"There is no active member of staff called {options['username']}.")
        if not staff.totp_secret:
            raise CommandError(
                "Sign in at /staff/sign-in/ with the password first: the set-up page makes the "
                "account's key. Then run this again for the code."
            )
        self.stdout.write(totp_current_code(staff))
