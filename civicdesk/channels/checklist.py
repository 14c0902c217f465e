"""The channels checklist (ADR 32): everything a council must set up for residents to reach it
and hear back, whether each thing is set, and whether it works.

Most of it is the installation's settings (the server's settings file); the rest is the
council's own records, set in the admin. Whether a channel works comes from what the database
already shows (what happened to the last test message, when the last email or call came in,
when an Open311 key was last used), or from the checks an administrator runs from the page,
which talk to GOV.UK Notify, the email receiver, the virus scanner and the public address
(checks.py). Secrets are never shown: only whether they are set and, for long ones, their last
four characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host
from django.urls import reverse

from civicdesk.assistant.selectors import last_conversation_started_at
from civicdesk.cases.virus_scan import scanning_configured
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.text import describe_deadline
from civicdesk.integrations.selectors import open311_set_up
from civicdesk.notifications.choices import MessageStatus
from civicdesk.notifications.links import public_base_address, public_link
from civicdesk.notifications.selectors import last_delivery_receipt_at, messages_of_template
from civicdesk.notifications.services import StaffEmail, notification_queue_to_staff

from .choices import CheckOutcome, InboundChannel
from .models import InboundAddress, InboundMessage

if TYPE_CHECKING:
    from civicdesk.notifications.models import OutboxMessage
    from civicdesk.organisations.models import Organisation

logger = logging.getLogger(__name__)

TEST_TEMPLATE = "channels_test_message"
SERVER = "the server's settings file"
ADMIN = "the admin"
DEVELOPMENT_ADDRESS = "http://localhost:8000"
SHORTEST_SHOWN_SECRET = 16
SHORTEST_TELEPHONY_SECRET = 32
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTIFY_API_KEY = re.compile(rf".+-{_UUID}-{_UUID}")
ROUTES = {
    "notify": "through GOV.UK Notify",
    "smtp": "through the council's mail server",
    "outbox": "nowhere: it waits in the outbox for staff to read",
}
# What each Notify template must be, and the placeholders CivicDesk fills in.
NOTIFY_TEMPLATES = {
    "email": ("NOTIFY_EMAIL_TEMPLATE_ID", "email", ("subject", "body")),
    "text message": ("NOTIFY_SMS_TEMPLATE_ID", "sms", ("body",)),
    "letter": ("NOTIFY_LETTER_TEMPLATE_ID", "letter", ("subject", "body")),
}


@dataclass(frozen=True)
class Verdict:
    """Whether a channel works, and why we think so, in a sentence or two."""

    outcome: str
    message: str


def works(message: str) -> Verdict:
    return Verdict(CheckOutcome.WORKS, message)


def problem(message: str) -> Verdict:
    return Verdict(CheckOutcome.PROBLEM, message)


def unknown(message: str) -> Verdict:
    return Verdict(CheckOutcome.UNKNOWN, message)


@dataclass(frozen=True)
class Setting:
    label: str
    shown: str
    is_set: bool


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    purpose: str
    set_in: str
    settings: list[Setting]
    verdict: Verdict
    # Addresses to give the provider, and admin pages (app label.model name) to set it in.
    addresses: list[tuple[str, str]] = field(default_factory=list)
    admin_pages: list[tuple[str, str]] = field(default_factory=list)

    @property
    def state(self) -> str:
        set_count = sum(setting.is_set for setting in self.settings)
        if set_count == len(self.settings):
            return "Set"
        return "Partly set" if set_count else "Not set"


Checks = Mapping[str, Verdict]


def secret_shown(value: str) -> str:
    """Whether a secret is set, with its last four characters when it is long enough that they
    give nothing away."""
    if not value:
        return "Not set"
    if len(value) < SHORTEST_SHOWN_SECRET:
        return "Set"
    return f"Set (ends in {value[-4:]})"


def plain_setting(label: str, value: str) -> Setting:
    return Setting(label, value or "Not set", bool(value))


def public_address(path: str) -> str:
    return public_link(path)


def when(moment: datetime) -> str:
    """'2:31pm on Tuesday 8 December 2026'."""
    return describe_deadline(moment)


# The checklist


def channels_checklist(
    *, organisation: Organisation, checks: Checks | None = None
) -> list[ChecklistItem]:
    """Every channel's settings and verdict; ``checks`` are the results of
    ``checks.channels_checks_run``, which take the place of what the database shows."""
    found = checks or {}
    return [
        _public_address_item(found),
        _sending_item(organisation),
        _notify_item(organisation, found),
        _email_in_item(organisation, found),
        _texts_in_item(organisation),
        _open311_item(organisation),
        _telephony_item(organisation),
        _virus_scanner_item(found),
    ]


def channels_test_messages(*, organisation: Organisation, limit: int = 3) -> list[OutboxMessage]:
    return messages_of_template(
        organisation_id=organisation.pk, template=TEST_TEMPLATE, limit=limit
    )


def channels_test_message_send(
    *, organisation: Organisation, email: str, name: str
) -> OutboxMessage:
    """Queue a test email to a member of staff, through the outbox like every message, so the
    worker sends it by whatever route residents' messages take."""
    if not email:
        raise ValidationFailed(
            "Your sign-in has no email address to send the test message to.",
            fields={"email": "Add your email address to your sign-in first"},
        )
    [message] = notification_queue_to_staff(
        messages=[
            StaffEmail(
                organisation=organisation,
                emails=[email],
                template=TEST_TEMPLATE,
                context={
                    "council": organisation.name,
                    "name": name or email,
                    "route": ROUTES.get(settings.NOTIFICATION_GATEWAY, ROUTES["outbox"]),
                },
            )
        ]
    )
    logger.info("Channels test message queued as outbox message %s", message.pk)
    return message


