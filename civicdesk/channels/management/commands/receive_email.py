"""Receive email for the council's inboxes over SMTP (from the council's mail relay).

python manage.py receive_email                      # listen on INBOUND_EMAIL_HOST:PORT
python manage.py receive_email --port 2525

A message is accepted (250) only after it is stored; a message for an address we do not
receive for is refused at RCPT TO (550), and a failure to store it is a temporary error (451),
so the relay keeps it and tries again. Nothing is ever acknowledged and then lost.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from civicdesk.channels.choices import InboundChannel
from civicdesk.channels.mail import email_parse
from civicdesk.channels.services import inbound_address_find, inbound_email_receive
from civicdesk.core.errors import NotFound
from civicdesk.core.errors_logging import error_summary

logger = logging.getLogger("civicdesk.channels")


# Each conversation step opens and closes its own database connection: mail comes in at a
# pace where that costs nothing, and no connection is left open by the receiver's thread.


def _knows(address: str) -> bool:
    try:
        inbound_address_find(channel=InboundChannel.EMAIL, addresses=[address])
    except NotFound:
        return False
    finally:
        connections.close_all()
    return True


def _store(raw: bytes, sender: str, recipients: list[str]) -> int:
    try:
        parsed = email_parse(raw, envelope_sender=sender)
        return inbound_email_receive(parsed=parsed, recipients=recipients).pk
    finally:
        connections.close_all()


class InboundHandler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not await sync_to_async(_knows, thread_sensitive=True)(address):
            return "550 5.1.1 We do not receive email at that address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            stored = await sync_to_async(_store, thread_sensitive=True)(
                raw, envelope.mail_from or "<>", list(envelope.rcpt_tos)
            )
        except Exception as problem:
            logger.error("Inbound email not stored (%s)", error_summary(problem))
            return "451 4.3.0 Could not store the message; try again later"
        logger.info("Inbound email stored as message %s", stored)
        return "250 2.0.0 Message accepted"


def inbound_controller(host: str, port: int) -> Controller:
    return Controller(
        InboundHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.INBOUND_EMAIL_MAX_BYTES,
        decode_data=False,
    )


class Command(BaseCommand):
    help = "Receive email for the council inboxes over SMTP and turn it into contacts and cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.INBOUND_EMAIL_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_EMAIL_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        controller = inbound_controller(options["host"], options["port"])
        controller.start()
        self.stdout.write(f"Receiving email on {options['host']}:{options['port']}")
        stopped = asyncio.Event()
        loop = asyncio.new_event_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        try:
            loop.run_until_complete(stopped.wait())
        finally:
            controller.stop()
            loop.close()
        self.stdout.write("Stopped receiving email")
