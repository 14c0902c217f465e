"""Asking ClamAV's daemon (clamd) whether an upload carries a virus, over its INSTREAM protocol.

The command is ``zINSTREAM`` followed by the file in chunks, each a four-byte big-endian length
and the bytes, ended by a zero-length chunk. clamd answers with one NUL-terminated line:
``stream: OK``, ``stream: <signature> FOUND`` or ``<reason> ERROR``. It listens on a Unix socket
(``CLAMD_SOCKET``) or on TCP (``CLAMD_HOST`` and ``CLAMD_PORT``); with neither set, scanning is
off. What happens to an upload while clamd cannot be reached is ``CLAMD_WHEN_DOWN`` (ADR 28).
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
WHEN_DOWN_HOLD = "hold"
WHEN_DOWN_REFUSE = "refuse"


class ScannerUnavailable(Exception):
    """clamd could not be reached, or could not finish the scan."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""


def scanning_configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def when_scanner_down() -> str:
    """What to do with an upload while clamd is down: hold it for staff, or refuse it (the
    setting is checked when the settings load)."""
    return WHEN_DOWN_REFUSE if settings.CLAMD_WHEN_DOWN == WHEN_DOWN_REFUSE else WHEN_DOWN_HOLD


def virus_scan(*, content: bytes) -> ScanResult:
    """Scan ``content`` with clamd; raise ScannerUnavailable if it cannot say."""
    try:
        with _connection() as connection:
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK_BYTES):
                chunk = content[start : start + CHUNK_BYTES]
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            answer = _answer(connection)
    except OSError as problem:
        logger.warning("Virus scanner unavailable (%s)", type(problem).__name__)
        raise ScannerUnavailable(str(problem)) from problem
    return scan_answer_read(answer)


def scan_answer_read(answer: str) -> ScanResult:
    """Turn clamd's reply into a result: ``stream: OK``, ``stream: <name> FOUND``, or an error."""
    if answer.endswith(" FOUND"):
        signature = answer.removesuffix(" FOUND").split(": ", 1)[-1]
        return ScanResult(clean=False, signature=signature)
    if answer.endswith(": OK"):
        return ScanResult(clean=True)
    logger.warning("Virus scanner could not scan an upload (%s)", answer[:200])
    raise ScannerUnavailable(answer[:200] or "no answer")


def _connection() -> socket.socket:
    timeout = float(settings.CLAMD_TIMEOUT_SECONDS)
    if settings.CLAMD_SOCKET:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        try:
            connection.connect(str(settings.CLAMD_SOCKET))
        except OSError:
            connection.close()
            raise
        return connection
    return socket.create_connection(
        (str(settings.CLAMD_HOST), int(settings.CLAMD_PORT)), timeout=timeout
    )


def _answer(connection: socket.socket) -> str:
    received = b""
    while not received.endswith(b"\0") and len(received) < 4096:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.rstrip(b"\0").decode("utf-8", "replace").strip()
