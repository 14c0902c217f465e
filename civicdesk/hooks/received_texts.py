"""GOV.UK Notify's received-text callback: a resident's text message to the council's number."""

from __future__ import annotations

import json
from datetime import UTC

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicdesk.channels.choices import InboundChannel
from civicdesk.channels.services import Inbound, inbound_address_find, inbound_receive
from civicdesk.core.errors import NotFound
from civicdesk.hooks.notify import notify_callback_refused


@csrf_exempt
@require_POST
def notify_received_text(request: HttpRequest) -> JsonResponse:
    """Notify posts {id, source_number, destination_number, message, date_received}. The same
    id twice (Notify retries) is stored once."""
    if refused := notify_callback_refused(request):
        return refused
    try:
        payload = json.loads(request.body)
        message_id = str(payload["id"]).strip()
        sender = _international(str(payload["source_number"]))
        destination = _international(str(payload["destination_number"]))
        text = str(payload["message"])
        received = parse_datetime(str(payload.get("date_received") or "")) or timezone.now()
        if not message_id or not sender or len(message_id) > 300 or len(sender) > 254:
            raise ValueError("missing id or number")
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {
                "code": "bad_message",
                "message": "Expected JSON with id, source_number, destination_number and message.",
            },
            status=400,
        )
    try:
        inbox = inbound_address_find(channel=InboundChannel.SMS, addresses=[destination])
    except NotFound as problem:
        return JsonResponse({"code": problem.code, "message": problem.message}, status=404)
    record = inbound_receive(
        inbox=inbox,
        message=Inbound(
            channel=InboundChannel.SMS,
            message_id=message_id,
            sender=sender,
            body=text[:2000],
            received_at=received if timezone.is_aware(received) else received.replace(tzinfo=UTC),
        ),
    )
    return JsonResponse({"id": record.pk, "outcome": record.outcome})


def _international(number: str) -> str:
    """Notify gives UK numbers as 447700900123; with a plus they normalise like any other."""
    number = number.strip()
    return f"+{number}" if number.isdigit() and number.startswith("44") else number
