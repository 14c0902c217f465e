"""Periodic jobs never keep residents and staff waiting: they work in batches that commit as
they go, one worker at a time per job, and web requests that write while they run succeed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from civicdesk.contacts.models import Contact
from civicdesk.core.jobs import delete_in_batches, job_lease
from civicdesk.feedback.models import PageFeedback
from civicdesk.insight import services
from civicdesk.insight.models import ContactDaily
from civicdesk.insight.services import insight_refresh

from . import factories
from .conftest import london


def in_another_connection(work: Callable[[], Any]) -> Any:
    """Run ``work`` on a thread of its own, which Django gives its own database connection,
    as another web request or worker would have. On SQLite it waits at most 0.1 s for the
    write lock, where a web request would wait its whole timeout."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 100")
            result["value"] = work()
        except Exception as problem:
            result["error"] = problem
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def contacts_on_days(council, days: int) -> list:
    first = london(2026, 9, 1, 10)
    return [
        factories.ContactFactory(
            organisation=council, started_at=first + timedelta(days=n), channel="phone"
        )
        for n in range(days)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_full_recount_commits_each_batch_and_lets_others_write_between_them(council, monkeypatch):
    contacts_on_days(council, 20)
    original = services._recount
    seen: list[tuple[int, bool]] = []

    def recount_then_look(summary, organisation, days):
        original(summary, organisation, days)
        if summary.name != "contacts":
            return

        def look_and_write() -> tuple[int, bool]:
            visible = ContactDaily.objects.filter(organisation=organisation, day__in=days).count()
            PageFeedback.objects.create(
                organisation=organisation, path="/wrekin/", found=True, comment=""
            )
            return visible, True

        seen.append(in_another_connection(look_and_write))

    monkeypatch.setattr(services, "_recount", recount_then_look)
    insight_refresh(full=True)
    # 20 days a week at a time: three batches, each already committed, by the time the next
    # one starts, and another connection could write in between every time.
    assert [visible > 0 for visible, _ in seen] == [True, True, True]
    assert PageFeedback.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_web_requests_that_write_during_a_full_recount_all_succeed(council, client):
    contacts_on_days(council, 120)
    stop = threading.Event()
    recounts: list[int] = []
    failures: list[Exception] = []

    def recount_until_told() -> None:
        try:
            while not stop.is_set():
                recounts.append(sum(insight_refresh(full=True).values()))
        except Exception as problem:
            failures.append(problem)
        finally:
            connection.close()

    worker = threading.Thread(target=recount_until_told)
    worker.start()
    try:
        statuses = [
            client.post(
                "/wrekin/feedback/page", {"page": "/wrekin/", "found": "yes", "comment": ""}
            ).status_code
            for _ in range(40)
        ]
    finally:
        stop.set()
        worker.join()
    assert failures == []
    assert recounts, "the recount ran while the requests were made"
    assert statuses == [302] * 40
    assert PageFeedback.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_only_one_worker_refreshes_at_a_time(council):
    contacts_on_days(council, 3)
    with job_lease("insight-refresh", seconds=60) as held:
        assert held is not None
        assert insight_refresh(full=True) == {}
    assert not ContactDaily.objects.exists()
    assert insight_refresh(full=True)["contacts"] == 3
    assert ContactDaily.objects.filter(organisation=council).count() == 3


@pytest.mark.django_db
def test_a_lease_left_by_a_worker_that_died_runs_out():
    with job_lease("sweep", seconds=-1) as dead:
        assert dead is not None
        # The worker "died" holding it: its time is already up, so another may take the job.
        with job_lease("sweep", seconds=60) as taken:
            assert taken is not None
            assert not dead.renew()


@pytest.mark.django_db
def test_retention_deletes_a_few_rows_per_statement(council):
    contacts = contacts_on_days(council, 7)
    statements: list[str] = []

    def record(execute, sql, *rest):
        statements.append(sql)
        return execute(sql, *rest)

    first_five = Contact.objects.filter(pk__in=[contact.pk for contact in contacts[:5]])
    with connection.execute_wrapper(record):
        assert delete_in_batches(first_five, size=2) == 5
    deletes = [sql for sql in statements if sql.startswith("DELETE") and "contacts_contact" in sql]
    assert len(deletes) == 3  # 2 + 2 + 1 rows
    assert Contact.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_full_recount_can_be_run_by_hand(council, capsys):
    contacts_on_days(council, 4)
    call_command("insight_refresh", "--full")
    assert "contacts: 4 council days recounted" in capsys.readouterr().out
    assert ContactDaily.objects.filter(organisation=council).count() == 4
