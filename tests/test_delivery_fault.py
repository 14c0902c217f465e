"""Delivery survives a worker killed mid-send: nothing is lost, little is sent twice.

The real worker (``manage.py run_worker``) sends a batch of notifications to the Notify
stand-in (``manage.py notify_standin``), both as separate processes on loopback. The worker is
killed with SIGKILL at random moments while it sends, restarted each time, and finally left to
finish. Every message must reach Notify and end ``sent``. A kill between Notify accepting a
message and the worker recording it leaves the message to be tried again; the retry asks Notify
for the message's reference first, so a message is sent twice only when a kill lands in the
moment between Notify accepting and that lookup: at most once per kill. Likewise a kill costs
an attempt only of the message in flight, never of the messages the worker had not reached.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.services import notification_queue
from civicdesk.notifications.standin import EXAMPLE_TEMPLATE_IDS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MESSAGES = 200
KILLS = 5
REPLY_DELAY = 0.02
LEASE_SECONDS = 2
API_KEY = (
    "civicdesk-fault-9a7c3e1d-4b2f-4d6a-8e0c-5f1b3a7d9c2e-7e5d3c1b-9a8f-4b6d-a2c0-e4f6a8b0c2d4"
)
MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_database_url() -> str:
    """Where the test database is, for the worker: pytest-django renamed it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    login = quote(db["USER"] or "")
    if db["PASSWORD"]:
        login += ":" + quote(db["PASSWORD"])
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition: Callable[[], bool], seconds: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tail = "".join(
                log.read_text()[-3000:] for log in sorted(logs.glob("*.log")) if log.exists()
            )
            pytest.fail(f"Timed out waiting for {what}.\n{tail}")
        time.sleep(0.05)


def accepted(record: Path) -> list[dict[str, object]]:
    if not record.exists():
        return []
    lines = record.read_text(encoding="utf-8").splitlines()
    # The last line may be half written while we read.
    return [json.loads(line) for line in lines if line.endswith("}")]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def found_by_reference(
    retried: Iterable[OutboxMessage], notifications: list[dict[str, object]], kills: list[datetime]
) -> int:
    """Retried messages that Notify had accepted just before a kill: the retry found them."""
    first_accepted: dict[str, datetime] = {}
    for notification in notifications:
        at = datetime.fromisoformat(str(notification["created_at"]))
        first_accepted.setdefault(str(notification["reference"]), at)
    return sum(
        any(
            timedelta(0) <= kill - first_accepted[message.provider_reference] < timedelta(seconds=1)
            for kill in kills
        )
        for message in retried
    )


@pytest.fixture
def messages(council, actor) -> list[OutboxMessage]:
    customers = [
        customer_create(
            organisation=council,
            details=CustomerDetails(
                first_name="Resident",
                last_name=str(n),
                emails=[f"resident{n}@example.com"],
                phones=[f"07700 9001{n:02d}"],
                preferred_channel="sms" if n % 2 else "email",
            ),
            actor=actor,
        )
        for n in range(10)
    ]
    return [
        notification_queue(
            organisation=council,
            customer=customers[n % len(customers)],
            template="case_public_update",
            context={
                "council": "Wrekin Council",
                "service": "Report a missed bin collection",
                "reference": f"WRK-{n:04d}",
                "note": "The crew will return tomorrow.",
            },
        )
        for n in range(MESSAGES)
    ]


def test_killing_the_worker_while_it_sends_loses_nothing(messages, tmp_path, capsys):
    port = free_port()
    record = tmp_path / "notify.jsonl"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": worker_database_url(),
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_BASE_URL": f"http://127.0.0.1:{port}",
        "NOTIFY_EMAIL_TEMPLATE_ID": EXAMPLE_TEMPLATE_IDS["email"],
        "NOTIFY_SMS_TEMPLATE_ID": EXAMPLE_TEMPLATE_IDS["sms"],
        "NOTIFICATION_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    seed = random.randrange(1_000_000)
    moments = random.Random(seed)
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{len(started):02d}-{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, MANAGE, *command], env=env, stdout=log, stderr=log
        )
        started.append(process)
        return process

    def start_worker() -> subprocess.Popen[bytes]:
        # The test settings keep notifications in the outbox, so the gateway is named here.
        return start("worker", "run_worker", "--gateway", "notify", "--poll", "0.1")

    def sent() -> int:
        return OutboxMessage.objects.filter(status="sent").count()

    try:
        start(
            "notify",
            "notify_standin",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            "--record",
            str(record),
            "--delay",
            str(REPLY_DELAY),
        )
        wait_for(lambda: listening(port), 20, "the Notify stand-in to listen", tmp_path)

        unsent_at_kill = []
        killed_at: list[datetime] = []
        for _ in range(KILLS):
            worker = start_worker()
            before = len(accepted(record))
            wait_for(
                lambda: len(accepted(record)) >= before + 3,  # noqa: B023
                30,
                "the worker to send",
                tmp_path,
            )
            time.sleep(moments.uniform(0, 0.4))  # a random moment while it sends
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            killed_at.append(datetime.now(UTC))
            unsent_at_kill.append(MESSAGES - sent())

        worker = start_worker()
        wait_for(lambda: sent() == MESSAGES, 60, "every message to be sent", tmp_path)
        worker.terminate()
        assert worker.wait(20) == 0
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(10)

    references = Counter(str(n["reference"]) for n in accepted(record))
    ids_by_reference: dict[str, set[str]] = {}
    for notification in accepted(record):
        ids_by_reference.setdefault(str(notification["reference"]), set()).add(
            str(notification["id"])
        )
    duplicates = sum(count - 1 for count in references.values())
    retried = OutboxMessage.objects.filter(attempts__gt=1)
    with capsys.disabled():
        print(
            f"\ndelivery fault ({connection.vendor}): {MESSAGES} messages, {KILLS} kills, "
            f"{duplicates} duplicate deliveries; {retried.count()} messages retried after a "
            f"kill, {found_by_reference(retried, accepted(record), killed_at)} of them already "
            f"accepted by Notify before the kill; seed {seed}"
        )

    assert all(unsent > 0 for unsent in unsent_at_kill), "a kill came after the work was done"
    outbox = list(OutboxMessage.objects.order_by("id"))
    assert {m.status for m in outbox} == {"sent"}
    assert set(references) == {m.provider_reference for m in outbox}, "a message was lost"
    for message in outbox:
        assert message.provider_id in ids_by_reference[message.provider_reference]
        assert 1 <= message.attempts <= message.max_attempts
    assert duplicates <= KILLS
    # A kill interrupts at most the one send in flight: the rest of its batch keeps its attempts.
    assert retried.count() <= KILLS
