"""The worker keeps going through database trouble, and logs no personal data when it does."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import OperationalError

from civicdesk.notifications.management.commands import run_worker

pytestmark = pytest.mark.django_db


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
