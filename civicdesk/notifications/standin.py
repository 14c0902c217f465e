"""A stand-in for the GOV.UK Notify API on this machine: for development and tests only.

It speaks the part of Notify's v2 API that CivicDesk uses, so that the Notify gateway can be run
end to end through the real ``notifications-python-client`` without a Notify account:

- ``POST /v2/notifications/email``, ``/sms`` and ``/letter`` accept a notification and reply
  201 with its id, reference, content, uri and template, as Notify does;
- ``GET /v2/notifications?reference=...`` and ``GET /v2/notifications/{id}`` find them again;
- ``GET /v2/template/{id}`` describes a template (the channels checklist reads it);
- every request must carry a JSON Web Token signed with the API key's secret, issued by the
  key's service id within the last 30 seconds, or it is refused with 401 or 403;
- invalid requests are refused with 400 and Notify's error body
  ``{"status_code": 400, "errors": [{"error": ..., "message": ...}]}``.

Nothing is sent to anyone. Accepted notifications are kept in memory and, if a record file is
given, appended to it as JSON lines so that another process can count them. The record holds
the recipients and personalisation, so keep it on the developer's machine.

For testing failures, the stand-in can be told to fail the next requests with a server error
(:meth:`NotifyStandin.fail_next`) or to reply slowly (:attr:`NotifyStandin.reply_delay`); a slow
reply is delayed after the notification has been accepted, like a reply lost on the way back.

This is not GOV.UK Notify. Never point a live service at it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import phonenumbers
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError, TokenExpiredError

from civicdesk.core.postcodes import UK_POSTCODE

logger = logging.getLogger(__name__)

NOTIFICATION_TYPES = ("email", "sms", "letter")
PAGE_SIZE = 250

# Template ids the stand-in suggests to developers. It accepts any id in UUID form unless it is
# given a list of templates; these only save making some up.
EXAMPLE_TEMPLATE_IDS = {
    "email": "6f1c7d3e-2b1a-4c5d-9e8f-0a1b2c3d4e51",
    "sms": "6f1c7d3e-2b1a-4c5d-9e8f-0a1b2c3d4e52",
    "letter": "6f1c7d3e-2b1a-4c5d-9e8f-0a1b2c3d4e53",
}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_API_KEY = re.compile(rf"(?P<name>.+)-(?P<service>{_UUID.pattern})-(?P<secret>{_UUID.pattern})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
# What Notify lets a phone number be written with, and Ofcom's drama range of mobile numbers
# (07700 900000 to 900999), which Notify accepts although phonenumbers calls it invalid.
_PHONE_CHARACTERS = re.compile(r"[0-9\s()+-]+")
_DRAMA_MOBILES = re.compile(r"7700900[0-9]{3}")
_TEXTABLE_UK_LINES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}
_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")


@dataclass(frozen=True)
class ApiKey:
    """A Notify API key: ``{key name}-{service id}-{secret}``, both ids UUIDs."""

    name: str
    service_id: str
    secret: str

    @classmethod
    def parse(cls, key: str) -> ApiKey:
        found = _API_KEY.fullmatch(key.strip())
        if found is None:
            raise ValueError("A Notify API key is a name, a service id and a secret, by hyphens.")
        return cls(found["name"], found["service"], found["secret"])

    @classmethod
    def generate(cls, name: str = "civicdesk-standin") -> ApiKey:
        return cls(name, str(uuid.uuid4()), str(uuid.uuid4()))

    def __str__(self) -> str:
        return f"{self.name}-{self.service_id}-{self.secret}"


@dataclass(frozen=True)
class StandinTemplate:
    """A template the stand-in knows: its type and its words, with ((placeholders))."""

    type: str
    subject: str = "((subject))"
    body: str = "((body))"

    def placeholders(self) -> list[str]:
        text = self.body if self.type == "sms" else f"{self.subject}\n{self.body}"
        return list(dict.fromkeys(_PLACEHOLDER.findall(text)))

    def fill(self, text: str, personalisation: Mapping[str, object]) -> str:
        return _PLACEHOLDER.sub(lambda found: str(personalisation[found[1]]), text)


@dataclass(frozen=True)
class AcceptedNotification:
    """One notification the stand-in accepted, as it is recorded."""

    id: str
    type: str
    reference: str | None
    template_id: str
    recipient: str
    personalisation: dict[str, Any]
    subject: str
    body: str
    created_at: str
    address_lines: list[str] = field(default_factory=list)


class NotifyRefusal(Exception):
    """A request Notify would refuse: the status and the errors it would reply with."""

    def __init__(self, status: int, *errors: tuple[str, str]) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors

    def body(self) -> dict[str, object]:
        return {
            "status_code": self.status,
            "errors": [{"error": error, "message": message} for error, message in self.errors],
        }


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, object]


class NotifyStandin:
    """The stand-in server. Use as a context manager, or call ``start()`` and ``stop()``.

    ``port=0`` picks a free port; ``base_url`` says where it listens. ``templates`` maps
    template ids to templates; without it any template id in UUID form is accepted as a
    template with ``((subject))`` and ``((body))`` placeholders.
    """

    def __init__(
        self,
        api_key: str | ApiKey,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record: Path | None = None,
        templates: Mapping[str, StandinTemplate] | None = None,
        reply_delay: float = 0.0,
    ) -> None:
        self.api_key = api_key if isinstance(api_key, ApiKey) else ApiKey.parse(api_key)
        self.record = record
        self.templates = dict(templates) if templates is not None else None
        self._lock = threading.Lock()
        self._accepted: list[AcceptedNotification] = []
        self._failures: list[int] = []
        self._reply_delay = reply_delay
        self._replies_pending = 0
        self._host = host
        self._server = _Server((host, port), _Handler, standin=self)
        self._thread: threading.Thread | None = None

    # Running.

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> NotifyStandin:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="notify-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the management command's loop)."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def __enter__(self) -> NotifyStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Faults and inspection.

    def fail_next(self, count: int, status: int = 500) -> None:
        """Reply to the next ``count`` requests, whatever they are, with ``status``."""
        with self._lock:
            self._failures.extend([status] * count)

    @property
    def reply_delay(self) -> float:
        with self._lock:
            return self._reply_delay

    @reply_delay.setter
    def reply_delay(self, seconds: float) -> None:
        with self._lock:
            self._reply_delay = seconds

    @property
    def replies_pending(self) -> int:
        """Notifications accepted whose reply has not been written yet."""
        with self._lock:
            return self._replies_pending

    @contextmanager
    def _reply_pending(self, accepted: bool) -> Iterator[None]:
        if not accepted:
            yield
            return
        with self._lock:
            self._replies_pending += 1
        try:
            yield
        finally:
            with self._lock:
                self._replies_pending -= 1

    def accepted(self) -> list[AcceptedNotification]:
        with self._lock:
            return list(self._accepted)

    def accepted_with_reference(self, reference: str) -> list[AcceptedNotification]:
        return [n for n in self.accepted() if n.reference == reference]

    # The API.

    def handle(
        self, method: str, target: str, authorization: str, body: bytes, *, host: str
    ) -> Reply:
        """Answer one request as Notify would."""
        try:
            self._take_failure()
            self._authenticate(authorization)
            url = urlsplit(target)
            path = url.path.rstrip("/")
            if method == "POST" and path.startswith("/v2/notifications/"):
                kind = path.removeprefix("/v2/notifications/")
                if kind in NOTIFICATION_TYPES:
                    return Reply(201, self._accept(kind, _json_object(body), host))
            if method == "GET" and path == "/v2/notifications":
                return Reply(200, self._search(parse_qs(url.query), host))
            if method == "GET" and path.startswith("/v2/notifications/"):
                return Reply(200, self._one(path.removeprefix("/v2/notifications/"), host))
            if method == "GET" and path.startswith("/v2/template/"):
                return Reply(200, self._template_described(path.removeprefix("/v2/template/")))
            raise NotifyRefusal(404, ("NotFound", "The requested URL was not found."))
        except NotifyRefusal as refusal:
            return Reply(refusal.status, refusal.body())

    def _take_failure(self) -> None:
        with self._lock:
            status = self._failures.pop(0) if self._failures else None
        if status is not None:
            raise NotifyRefusal(status, ("Exception", "Internal server error"))

    def _authenticate(self, authorization: str) -> None:
        scheme, _, token = authorization.partition(" ")
        if not authorization:
            raise NotifyRefusal(
                401, ("AuthError", "Unauthorized: authentication token must be provided")
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise NotifyRefusal(
                401, ("AuthError", "Unauthorized: authentication bearer scheme must be used")
            )
        token = token.strip()
        try:
            issuer = get_token_issuer(token)
            if issuer != self.api_key.service_id:
                raise NotifyRefusal(403, ("AuthError", "Invalid token: service not found"))
            decode_jwt_token(token, self.api_key.secret)
        except TokenExpiredError:
            raise NotifyRefusal(
                403,
                ("AuthError", "Error: Your system clock must be accurate to within 30 seconds"),
            ) from None
        except TokenError:
            raise NotifyRefusal(
                403, ("AuthError", "Invalid token: signature, api token not found")
            ) from None

    def _accept(self, kind: str, request: dict[str, Any], host: str) -> dict[str, object]:
        template_id, template = self._template(kind, request.get("template_id"))
        personalisation = request.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            raise NotifyRefusal(400, ("ValidationError", "personalisation is not of type object"))
        reference = request.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise NotifyRefusal(400, ("ValidationError", "reference is not of type string"))
        recipient, address = _recipient(kind, request, personalisation)
        missing = [key for key in template.placeholders() if key not in personalisation]
        if missing:
            raise NotifyRefusal(
                400, ("BadRequestError", f"Missing personalisation: {', '.join(missing)}")
            )
        notification = AcceptedNotification(
            id=str(uuid.uuid4()),
            type=kind,
            reference=reference,
            template_id=template_id,
            recipient=recipient,
            personalisation=personalisation,
            subject="" if kind == "sms" else template.fill(template.subject, personalisation),
            body=template.fill(template.body, personalisation),
            created_at=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            address_lines=address,
        )
        self._store(notification)
        return self._created(notification, host)

    def _template(self, kind: str, template_id: object) -> tuple[str, StandinTemplate]:
        if not isinstance(template_id, str) or not _UUID.fullmatch(template_id.lower()):
            raise NotifyRefusal(400, ("ValidationError", "template_id is not a valid UUID"))
        if self.templates is None:
            return template_id, StandinTemplate(kind)
        template = self.templates.get(template_id)
        if template is None:
            raise NotifyRefusal(400, ("BadRequestError", "Template not found"))
        if template.type != kind:
            raise NotifyRefusal(
                400,
                (
                    "BadRequestError",
                    f"{template.type} template is not suitable for {kind} notification",
                ),
            )
        return template_id, template

    def _template_described(self, template_id: str) -> dict[str, object]:
        """A template as Notify describes it. Without a list of templates the stand-in knows
        only the example ids, each of its own type."""
        if not _UUID.fullmatch(template_id.lower()):
            raise NotifyRefusal(400, ("ValidationError", "template_id is not a valid UUID"))
        if self.templates is not None:
            template = self.templates.get(template_id)
        else:
            kinds = {found: kind for kind, found in EXAMPLE_TEMPLATE_IDS.items()}
            template = StandinTemplate(kinds[template_id]) if template_id in kinds else None
        if template is None:
            raise NotifyRefusal(404, ("NoResultFound", "No result found"))
        placeholders = template.placeholders()
        return {
            "id": template_id,
            "type": template.type,
            "name": f"CivicDesk {template.type}",
            "version": 1,
            "subject": None if template.type == "sms" else template.subject,
            "body": template.body,
            "personalisation": {name: {"required": True} for name in placeholders},
            "created_at": "2026-01-01T00:00:00.000000Z",
            "updated_at": None,
            "created_by": "civicdesk.standin@notifications.service.gov.uk",
        }

    def _store(self, notification: AcceptedNotification) -> None:
        with self._lock:
            self._accepted.append(notification)
            if self.record is not None:
                with self.record.open("a", encoding="utf-8") as record:
                    record.write(json.dumps(asdict(notification)) + "\n")

    def _created(self, notification: AcceptedNotification, host: str) -> dict[str, object]:
        if notification.type == "email":
            content: dict[str, object] = {
                "subject": notification.subject,
                "body": notification.body,
                "from_email": "civicdesk.standin@notifications.service.gov.uk",
                "one_click_unsubscribe_url": None,
            }
        elif notification.type == "sms":
            content = {"body": notification.body, "from_number": "CivicDesk"}
        else:
            content = {"subject": notification.subject, "body": notification.body}
        created: dict[str, object] = {
            "id": notification.id,
            "reference": notification.reference,
            "content": content,
            "uri": f"http://{host}/v2/notifications/{notification.id}",
            "template": self._template_json(notification, host),
            "scheduled_for": None,
        }
        if notification.type == "letter":
            created["postage"] = "second"
        return created

    def _template_json(self, notification: AcceptedNotification, host: str) -> dict[str, object]:
        service = self.api_key.service_id
        return {
            "id": notification.template_id,
            "version": 1,
            "uri": f"http://{host}/services/{service}/templates/{notification.template_id}",
        }

    def _search(self, query: dict[str, list[str]], host: str) -> dict[str, object]:
        found = list(reversed(self.accepted()))
        if "reference" in query:
            found = [n for n in found if n.reference == query["reference"][0]]
        if "template_type" in query:
            found = [n for n in found if n.type == query["template_type"][0]]
        if "status" in query and "created" not in query["status"]:
            found = []
        if "older_than" in query:
            ids = [n.id for n in found]
            older_than = query["older_than"][0]
            found = found[ids.index(older_than) + 1 :] if older_than in ids else []
        page = found[:PAGE_SIZE]
        links = {"current": f"http://{host}/v2/notifications?{urlencode(query, doseq=True)}"}
        if len(found) > PAGE_SIZE:
            more = {**query, "older_than": [page[-1].id]}
            links["next"] = f"http://{host}/v2/notifications?{urlencode(more, doseq=True)}"
        return {"notifications": [self._notification_json(n, host) for n in page], "links": links}

    def _one(self, notification_id: str, host: str) -> dict[str, object]:
        if not _UUID.fullmatch(notification_id.lower()):
            raise NotifyRefusal(400, ("ValidationError", "notification_id is not a valid UUID"))
        for notification in self.accepted():
            if notification.id == notification_id:
                return self._notification_json(notification, host)
        raise NotifyRefusal(404, ("NoResultFound", "No result found"))

    def _notification_json(
        self, notification: AcceptedNotification, host: str
    ) -> dict[str, object]:
        lines = notification.address_lines
        postal: dict[str, object] = {f"line_{n}": None for n in range(1, 7)}
        postal["postcode"] = None
        if lines:
            postal.update({f"line_{n}": line for n, line in enumerate(lines[:-1][:6], start=1)})
            postal["postcode"] = lines[-1]
        return {
            "id": notification.id,
            "reference": notification.reference,
            "email_address": notification.recipient if notification.type == "email" else None,
            "phone_number": notification.recipient if notification.type == "sms" else None,
            **postal,
            "postage": "second" if notification.type == "letter" else None,
            "type": notification.type,
            "status": "created",
            "template": self._template_json(notification, host),
            "body": notification.body,
            "subject": notification.subject or None,
            "created_at": notification.created_at,
            "created_by_name": None,
            "sent_at": None,
            "completed_at": None,
            "scheduled_for": None,
        }


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        request = json.loads(body)
    except ValueError:
        raise NotifyRefusal(
            400, ("ValidationError", "Invalid JSON supplied in POST data")
        ) from None
    if not isinstance(request, dict):
        raise NotifyRefusal(400, ("ValidationError", "Invalid JSON supplied in POST data"))
    return request


def _recipient(
    kind: str, request: dict[str, Any], personalisation: dict[str, Any]
) -> tuple[str, list[str]]:
    """The recipient as recorded, and a letter's address lines; refuses what Notify refuses."""
    if kind == "email":
        email = request.get("email_address")
        if not isinstance(email, str) or not email:
            raise NotifyRefusal(400, ("ValidationError", "email_address is a required property"))
        if not _EMAIL.fullmatch(email.strip()):
            raise NotifyRefusal(400, ("ValidationError", "email_address Not a valid email address"))
        return email, []
    if kind == "sms":
        phone = request.get("phone_number")
        if not isinstance(phone, str) or not phone:
            raise NotifyRefusal(400, ("ValidationError", "phone_number is a required property"))
        if not _notify_texts_to(phone):
            raise NotifyRefusal(400, ("ValidationError", "phone_number Not a UK mobile number"))
        return phone, []
    lines = [
        str(personalisation[f"address_line_{n}"]).strip()
        for n in range(1, 8)
        if str(personalisation.get(f"address_line_{n}") or "").strip()
    ]
    if "address_line_1" not in personalisation:
        raise NotifyRefusal(
            400, ("ValidationError", "personalisation address_line_1 is a required property")
        )
    if len(lines) < 3:
        raise NotifyRefusal(400, ("ValidationError", "Address must be at least 3 lines"))
    if not UK_POSTCODE.fullmatch(lines[-1]):
        raise NotifyRefusal(
            400, ("ValidationError", "Last line of address must be a real UK postcode")
        )
    return lines[0], lines


def _notify_texts_to(phone: str) -> bool:
    """Notify's rule for a service that may text UK mobiles only: a valid UK mobile or personal
    (070) number, or one in the drama range. Landlines, pagers and premium rate are refused."""
    if not _PHONE_CHARACTERS.fullmatch(phone):
        return False
    try:
        number = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        return False
    if number.country_code != 44:
        return False
    if _DRAMA_MOBILES.fullmatch(str(number.national_number)):
        return True
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) in _TEXTABLE_UK_LINES
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        standin: NotifyStandin,
    ) -> None:
        self.standin = standin
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-reply (a worker stopped hard) is expected here.
        logger.debug("Notify stand-in: a client went away before its reply was written")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "NotifyStandin/1"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        standin = self.server.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = standin.handle(
            method,
            self.path,
            self.headers.get("Authorization", ""),
            body,
            host=self.headers.get("Host") or standin.base_url.removeprefix("http://"),
        )
        with standin._reply_pending(reply.status == 201):
            delay = standin.reply_delay
            if delay:
                time.sleep(delay)
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # Paths carry only our references, never recipients; kept at debug level all the same.
        logger.debug("Notify stand-in: " + format, *args)
