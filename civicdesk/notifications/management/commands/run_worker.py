"""The background worker: delivers the outbox and runs the periodic jobs.

python manage.py run_worker            # run until stopped
python manage.py run_worker --once     # one pass, then exit (for cron or tests)
python manage.py run_worker --gateway notify --poll 0.1   # override the configured gateway
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils.module_loading import import_string

from civicdesk.core.errors_logging import error_summary
from civicdesk.notifications.gateways import GATEWAYS, gateway_for_settings
from civicdesk.notifications.worker import outbox_run_once

logger = logging.getLogger("civicdesk.worker")


class Command(BaseCommand):
    help = "Deliver queued notifications and run periodic jobs such as the charter sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between passes.")
        parser.add_argument("--batch", type=int, default=50)
        parser.add_argument(
            "--gateway",
            choices=GATEWAYS,
            help="Deliver through this gateway instead of NOTIFICATION_GATEWAY.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        gateway_name = options["gateway"] or settings.NOTIFICATION_GATEWAY
        gateway = gateway_for_settings(gateway_name)
        jobs = [(import_string(path), seconds) for path, seconds in settings.PERIODIC_JOBS]
        next_run = [0.0 for _ in jobs]
        logger.info("Worker started (gateway %s)", gateway_name)
        failures = 0
        while not self.stopping:
            close_old_connections()
            for index, (job, seconds) in enumerate(jobs):
                if time.monotonic() >= next_run[index]:
                    try:
                        job()
                    except Exception as problem:
                        logger.error(
                            "Periodic job %s failed (%s)", job.__name__, error_summary(problem)
                        )
                    next_run[index] = time.monotonic() + seconds
            try:
                sent = outbox_run_once(gateway, limit=options["batch"])
                if options["once"]:
                    while sent:
                        sent = outbox_run_once(gateway, limit=options["batch"])
                    break
                failures = 0
            except DatabaseError as problem:
                # The database restarting or a long lock must not stop deliveries for good:
                # nothing is lost (the outbox is the queue), so wait and go round again.
                failures += 1
                logger.warning("Outbox pass failed (%s); retrying", error_summary(problem))
                close_old_connections()
                time.sleep(min(options["poll"] * 2**failures, 60))
                continue
            if not sent:
                time.sleep(options["poll"])
        logger.info("Worker stopped")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
