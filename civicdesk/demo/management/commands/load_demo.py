"""Load the demo councils, once.

python manage.py load_demo                 # the full demo: about 3,400 residents, a year of history
python manage.py load_demo --scale 0.1     # a tenth of the residents, contacts and cases
python manage.py load_demo --residents 600 # the same, sized by Telford & Wrekin's residents
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.demo.loader import FULL_RESIDENTS, demo_load


class Command(BaseCommand):
    help = "Load two demo councils with staff, residents and a year of contacts and cases."

    def add_arguments(self, parser: CommandParser) -> None:
        size = parser.add_mutually_exclusive_group()
        size.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the number of residents, contacts and cases (default 1).",
        )
        size.add_argument(
            "--residents",
            type=int,
            help=f"Telford & Wrekin's residents (default {FULL_RESIDENTS}); the rest scales to it.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off. The demo has accounts with a published password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off, so this may be a live system. The demo creates accounts with a "
                "published password; use --force if this really is a demo or test database."
            )
        scale = options["scale"]
        if options["residents"] is not None:
            scale = options["residents"] / FULL_RESIDENTS
        if scale <= 0:
            raise CommandError("The scale and the number of residents must be more than 0.")
        summary = demo_load(scale=scale)
        if summary is None:
            self.stdout.write("The demo councils are already loaded; nothing to do.")
            return
        self.stdout.write(
            f"Loaded {summary.councils} demo councils: {summary.staff} staff, "
            f"{summary.customers:,} customers, {summary.contacts:,} contacts and "
            f"{summary.cases:,} cases in {summary.seconds:.1f} seconds."
        )
        if summary.streets:
            self.stdout.write(
                f"Loaded {summary.streets} streets for the location checks on street reports "
                "(synthetic: invented for the demo, see civicdesk/geo/data/README.md)."
            )
