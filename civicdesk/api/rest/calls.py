"""What operations do with a call: check the client's scope, answer under the request's
Idempotency-Key, and read a time given in any zone as UTC."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from civicdesk.core.errors import ValidationFailed
from civicdesk.core.transactions import atomic_all_or_nothing
from civicdesk.integrations.services import (
    StoredResponse,
    api_client_check_scope,
    idempotent_call,
    request_fingerprint,
)

if TYPE_CHECKING:
    from civicdesk.integrations.models import ApiClient


# What the schema allows as an Idempotency-Key: 1 to 200 printable ASCII characters, no spaces.
IDEMPOTENCY_KEY_PATTERN = "^[!-~]+$"
IDEMPOTENCY_KEY_MAX_LENGTH = 200
_IDEMPOTENCY_KEY = re.compile(rf"[!-~]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def client_with_scope(request: HttpRequest, scope: str) -> ApiClient:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    api_client_check_scope(client, scope)
    return client


def idempotent_response(
    request: HttpRequest,
    client: ApiClient,
    status: int,
    perform: Callable[[], Any],
    *,
    check_first: bool = False,
) -> HttpResponse:
    """Run ``perform`` (returning a JSON-ready value) under the request's Idempotency-Key.
    ``check_first`` for work that writes files (see ``idempotent_call``)."""

    def run() -> StoredResponse:
        return StoredResponse(status, "application/json", json.dumps(perform(), default=str))

    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed(
            "The Idempotency-Key header must be 1 to 200 printable ASCII characters, without "
            "spaces.",
            fields={"Idempotency-Key": "Send 1 to 200 characters from ! to ~"},
        )
    if key is None:
        with atomic_all_or_nothing():
            stored = run()
    else:
        stored = idempotent_call(
            client=client,
            key=key,
            fingerprint=request_fingerprint(
                request.method or "POST", request.path, _content_of(request)
            ),
            perform=run,
            check_first=check_first,
        )
    response = HttpResponse(
        stored.body, status=stored.status_code, content_type=stored.content_type
    )
    if stored.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _content_of(request: HttpRequest) -> bytes:
    """What a request asks for, as bytes. A form with files is read field by field, because a
    client retrying an upload draws a new multipart boundary each time, and because its raw
    body has already been consumed by then."""
    if not (request.content_type or "").startswith("multipart/"):
        return request.body
    digest = hashlib.sha256()
    for name, values in sorted(request.POST.lists()):
        digest.update(json.dumps([name, values]).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(json.dumps([name, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest().encode()


def as_utc(moment: datetime | None) -> datetime | None:
    """A time given with any offset (or none, meaning UTC) as UTC, as the database keeps it. A
    valid time that is outside what can be held in UTC (early on 1 January in the year 1 east
    of Greenwich, late on 31 December 9999 west of it) is the first or last moment that can."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)
