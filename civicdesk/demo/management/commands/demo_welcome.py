"""Print where to find the running platform and how to sign in to the demo."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicdesk.demo.integrations import demo_doors
from civicdesk.demo.loader import DEMO_PASSWORD, demo_sign_ins
from civicdesk.organisations.selectors import councils_listed


class Command(BaseCommand):
    help = "Print the addresses of the platform and the demo sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The site's address.")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"].rstrip("/")
        lines = [
            "",
            "CivicDesk is starting.",
            f"  Home page:     {url}/",
            *(
                f"  Residents:     {url}/{council.slug}/  ({council.name})"
                for council in councils_listed()
            ),
            f"  Staff:         {url}/staff/  (the workspace)",
            f"  Admin site:    {url}/admin/",
            f"  Health check:  {url}/healthz",
        ]
        sign_ins = demo_sign_ins()
        if sign_ins:
            width = max(len(sign_in.username) for sign_in in sign_ins)
            lines += ["", f"Demo sign-ins (password for all: {DEMO_PASSWORD}):"]
            lines += [
                f"  {sign_in.username.ljust(width)}  {sign_in.role}, {sign_in.council}"
                for sign_in in sign_ins
            ]
            lines.append("  Every team has lead.<team>@ and officer.<team>@ accounts too.")
            lines += [
                "",
                "The workspace asks for a code from an authenticator app after the password.",
                "The first sign-in shows a QR code and key to add to the app; or, after that",
                "first password, print the current code with:",
                "  python manage.py demo_staff_code <sign-in>",
            ]
        for door in demo_doors():
            lines += [
                "",
                f"Open311 for {door.council}: {url}/open311/v2/discovery.xml",
                f"  jurisdiction_id={door.jurisdiction_id}  api_key={door.api_key}",
                f"  Residents' email to {door.email} arrives through `manage.py receive_email`.",
            ]
        if sign_ins:
            lines.append(f"REST API (keys from the admin's API clients): {url}/api/v1/docs")
        lines += ["", "Stop with Ctrl+C.", ""]
        self.stdout.write("\n".join(lines))
