"""What the web server writes to its access log: an Open311 client's api_key travels in the
query string when it fetches, and must never be written down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "cd_0a1b2c3d_NeverWriteThisDown"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fetch_until_served(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310 (our own loopback server)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_access_log_never_holds_the_query_string(tmp_path):
    log = tmp_path / "access.log"
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/open311/v2/discovery.xml?jurisdiction_id=x&api_key={KEY}"
        _fetch_until_served(url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    written = log.read_text()
    assert "GET /open311/v2/discovery.xml" in written
    assert KEY not in written
    assert "api_key" not in written
