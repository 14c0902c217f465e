"""Errors as RFC 9457 problem details, and the per-key rate limit."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from civicdesk.core.errors import (
    DomainError,
    EditConflict,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    TryAgain,
    ValidationFailed,
)
from civicdesk.core.ratelimit import attempts_add
from civicdesk.integrations.services import IdempotencyMismatch

if TYPE_CHECKING:
    from civicdesk.integrations.models import ApiClient

PROBLEM_TYPE = "https://civicdesk.invalid/problems/"

STATUS_FOR = (
    (NotFound, 404),
    (NotPermitted, 403),
    (ValidationFailed, 422),
    (IdempotencyMismatch, 422),
    (TransitionNotAllowed, 409),
    (EditConflict, 409),
    (TryAgain, 503),
    (DomainError, 400),
)

TITLES = {
    400: "Bad request",
    401: "Not authorised",
    403: "Not permitted",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Unprocessable request",
    429: "Too many requests",
    503: "Try again",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if fields:
        body["errors"] = fields
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/problem+json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def problem_from(error: DomainError) -> HttpResponse:
    status = next(status for kind, status in STATUS_FOR if isinstance(error, kind))
    headers = (
        {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, TryAgain) else None
    )
    return problem(status, error.code, error.message, fields=error.fields, headers=headers)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


def rate_limit_check(client: ApiClient, *, request: HttpRequest | None = None) -> None:
    """Count a request against the key's allowance for this minute; refuse beyond it."""
    now = time.time()
    minute = int(now // 60)
    count = attempts_add(kind="api", value=f"{client.pk}:{minute}", window_seconds=90)
    if count > client.requests_per_minute:
        raise RateLimited(retry_after=max(1, 60 - int(now % 60)))


def rate_limited(error: RateLimited) -> HttpResponse:
    return problem(
        429,
        "rate_limited",
        "This API key has made too many requests. Wait, then try again.",
        headers={"Retry-After": str(error.retry_after)},
    )
