"""Run the GOV.UK Notify stand-in beside the platform, for development only.

python manage.py notify_standin --port 8025 --record var/notify-standin.jsonl

It prints the settings to start the web server and worker with so that they send through it.
Nothing it accepts is sent to anyone; see civicdesk/notifications/standin.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.notifications.standin import EXAMPLE_TEMPLATE_IDS, ApiKey, NotifyStandin


class Command(BaseCommand):
    help = "Run a stand-in for the GOV.UK Notify API on this machine (development and tests only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--api-key",
            default="",
            help="The key to accept, in Notify's form; defaults to NOTIFY_API_KEY, else a new one.",
        )
        parser.add_argument(
            "--record", type=Path, help="Append every accepted notification to this file."
        )
        parser.add_argument(
            "--delay", type=float, default=0.0, help="Seconds to wait before each reply."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        given = options["api_key"] or settings.NOTIFY_API_KEY
        try:
            key = ApiKey.parse(given) if given else ApiKey.generate()
        except ValueError as problem:
            raise CommandError(str(problem)) from None
        record: Path | None = options["record"]
        if record is not None:
            record.parent.mkdir(parents=True, exist_ok=True)
        try:
            standin = NotifyStandin(
                key,
                host=options["host"],
                port=options["port"],
                record=record,
                reply_delay=options["delay"],
            )
        except OSError as problem:
            raise CommandError(f"Could not listen on port {options['port']}: {problem}") from None
        self.stdout.write(
            f"Notify stand-in listening on {standin.base_url}. It sends nothing to anyone.\n"
            "Start the web server and worker in a shell with these settings:\n"
            f"  export NOTIFY_BASE_URL={standin.base_url}\n"
            f"  export NOTIFY_API_KEY={key}\n"
            + "".join(
                f"  export NOTIFY_{kind.upper()}_TEMPLATE_ID={template_id}\n"
                for kind, template_id in EXAMPLE_TEMPLATE_IDS.items()
            )
            + (f"Recording accepted notifications in {record}\n" if record else "")
        )
        self.stdout.flush()
        try:
            standin.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Notify stand-in stopped.")
