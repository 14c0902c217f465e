"""The background worker: delivers the outbox and runs the periodic jobs, apart.

python manage.py run_worker                   # both, until stopped
python manage.py run_worker --only outbox     # deliveries alone (run as many as you like)
python manage.py run_worker --only periodic   # the periodic jobs alone
python manage.py run_worker --once            # one pass of each, then exit (cron, tests)
python manage.py run_worker --gateway notify --poll 0.1   # override the configured gateway

Deliveries and periodic jobs run in separate threads, each with its own database connection,
so a long job (a full insight recount) never delays an acknowledgement. Each periodic job is
run by one worker at a time, under a lease named after it (``core.jobs``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.urls import reverse
from django.utils.module_loading import import_string

from civicdesk.core.errors_logging import error_summary
from civicdesk.core.jobs import job_lease
from civicdesk.notifications.gateways import GATEWAYS, Gateway, gateway_for_settings
from civicdesk.notifications.worker import outbox_run_once

logger = logging.getLogger("civicdesk.worker")

PARTS = ("outbox", "periodic")
# How long a periodic job may run before another worker may start it again; a job that can run
# longer takes a renewable lease of its own (the insight refresh does).
JOB_LEASE_SECONDS = 15 * 60


def outbox_loop(gateway: Gateway, *, stop: threading.Event, poll: float, batch: int) -> None:
    """Deliver the outbox until ``stop`` is set; with ``stop`` already set, until it is empty."""
    drain = stop.is_set()
    failures = 0
    while True:
        close_old_connections()
        try:
            sent = outbox_run_once(gateway, limit=batch)
            failures = 0
        except DatabaseError as problem:
            # The database restarting or a long lock must not stop deliveries for good:
            # nothing is lost (the outbox is the queue), so wait and go round again.
            failures += 1
            logger.warning("Outbox pass failed (%s); retrying", error_summary(problem))
            close_old_connections()
            time.sleep(min(poll * 2**failures, 60))
            continue
        if drain and not sent:
            return
        if not drain and not sent and stop.wait(poll):
            return


def periodic_job_run(path: str, job: Callable[[], Any]) -> None:
    """Run one periodic job unless another worker is running it; log a failure, never raise."""
    try:
        with job_lease(path, seconds=JOB_LEASE_SECONDS) as lease:
            if lease is None:
                logger.info("Periodic job %s is running in another worker", job.__name__)
                return
            job()
    except Exception as problem:
        logger.error("Periodic job %s failed (%s)", job.__name__, error_summary(problem))


def periodic_loop(*, stop: threading.Event, poll: float) -> None:
    """Run each job in PERIODIC_JOBS when it is due, until ``stop`` is set; with ``stop``
    already set, each job once."""
    once = stop.is_set()
    jobs = [(path, import_string(path), seconds) for path, seconds in settings.PERIODIC_JOBS]
    next_run = [0.0 for _ in jobs]
    while True:
        close_old_connections()
        for index, (path, job, seconds) in enumerate(jobs):
            if time.monotonic() >= next_run[index]:
                periodic_job_run(path, job)
                next_run[index] = time.monotonic() + seconds
        if once or stop.wait(poll):
            return


def worker_run(
    *, parts: tuple[str, ...], gateway: Gateway, stop: threading.Event, poll: float, batch: int
) -> None:
    """Run the chosen parts until ``stop`` is set: the periodic jobs in a thread of their own,
    the outbox in this one. With ``stop`` already set, one pass of each, one after the other."""
    if stop.is_set():
        if "periodic" in parts:
            periodic_loop(stop=stop, poll=poll)
        if "outbox" in parts:
            outbox_loop(gateway, stop=stop, poll=poll, batch=batch)
        return
    threads = []
    if "periodic" in parts:
        threads.append(
            threading.Thread(
                target=_closing_connection(periodic_loop),
                kwargs={"stop": stop, "poll": poll},
                name="periodic",
            )
        )
    for thread in threads:
        thread.start()
    if "outbox" in parts:
        outbox_loop(gateway, stop=stop, poll=poll, batch=batch)
    else:
        stop.wait()
    for thread in threads:
        thread.join()


def _closing_connection(loop: Callable[..., None]) -> Callable[..., None]:
    def run(**kwargs: Any) -> None:
        try:
            loop(**kwargs)
        finally:
            connection.close()

    return run


class Command(BaseCommand):
    help = "Deliver queued notifications and run periodic jobs such as the charter sweep."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between passes.")
        parser.add_argument("--batch", type=int, default=50)
        parser.add_argument(
            "--only", choices=PARTS, help="Run only the outbox or only the periodic jobs."
        )
        parser.add_argument(
            "--gateway",
            choices=GATEWAYS,
            help="Deliver through this gateway instead of NOTIFICATION_GATEWAY.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["once"]:
            stop.set()

        def stop_on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stop_on_signal)
        signal.signal(signal.SIGINT, stop_on_signal)
        gateway_name = options["gateway"] or settings.NOTIFICATION_GATEWAY
        parts = (options["only"],) if options["only"] else PARTS
        # Every URL pattern is loaded now, not by the first reverse() inside a job's transaction.
        reverse("health")
        logger.info("Worker started (%s; gateway %s)", ", ".join(parts), gateway_name)
        worker_run(
            parts=parts,
            gateway=gateway_for_settings(gateway_name),
            stop=stop,
            poll=options["poll"],
            batch=options["batch"],
        )
        logger.info("Worker stopped")
