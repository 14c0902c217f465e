"""GOV.UK Notify delivery receipts (callbacks)."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicdesk.core.errors import DomainError, NotFound
from civicdesk.notifications.services import notification_record_receipt


def notify_callback_refused(request: HttpRequest) -> JsonResponse | None:
    """None if the callback carries the bearer token we gave Notify (compared in constant
    time); otherwise the 401 to answer. With no token configured every callback is refused."""
    expected = settings.NOTIFY_CALLBACK_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if expected and hmac.compare_digest(supplied.encode(), expected.encode()):
        return None
    return JsonResponse({"code": "not_authorised", "message": "Bad callback token."}, status=401)


@csrf_exempt
@require_POST
def notify_receipt(request: HttpRequest) -> JsonResponse:
    """Notify posts {reference, status, completed_at, ...} with the bearer token we gave it."""
    if refused := notify_callback_refused(request):
        return refused
    try:
        payload = json.loads(request.body)
        reference = str(payload["reference"] or "")
        status = str(payload["status"])
        completed = _receipt_time(payload.get("completed_at"))
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {
                "code": "bad_receipt",
                "message": "Expected JSON with reference, status and an ISO 8601 completed_at.",
            },
            status=400,
        )
    try:
        message = notification_record_receipt(
            reference=reference, provider_status=status, at=completed
        )
    except NotFound as problem:
        return JsonResponse({"code": problem.code, "message": problem.message}, status=404)
    except DomainError as problem:
        return JsonResponse({"code": problem.code, "message": problem.message}, status=400)
    return JsonResponse({"id": message.pk, "status": message.status})


def _receipt_time(value: object) -> datetime | None:
    """Notify's completed_at, in UTC when it names no zone; ValueError when it is no time."""
    if value is None or value == "":
        return None
    at = parse_datetime(str(value))
    if at is None:
        raise ValueError("completed_at is not a date and time")
    return at if timezone.is_aware(at) else timezone.make_aware(at, UTC)