def _public_address_item(checks: Checks) -> ChecklistItem:
    address = public_base_address()
    host = urlsplit(address).hostname or ""
    mistakes = []
    if address == DEVELOPMENT_ADDRESS:
        mistakes.append(f"It is still the development address, {DEVELOPMENT_ADDRESS}.")
    elif not address.startswith("https://"):
        mistakes.append("It must start with https://, or links in messages will not be safe.")
    if host and not validate_host(host, settings.ALLOWED_HOSTS):
        mistakes.append(f"{host} is not in ALLOWED_HOSTS, so the site would turn it away.")
    if mistakes:
        verdict = problem(" ".join(mistakes))
    else:
        verdict = checks.get("public_address") or unknown("Run the checks to try it.")
    return ChecklistItem(
        key="public_address",
        title="The public address",
        purpose="Where residents reach the site; links in messages start with it.",
        set_in=SERVER,
        settings=[plain_setting("PUBLIC_BASE_URL", settings.PUBLIC_BASE_URL)],
        verdict=verdict,
    )


def _sending_item(organisation: Organisation) -> ChecklistItem:
    gateway = settings.NOTIFICATION_GATEWAY
    shown = {
        "notify": "GOV.UK Notify",
        "smtp": "The council's mail server",
        "outbox": "Nothing: messages wait in the outbox",
    }
    rows = [
        Setting("How messages are sent", shown.get(gateway, gateway), gateway != "outbox"),
        plain_setting("Sent from", organisation.email_from or settings.DEFAULT_FROM_EMAIL),
    ]
    if gateway == "smtp":
        rows.append(plain_setting("Mail server", f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"))
    if gateway == "outbox":
        verdict = problem(
            "Nothing is sent to anyone: set GOV.UK Notify, or EMAIL_URL for the council's mail "
            "server."
        )
    else:
        verdict = _test_message_verdict(channels_test_messages(organisation=organisation))
    return ChecklistItem(
        key="sending",
        title="Messages to residents and staff",
        purpose="Acknowledgements, updates, sign-in links and staff invitations.",
        set_in=f"{SERVER} (the sender: {ADMIN}, under the council)",
        settings=rows,
        verdict=verdict,
        admin_pages=[("The council", "organisations.organisation")],
    )


def _test_message_verdict(messages: list[OutboxMessage], *, gateway: str = "") -> Verdict:
    tried = [m for m in messages if not gateway or m.gateway in ("", gateway)]
    if not tried:
        return unknown("Send yourself a test message to try it.")
    latest = tried[0]
    sent_at = when(latest.created_at)
    if latest.status == MessageStatus.DELIVERED:
        return works(f"The test message of {sent_at} was delivered.")
    if latest.status == MessageStatus.SENT:
        route = ROUTES.get(latest.gateway, latest.gateway)
        return works(f"The test message of {sent_at} went out {route}.")
    if latest.status == MessageStatus.FAILED:
        return problem(f"The test message of {sent_at} failed: {latest.last_error}")
    if latest.status == MessageStatus.KEPT:
        return problem(f"The test message of {sent_at} was kept in the outbox, not sent.")
    if latest.attempts:
        return problem(
            f"The test message of {sent_at} has not gone yet: {latest.last_error} "
            "The worker will try again."
        )
    return unknown(
        f"The test message of {sent_at} is waiting for the worker. If it waits more than a "
        "minute, check that the worker (civicdesk-worker) is running."
    )


def _notify_item(organisation: Organisation, checks: Checks) -> ChecklistItem:
    key = settings.NOTIFY_API_KEY
    rows = [Setting("NOTIFY_API_KEY", secret_shown(key), bool(key))]
    rows += [
        plain_setting(name, getattr(settings, name)) for name, _, _ in NOTIFY_TEMPLATES.values()
    ]
    rows.append(
        Setting(
            "NOTIFY_CALLBACK_TOKEN",
            secret_shown(settings.NOTIFY_CALLBACK_TOKEN),
            bool(settings.NOTIFY_CALLBACK_TOKEN),
        )
    )
    if not key:
        verdict = unknown("Not set. Only needed to send through GOV.UK Notify.")
    elif not NOTIFY_API_KEY.fullmatch(key.strip()):
        verdict = problem(
            "The API key is not in Notify's form: the key's name, then two long ids, joined "
            "by hyphens. Copy it again from Notify."
        )
    elif "notify" in checks:
        verdict = checks["notify"]
    else:
        verdict = _test_message_verdict(
            channels_test_messages(organisation=organisation), gateway="notify"
        )
        receipt = last_delivery_receipt_at(organisation_id=organisation.pk)
        if receipt is not None:
            verdict = Verdict(
                verdict.outcome, f"{verdict.message} The last delivery receipt: {when(receipt)}."
            )
    return ChecklistItem(
        key="notify",
        title="GOV.UK Notify",
        purpose="Sends emails, text messages and letters; tells us when they are delivered.",
        set_in=SERVER,
        settings=rows,
        verdict=verdict,
        addresses=[
            ("Delivery receipts callback", public_address(reverse("notify-receipt"))),
            ("Received text messages callback", public_address(reverse("notify-received-text"))),
        ],
    )


def _addresses(organisation: Organisation, channel: str) -> list[str]:
    return list(
        InboundAddress.objects.filter(organisation=organisation, channel=channel)
        .order_by("address")
        .values_list("address", flat=True)
    )


def _last_received(organisation: Organisation, channel: str) -> str:
    latest = (
        InboundMessage.objects.filter(organisation=organisation, channel=channel)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return when(latest) if latest else ""


def _email_in_item(organisation: Organisation, checks: Checks) -> ChecklistItem:
    addresses = _addresses(organisation, InboundChannel.EMAIL)
    receiver = f"{settings.INBOUND_EMAIL_HOST}:{settings.INBOUND_EMAIL_PORT}"
    last = _last_received(organisation, InboundChannel.EMAIL)
    if not addresses:
        verdict = unknown("Not set. Only needed to take email in.")
    elif "email_in" in checks:
        verdict = checks["email_in"]
    elif last:
        verdict = works(f"The last email came in at {last}.")
    else:
        verdict = unknown("No email has come in yet. Run the checks to try the receiver.")
    return ChecklistItem(
        key="email_in",
        title="Email in",
        purpose="Email to the council's addresses becomes contacts and cases.",
        set_in=f"{ADMIN} (the addresses) and {SERVER} (the receiver)",
        settings=[
            plain_setting("Inbound email addresses", ", ".join(addresses)),
            plain_setting("Email receiver (receive_email)", receiver),
        ],
        verdict=verdict,
        admin_pages=[("Inbound addresses", "channels.inboundaddress")],
    )


def _texts_in_item(organisation: Organisation) -> ChecklistItem:
    numbers = _addresses(organisation, InboundChannel.SMS)
    token = settings.NOTIFY_CALLBACK_TOKEN
    last = _last_received(organisation, InboundChannel.SMS)
    if not numbers:
        verdict = unknown("Not set. Only needed to take text messages in.")
    elif not token:
        verdict = problem("Texts cannot come in: NOTIFY_CALLBACK_TOKEN is not set.")
    elif last:
        verdict = works(f"The last text came in at {last}.")
    else:
        verdict = unknown("No text has come in yet.")
    return ChecklistItem(
        key="texts_in",
        title="Text messages in",
        purpose="Texts to the council's Notify number become contacts and cases.",
        set_in=f"{ADMIN} (the numbers) and {SERVER} (the callback token)",
        settings=[
            plain_setting("Inbound text numbers", ", ".join(numbers)),
            Setting("NOTIFY_CALLBACK_TOKEN", secret_shown(token), bool(token)),
        ],
        verdict=verdict,
        admin_pages=[("Inbound addresses", "channels.inboundaddress")],
    )


def _open311_item(organisation: Organisation) -> ChecklistItem:
    set_up = open311_set_up(organisation_id=organisation.pk)
    used = [(c.name, c.last_used_at) for c in set_up.clients if c.last_used_at is not None]
    if not set_up.jurisdiction_id or not set_up.clients:
        verdict = unknown("Not set. Only needed for FixMyStreet or other Open311 apps.")
    elif used:
        name, last_used = used[0]
        verdict = works(f"{name} last used its key at {when(last_used)}.")
    else:
        verdict = unknown("Set; no app has used its key yet.")
    return ChecklistItem(
        key="open311",
        title="Open311",
        purpose="Reports from FixMyStreet and other apps arrive as cases.",
        set_in=ADMIN,
        settings=[
            plain_setting("Jurisdiction id", set_up.jurisdiction_id),
            plain_setting("API keys with Open311", ", ".join(c.name for c in set_up.clients)),
        ],
        verdict=verdict,
        addresses=[
            ("Open311 discovery", public_address(reverse("open311-discovery", args=["json"])))
        ],
        admin_pages=[
            ("Open311 jurisdictions", "integrations.open311jurisdiction"),
            ("API clients", "integrations.apiclient"),
        ],
    )


def _telephony_item(organisation: Organisation) -> ChecklistItem:
    secret = settings.TELEPHONY_SECRET
    last = last_conversation_started_at(organisation_id=organisation.pk, channel="phone")
    if not secret:
        verdict = unknown(
            "Not set, so the phone webhook refuses every call. Only needed with a phone platform."
        )
    elif len(secret) < SHORTEST_TELEPHONY_SECRET:
        verdict = problem(
            f"The secret is too short to be safe: use at least {SHORTEST_TELEPHONY_SECRET} "
            "random characters."
        )
    elif last:
        verdict = works(f"The last call reached the assistant at {when(last)}.")
    else:
        verdict = unknown("Set; no call has come in yet.")
    return ChecklistItem(
        key="telephony",
        title="The phone platform",
        purpose="Callers talk to the assistant and are put through to advisers.",
        set_in=SERVER,
        settings=[Setting("TELEPHONY_SECRET", secret_shown(secret), bool(secret))],
        verdict=verdict,
        addresses=[
            (
                "Webhook",
                public_address(reverse("telephony", kwargs={"council": organisation.slug})),
            )
        ],
    )


def scanner_address() -> str:
    if settings.CLAMD_SOCKET:
        return str(settings.CLAMD_SOCKET)
    if settings.CLAMD_HOST:
        return f"{settings.CLAMD_HOST}:{settings.CLAMD_PORT}"
    return ""


def _virus_scanner_item(checks: Checks) -> ChecklistItem:
    if not scanning_configured():
        verdict = problem("Not set: uploads are not scanned for viruses.")
    else:
        verdict = checks.get("virus_scanner") or unknown(
            "Run the checks to send it the anti-virus test file."
        )
    down = {
        "hold": "Hold uploads for staff until it is back",
        "refuse": "Ask residents to try again later",
    }
    return ChecklistItem(
        key="virus_scanner",
        title="The virus scanner",
        purpose="ClamAV scans every document residents and staff upload.",
        set_in=SERVER,
        settings=[
            plain_setting("CLAMD_SOCKET or CLAMD_HOST", scanner_address()),
            plain_setting("While it is down (CLAMD_WHEN_DOWN)", down[settings.CLAMD_WHEN_DOWN]),
        ],
        verdict=verdict,
    )
