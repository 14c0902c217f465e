"""The worker keeps going through database trouble, and logs no personal data when it does."""

from __future__ import annotations

import logging
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError

from civicdesk.core.jobs import job_lease
from civicdesk.notifications.management.commands import run_worker

# The worker closes connections that are not in autocommit between passes, as it must in
# production: the tests run it outside a wrapping transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_database_error_is_waited_out_not_fatal(monkeypatch, caplog, settings):
    settings.PERIODIC_JOBS = []
    calls = []

    def flaky_pass(gateway, *, limit):
        calls.append(limit)
        if len(calls) == 1:
            raise OperationalError("could not write ann.smith@example.com: database is locked")
        return 0

    monkeypatch.setattr(run_worker, "outbox_run_once", flaky_pass)
    with caplog.at_level(logging.WARNING, logger="civicdesk.worker"):
        call_command("run_worker", "--once", "--poll", "0.01")

    assert len(calls) == 2
    assert "Outbox pass failed (OperationalError at test_worker_command.py" in caplog.text
    assert "ann.smith" not in caplog.text


def test_a_failing_periodic_job_is_logged_and_the_outbox_still_delivered(
    monkeypatch, caplog, settings
):
    settings.PERIODIC_JOBS = [("tests.test_worker_command.broken_job", 60)]
    delivered = []
    monkeypatch.setattr(
        run_worker, "outbox_run_once", lambda gateway, *, limit: delivered.append(limit) or 0
    )
    with caplog.at_level(logging.ERROR, logger="civicdesk.worker"):
        call_command("run_worker", "--once")
    assert delivered
    assert "Periodic job broken_job failed (ValueError at test_worker_command.py" in caplog.text
    assert "07700" not in caplog.text


def broken_job() -> None:
    raise ValueError("bad number 07700 900123")


JOB_STARTED = threading.Event()
DELIVERED_DURING_JOB = threading.Event()
JOB_FINISHED = threading.Event()
JOB_SAW_A_DELIVERY: list[bool] = []
JOBS_RUN: list[str] = []


def job_waiting_for_a_delivery() -> None:
    JOB_STARTED.set()
    JOB_SAW_A_DELIVERY.append(DELIVERED_DURING_JOB.wait(5))
    JOB_FINISHED.set()


def recorded_job() -> None:
    JOBS_RUN.append("job")


def test_deliveries_go_on_while_a_long_periodic_job_runs(monkeypatch, settings):
    """A full insight recount can take half a minute: acknowledgements must not wait for it.
    The job below finishes only once the outbox has delivered something while it runs."""
    settings.PERIODIC_JOBS = [("tests.test_worker_command.job_waiting_for_a_delivery", 60)]
    stop = threading.Event()

    def delivering(gateway, *, limit):
        if JOB_STARTED.is_set():
            DELIVERED_DURING_JOB.set()
        return 0

    monkeypatch.setattr(run_worker, "outbox_run_once", delivering)
    worker = threading.Thread(
        target=run_worker.worker_run,
        kwargs={"parts": run_worker.PARTS, "gateway": None, "stop": stop, "poll": 0.01, "batch": 5},
    )
    worker.start()
    try:
        assert JOB_FINISHED.wait(10), "the periodic job never finished"
    finally:
        stop.set()
        worker.join()
    assert JOB_SAW_A_DELIVERY == [True]


@pytest.fixture
def jobs_run(monkeypatch, settings):
    settings.PERIODIC_JOBS = [("tests.test_worker_command.recorded_job", 60)]
    monkeypatch.setattr(
        run_worker, "outbox_run_once", lambda gateway, *, limit: JOBS_RUN.append("outbox") or 0
    )
    JOBS_RUN.clear()
    return JOBS_RUN


def test_only_the_outbox_or_only_the_periodic_jobs(jobs_run):
    call_command("run_worker", "--once", "--only", "outbox")
    assert jobs_run == ["outbox"]
    jobs_run.clear()
    call_command("run_worker", "--once", "--only", "periodic")
    assert jobs_run == ["job"]


def test_a_periodic_job_another_worker_is_running_is_left_to_it(jobs_run):
    with job_lease("tests.test_worker_command.recorded_job", seconds=60):
        call_command("run_worker", "--once", "--only", "periodic")
    assert jobs_run == []
    call_command("run_worker", "--once", "--only", "periodic")
    assert jobs_run == ["job"]
