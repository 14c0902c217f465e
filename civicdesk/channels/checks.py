"""The checks an administrator runs from the channels checklist (ADR 32): they try the public
address, GOV.UK Notify, the email receiver and the virus scanner, each for a few seconds at
most, and send nothing to anyone."""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from civicdesk.cases.virus_scan import ScannerUnavailable, scanning_configured, virus_scan
from civicdesk.core.errors_logging import error_summary

from .checklist import NOTIFY_TEMPLATES, Verdict, problem, public_address, scanner_address, works

logger = logging.getLogger(__name__)

CHECK_SECONDS = 5
# The standard anti-virus test file, which every scanner reports; in two halves so that this
# file is not itself reported.
ANTIVIRUS_TEST_FILE = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def channels_checks_run() -> dict[str, Verdict]:
    """Try the public address, GOV.UK Notify, the email receiver and the virus scanner, which
    every council on the installation shares. Each waits a few seconds at most; none sends
    anything to anyone."""
    checks: dict[str, Callable[[], Verdict]] = {
        "public_address": _public_address_check,
        "email_in": _email_receiver_check,
    }
    if settings.NOTIFY_API_KEY:
        checks["notify"] = _notify_check
    if scanning_configured():
        checks["virus_scanner"] = _virus_scanner_check
    found = {}
    for key, check in checks.items():
        try:
            found[key] = check()
        except Exception as failure:
            logger.warning("Channels check %s failed (%s)", key, error_summary(failure))
            found[key] = problem(f"The check itself failed ({type(failure).__name__}).")
    return found


def _public_address_check() -> Verdict:
    address = public_address(reverse("health"))
    try:
        with urllib.request.urlopen(address, timeout=CHECK_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read(1000))
    except urllib.error.HTTPError as refusal:
        return problem(f"{address} answered with status {refusal.code}.")
    except (OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        return problem(
            f"This server could not reach {address} ({reason}). Check the proxy and the "
            "address; some networks stop a server reaching its own public address, so try it "
            "in a browser too."
        )
    if answer != {"status": "ok"}:
        return problem(f"{address} did not answer as CivicDesk's health check does.")
    return works(f"This server reached {address}.")


def _notify_check() -> Verdict:
    client = NotificationsAPIClient(
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=CHECK_SECONDS
    )
    mistakes = []
    for kind, (name, notify_type, placeholders) in NOTIFY_TEMPLATES.items():
        template_id = getattr(settings, name)
        if not template_id:
            mistakes.append(f"No {kind} template is set ({name}).")
            continue
        try:
            template = client.get_template(template_id)
        except APIError as refusal:
            if refusal.status_code == 403:
                return problem("Notify refused the API key: copy it again from Notify.")
            if refusal.status_code in (400, 404):
                mistakes.append(f"Notify has no template {template_id} ({name}).")
                continue
            return problem(f"Could not reach Notify (status {refusal.status_code}).")
        mistakes += _template_mistakes(template, kind, name, notify_type, placeholders)
    if mistakes:
        return problem(" ".join(mistakes))
    return works(
        "Notify accepted the API key, and the email, text message and letter templates have "
        "the placeholders CivicDesk fills in."
    )


def _template_mistakes(
    template: dict[str, object], kind: str, name: str, notify_type: str, needed: tuple[str, ...]
) -> list[str]:
    if template.get("type") != notify_type:
        return [f"{name} is a {template.get('type')} template, not a {kind} template."]
    words = f"{template.get('subject') or ''} {template.get('body') or ''}"
    missing = [f"(({placeholder}))" for placeholder in needed if f"(({placeholder}))" not in words]
    if missing:
        return [f"The {kind} template must contain {' and '.join(missing)}."]
    return []


def _email_receiver_check() -> Verdict:
    host, port = settings.INBOUND_EMAIL_HOST, settings.INBOUND_EMAIL_PORT
    try:
        with smtplib.SMTP(host, port, timeout=CHECK_SECONDS) as receiver:
            receiver.ehlo()
            code, _ = receiver.noop()
    except (OSError, smtplib.SMTPException):
        return problem(
            f"Nothing answered at {host}:{port}. Check that email in (civicdesk-email) is "
            "running and that INBOUND_EMAIL_HOST and INBOUND_EMAIL_PORT are right."
        )
    if code != 250:
        return problem(f"The email receiver at {host}:{port} answered {code}.")
    return works(f"The email receiver answered at {host}:{port}.")


def _virus_scanner_check() -> Verdict:
    try:
        result = virus_scan(content=ANTIVIRUS_TEST_FILE)
    except ScannerUnavailable:
        held = "held for staff" if settings.CLAMD_WHEN_DOWN == "hold" else "refused"
        return problem(
            f"It could not be reached at {scanner_address()}: uploads are {held} until it is."
        )
    if result.clean:
        return problem(
            "It answered, but did not find the anti-virus test file: check that its "
            "signatures are loaded (freshclam)."
        )
    return works(f"It found the anti-virus test file ({result.signature}).")
