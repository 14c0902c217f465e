"""Bring the insight summaries up to date by hand.

python manage.py insight_refresh          # what changed since the last refresh
python manage.py insight_refresh --full   # recount everything from the raw tables

The full recount is for after a change that alters past figures (a catalogue or bank holiday
change, records corrected outright). It follows the worker's rules: one refresh at a time, a
few days per transaction, so the council's staff and residents can go on working meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.insight.services import insight_refresh


class Command(BaseCommand):
    help = "Bring the insight summaries up to date; --full recounts everything."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Recount every day from the raw tables."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        recounted = insight_refresh(full=options["full"])
        if not recounted:
            raise CommandError(
                "Another worker is refreshing the summaries now; try again when it has finished."
            )
        for summary, days in recounted.items():
            self.stdout.write(f"{summary}: {days} council days recounted")
