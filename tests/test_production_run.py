"""Production, the way docs/operations.md runs it: from an empty PostgreSQL database to a
restored backup, with nothing from the test suite's own settings.

The production settings come from an environment file read by `deploy/manage` (as an operator
runs every command) and by the web server and worker, started with the command lines of their
systemd units in deploy/. A council that is not the demo (Glenmorven, tests/data/) is created
with its boundary, catalogue and staff; a resident reports fly-tipping with a photo over HTTP,
through the proxy headers the council's HTTPS proxy adds; the acknowledgement leaves through
the worker to a mail server; the officer sets their password from the invitation email, sets
up their authenticator and finds the case in their queue. Then `deploy/backup` and
`deploy/restore` put it all in a second new database and uploads folder, and the officer, on a
web server over the restored copy, still finds the case and its photo.

This is the tested restore the operations guide promises. It needs PostgreSQL (CI's second
pass) and PostgreSQL's client tools (scripts/ensure-postgres-client); on SQLite it is skipped.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import secrets
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import psycopg
import pyotp
import pytest
import requests
from aiosmtpd.controller import Controller
from django.conf import settings

from .sample_files import jpeg_bytes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INSTALLED = "/opt/civicdesk/current"
HOST = "civicdesk.glenmorven.example"
ORIGIN = f"https://{HOST}"
TOOLS = ("createdb", "dropdb", "pg_dump", "pg_restore", "psql")
REPORT = "/glenmorven/report/fly-tipping"
RESIDENT = {
    "full_name": "Isla Murray",
    "email": "isla.murray@example.com",
    "phone": "",
    "preferred_channel": "email",
}
OFFICER = "morag.fraser@glenmorven.example"
PASSWORD = "heather-lochan-bridge"


# The PostgreSQL server the test suite uses, and two new databases on it.


def server() -> dict[str, Any]:
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        pytest.skip(
            "The production run needs PostgreSQL: set DATABASE_URL=postgres://... "
            "(CI's second pass does)"
        )
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"PostgreSQL's client tools are missing ({', '.join(missing)}): "
            "scripts/ensure-postgres-client installs them"
        )
    return database


def database_url(database: dict[str, Any], name: str) -> str:
    user = quote(database.get("USER") or "", safe="")
    password = quote(database.get("PASSWORD") or "", safe="")
    login = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or "5432"
    return f"postgres://{login}{host}:{port}/{name}"


def client_environment(database: dict[str, Any]) -> dict[str, str]:
    """What createdb and dropdb need to reach the server."""
    values = {
        "PGHOST": database.get("HOST") or "127.0.0.1",
        "PGPORT": str(database.get("PORT") or "5432"),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
    }
    return {"PATH": os.environ["PATH"], **{k: v for k, v in values.items() if v}}


@dataclass
class Databases:
    """Database names reserved for this run; every one is dropped at the end, made or not."""

    server: dict[str, Any]
    names: list[str] = field(default_factory=list)

    def create(self, label: str) -> str:
        name = f"civicdesk_production_{os.getpid()}_{label}"
        self.names.append(name)
        run(["createdb", name], env=client_environment(self.server))
        return database_url(self.server, name)

    def drop_all(self) -> None:
        for name in self.names:
            subprocess.run(
                ["dropdb", "--if-exists", "--force", name],
                env=client_environment(self.server),
                capture_output=True,
                timeout=60,
                check=False,
            )


@pytest.fixture
def databases() -> Iterator[Databases]:
    made = Databases(server())
    try:
        yield made
    finally:
        made.drop_all()


# The installation's settings and processes.


def run(command: list[str], *, env: dict[str, str], timeout: float = 180) -> str:
    result = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{shlex.join(command)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Installation:
    """One installation's environment file, as /etc/civicdesk/civicdesk.env would be."""

    env_file: Path
    home: Path
    database: str

    @classmethod
    def write(cls, folder: Path, *, secret_key: str, database: str, smtp_port: int) -> Installation:
        folder.mkdir()
        settings_file = folder / "civicdesk.env"
        settings_file.write_text(
            "# Written by the production test, like the operations guide's settings\n"
            "DJANGO_SETTINGS_MODULE=config.settings.prod\n"
            f"SECRET_KEY={secret_key}\n"
            f"DATABASE_URL={database}\n"
            f"CIVICDESK_VAR_DIR={folder / 'var'}\n"
            f"ALLOWED_HOSTS={HOST}\n"
            f"CSRF_TRUSTED_ORIGINS={ORIGIN}\n"
            f"PUBLIC_BASE_URL={ORIGIN}\n"
            "TRUSTED_PROXY_HOPS=1\n"
            f"EMAIL_URL=smtp://127.0.0.1:{smtp_port}\n"
            'DEFAULT_FROM_EMAIL="Glenmorven Council <civicdesk@glenmorven.example>"\n'
            "LOG_LEVEL=WARNING\n"
        )
        return cls(settings_file, folder, database)

    def process_environment(self) -> dict[str, str]:
        """A clean environment: nothing from the test suite's own settings leaks in."""
        return {"PATH": os.environ["PATH"], "HOME": str(self.home), "LANG": "C.UTF-8"}

    def manage(self, *args: str) -> str:
        environment = {**self.process_environment(), "CIVICDESK_ENV_FILE": str(self.env_file)}
        return run([str(ROOT / "deploy" / "manage"), *args], env=environment)

    def script(self, name: str, *args: str, succeeds: bool = True) -> subprocess.CompletedProcess:
        environment = {**self.process_environment(), "CIVICDESK_ENV_FILE": str(self.env_file)}
        result = subprocess.run(
            [str(ROOT / "deploy" / name), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert (result.returncode == 0) == succeeds, f"{result.stdout}\n{result.stderr}"
        return result

    def unit_environment(self) -> dict[str, str]:
        """The environment file as systemd's EnvironmentFile= reads it."""
        values = {}
        for line in self.env_file.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            name, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[name.strip()] = value
        return {**self.process_environment(), **values}


def unit_command(unit: str, **replacements: str) -> list[str]:
    """The unit's ExecStart, run from this checkout instead of /opt/civicdesk/current."""
    text = (ROOT / "deploy" / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace(INSTALLED, str(ROOT))
    for old, new in replacements.items():
        assert old in command, f"{unit} no longer has {old}"
        command = command.replace(old, new)
    return shlex.split(command)


@contextmanager
def service(
    installation: Installation, unit: str, log: Path, **replacements: str
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            unit_command(unit, **replacements),
            cwd=ROOT,
            env=installation.unit_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def web_server(installation: Installation, log: Path) -> Iterator[str]:
    port = free_port()
    # One gunicorn worker is enough for the test's few browsers, and starts in a third the time.
    with service(
        installation,
        "civicdesk-web.service",
        log,
        **{"127.0.0.1:8000": f"127.0.0.1:{port}", "--workers 3": "--workers 1"},
    ) as process:
        address = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                # Plain HTTP on the inside, as a load balancer polls it.
                if requests.get(f"{address}/healthz", headers={"Host": HOST}, timeout=10).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield address


# Email leaving the installation.


class Mailbox:
    """A mail server that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def wait_for(self, recipient: str, subject_part: str, seconds: float = 30) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == recipient and subject_part in message["Subject"]:
                    return str(message.get_body(("plain",)).get_content())
            time.sleep(0.2)
        sent = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"No email to {recipient} about {subject_part!r}; sent: {sent}")


@pytest.fixture
def mailbox(caplog) -> Iterator[tuple[Mailbox, int]]:
    caplog.set_level(logging.WARNING, logger="mail.log")
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


# A browser behind the council's HTTPS proxy.


class Browser:
    """Requests as the council's proxy passes them on: HTTPS ended at the proxy, which says so
    in X-Forwarded-Proto. Cookies are kept by hand, since they are marked Secure and these
    requests reach the web server over plain HTTP."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.cookies: dict[str, str] = {}
        self.page = ""

    def get(self, path: str) -> requests.Response:
        return self._follow(self._send("GET", path))

    def post(self, path: str, fields: dict[str, str], **files: Any) -> requests.Response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page)
        assert token, f"no form on the page before POST {path}"
        sent = self._send(
            "POST", path, data={"csrfmiddlewaretoken": token.group(1), **fields}, files=files
        )
        return self._follow(sent)

    def text(self) -> str:
        return re.sub(r"\s+", " ", unescape(self.page))

    def _send(self, method: str, path: str, **body: Any) -> requests.Response:
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
        if method == "POST":
            headers["Origin"] = ORIGIN
        response = requests.request(
            method,
            self.address + path,
            headers=headers,
            cookies=self.cookies,
            allow_redirects=False,
            timeout=30,
            **body,
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def _follow(self, response: requests.Response) -> requests.Response:
        for _ in range(10):
            if response.status_code not in (301, 302, 303):
                break
            location = urlsplit(response.headers["Location"])
            assert location.netloc in ("", HOST), response.headers["Location"]
            path = location.path + (f"?{location.query}" if location.query else "")
            response = self._send("GET", path)
        assert response.status_code == 200, (response.status_code, response.url)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            self.page = response.text
        return response


def query(url: str, sql: str, *parameters: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql, parameters).fetchall()


class Stopwatch:
    """How long each step took, and the processor time its processes used (on a busy machine
    the first says little)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.processor = self._processor_time()
        self.laps: list[str] = []

    @staticmethod
    def _processor_time() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        this = resource.getrusage(resource.RUSAGE_SELF)
        return children.ru_utime + children.ru_stime + this.ru_utime + this.ru_stime

    def lap(self, what: str) -> None:
        now, processor = time.monotonic(), self._processor_time()
        self.laps.append(f"{what} {now - self.started:.1f} s ({processor - self.processor:.1f})")
        self.started, self.processor = now, processor

    def __str__(self) -> str:
        return "; ".join(self.laps)


def test_a_council_goes_live_in_production_and_its_backup_restores(tmp_path, databases, mailbox):
    box, smtp_port = mailbox
    clock = Stopwatch()
    # A $ in the secret: the services and deploy/manage must read it without expanding it, or
    # the invitation links signed by one would not open in the other.
    secret_key = secrets.token_urlsafe(48) + "$HOME-" + secrets.token_urlsafe(8)
    live = Installation.write(
        tmp_path / "live",
        secret_key=secret_key,
        database=databases.create("live"),
        smtp_port=smtp_port,
    )
    clock.lap("createdb")

    # First start: the database and the static files, then the council from its own files.
    collecting = subprocess.Popen(
        [str(ROOT / "deploy" / "manage"), "collectstatic", "--noinput", "-v0"],
        env={**live.process_environment(), "CIVICDESK_ENV_FILE": str(live.env_file)},
        cwd=ROOT,
    )
    live.manage("migrate", "--noinput", "-v0")
    assert collecting.wait(timeout=120) == 0
    clock.lap("migrate and collectstatic")
    assert "Created Glenmorven Council, a unitary council" in live.manage(
        "council_create",
        "--slug=glenmorven",
        "--name=Glenmorven Council",
        "--kind=unitary",
        "--nation=scotland",
        f"--boundary={DATA / 'glenmorven-boundary.geojson'}",
        "--code=S12000099",
        "--phone=01632 961000",
    )
    assert "2 services added" in live.manage(
        "catalogue_import", "--council=glenmorven", str(DATA / "glenmorven-catalogue.csv")
    )
    assert "2 people added" in live.manage(
        "staff_import", "--council=glenmorven", str(DATA / "glenmorven-staff.csv")
    )
    clock.lap("council, catalogue and staff")

    with (
        service(live, "civicdesk-worker.service", tmp_path / "worker.log"),
        web_server(live, tmp_path / "web.log") as address,
    ):
        clock.lap("web server and worker started")
        # Only the health check answers over plain HTTP; pages go to HTTPS.
        plain = requests.get(
            f"{address}/glenmorven/", headers={"Host": HOST}, allow_redirects=False, timeout=10
        )
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"{ORIGIN}/glenmorven/"

        # A resident reports fly-tipping, with a photo.
        resident = Browser(address)
        resident.get(f"{REPORT}/")
        assert "Where is the rubbish?" in resident.text()
        resident.post(
            f"{REPORT}/question/where/", {"where-latitude": "56.46", "where-longitude": "-3.88"}
        )
        resident.post(f"{REPORT}/question/what/", {"what": "A sofa and six bin bags"})
        resident.post(
            f"{REPORT}/question/photo/", {}, photo=("sofa.jpg", jpeg_bytes((64, 48)), "image/jpeg")
        )
        resident.post(f"{REPORT}/your-details/", RESIDENT)
        token = re.search(r'name="token" value="([^"]+)"', resident.page)
        assert token, resident.text()
        resident.post(f"{REPORT}/check/", {"token": token.group(1)})
        [(reference, status)] = query(live.database, "SELECT reference, status FROM cases_case")
        assert reference in resident.text()
        clock.lap("resident's report")

        # The acknowledgement leaves through the worker and the council's mail server.
        acknowledgement = box.wait_for(RESIDENT["email"], reference)
        assert "Thank you for contacting Glenmorven Council" in acknowledgement
        assert query(
            live.database,
            "SELECT status, gateway FROM notifications_outboxmessage "
            "WHERE template = 'case_acknowledgement'",
        ) == [("sent", "smtp")]
        clock.lap("acknowledgement sent")

        # The officer opens their invitation, signs in with both factors, finds the case.
        invitation = box.wait_for(OFFICER, "Set up your Glenmorven Council CivicDesk sign-in")
        link = re.search(rf"{re.escape(ORIGIN)}(/staff/sign-in/set-password/\S+/)", invitation)
        assert link, invitation
        officer = Browser(address)
        officer.get(link.group(1))
        officer.post(link.group(1), {"password": PASSWORD, "confirm": PASSWORD})
        assert "Your password is set" in officer.text()
        officer.get("/staff/sign-in/")
        officer.post("/staff/sign-in/", {"username": OFFICER, "password": PASSWORD})
        key = re.search(r'class="civicdesk-secret">([A-Z2-7 ]+)<', officer.page)
        assert key, officer.text()
        officer.post(
            "/staff/sign-in/set-up/", {"code": pyotp.TOTP(key.group(1).replace(" ", "")).now()}
        )
        officer.get("/staff/queue/")
        assert reference in officer.text()
        assert "Street cleaning" in officer.text()
        officer.get(f"/staff/cases/{reference}/")
        document_path = re.search(
            rf'href="(/staff/cases/{reference}/documents/\d+/)"', officer.page
        )
        assert document_path, officer.text()
        photo = officer.get(document_path.group(1)).content
        assert photo.startswith(b"\xff\xd8")  # a JPEG, redrawn from its pixels
        clock.lap("officer signed in")

        # A backup while it serves.
        backups = tmp_path / "backups"
        backed_up = live.script("backup", str(backups), "--keep-days", "14").stdout
        [folder] = [path for path in backups.iterdir() if not path.name.startswith(".")]
        assert f"Backed up to {folder}" in backed_up
        assert sorted(path.name for path in folder.iterdir()) == [
            "SHA256SUMS",
            "database.dump",
            "uploads.tar.gz",
        ]
        clock.lap("backup")

    # Restoring over a database in use is refused.
    refused = live.script("restore", str(folder), succeeds=False)
    assert "already has" in refused.stderr and "Restore into a new, empty database" in (
        refused.stderr
    )

    # Restore into a new database and an empty folder, as on a new server.
    restored = Installation.write(
        tmp_path / "restored",
        secret_key=secret_key,
        database=databases.create("restored"),
        smtp_port=smtp_port,
    )
    restored.script("restore", str(folder))
    # The release's static files, as collectstatic wrote them for the live installation.
    shutil.copytree(live.home / "var" / "static", restored.home / "var" / "static")
    assert query(
        restored.database, "SELECT status FROM cases_case WHERE reference = %s", reference
    ) == [(status,)]
    clock.lap("restore")

    with web_server(restored, tmp_path / "restored-web.log") as address:
        officer.address = address
        officer.get("/staff/queue/")
        assert reference in officer.text()
        assert officer.get(document_path.group(1)).content == photo
    clock.lap("the restored copy served")
    print(f"Production run, seconds (processor seconds): {clock}")
