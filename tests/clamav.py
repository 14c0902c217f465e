"""A real ClamAV daemon for the tests that need one, knowing only the EICAR test signature.

Signature updates need the internet, so the daemon loads a one-line signature database written
here (a .ndb body signature: the EICAR string, anywhere in a file) and listens on a Unix socket
in a temporary folder. Without clamd installed the tests using it are skipped, unless
REQUIRE_CLAMAV is set (CI sets it; scripts/ensure-clamav installs clamav-daemon).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# The anti-virus test file, in two halves so that this source file is not itself reported.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE_NAME = "CivicDesk.Test.EICAR"
START_SECONDS = 60


def clamd_program() -> str | None:
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return shutil.which("clamd", path=search)


@pytest.fixture(scope="session")
def clamd_socket() -> Iterator[str]:
    """The socket of a clamd started for this test run (one per test process)."""
    program = clamd_program()
    if program is None:
        if os.environ.get("REQUIRE_CLAMAV"):
            pytest.fail("REQUIRE_CLAMAV is set but clamd was not found (scripts/ensure-clamav)")
        pytest.skip(
            "clamd is not installed (scripts/ensure-clamav installs clamav-daemon): "
            "the tests against a real virus scanner did not run"
        )
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    socket_path = folder / "clamd.sock"
    config = _write_configuration(folder, socket_path)
    with (folder / "clamd.log").open("wb") as log:
        daemon = subprocess.Popen([program, "-c", str(config)], stdout=log, stderr=log)
    try:
        _wait_until_answering(socket_path, daemon, folder)
        yield str(socket_path)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _write_configuration(folder: Path, socket_path: Path) -> Path:
    database = folder / "signatures"
    database.mkdir()
    (database / "civicdesk-test.ndb").write_text(f"{SIGNATURE_NAME}:0:*:{EICAR.hex()}\n")
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {database}\n"
        f"TemporaryDirectory {folder}\n"
        f"PidFile {folder / 'clamd.pid'}\n"
        "Foreground yes\n"
        "StreamMaxLength 12M\n"
    )
    return config


def _wait_until_answering(socket_path: Path, daemon: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            log = (folder / "clamd.log").read_text(errors="replace")
            pytest.fail(f"clamd stopped while starting:\n{log[-2000:]}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(2)
                connection.connect(str(socket_path))
                connection.sendall(b"zPING\0")
                if connection.recv(16).startswith(b"PONG"):
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"clamd did not answer within {START_SECONDS} seconds")
