"""``manage.py triage``: the triage command with the settings' engine, and optionally a
council's own published answers (see civicdesk.assistant.triage)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.assistant.engine import engine_build
from civicdesk.assistant.triage import council_answers, starter_answers, triage_run
from civicdesk.organisations.models import Organisation


class Command(BaseCommand):
    help = "Read residents' words on standard input; write one JSON object a line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", help="use this council's published answers")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            answers = (
                council_answers(options["council"]) if options["council"] else starter_answers()
            )
        except Organisation.DoesNotExist:
            raise CommandError(f"There is no council '{options['council']}'.") from None
        triage_run(
            engine=engine_build(settings.ASSISTANT_ENGINE),
            answers=answers,
            stdin=sys.stdin,
            stdout=self.stdout,
        )
