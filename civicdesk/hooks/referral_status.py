"""Status back from an organisation on another system that takes our referrals by webhook
(ADR 49): ``POST /hooks/referrals/<its public id>/status``.

The body is JSON: ``referral`` (the id we sent, "referral-123"), ``status`` (accepted,
declined, resolved or closed), ``reason`` (when declined: one of our decline reasons),
``reference`` (theirs), ``note`` and ``updated_at`` (ISO 8601). It is signed as our referrals
to them are: ``CivicDesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`` with the
shared secret. Answers: 200 with ``{referral, status, changed}``; otherwise
``{code, message}`` (and ``fields`` for a 422): 400 not JSON, 401 bad signature, 404 no such
receiver or referral, 405 not a POST, 409 a decision that cannot be undone, 413 too large, 415
not sent as application/json, 422 a field wrong.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from civicdesk.core.errors import DomainError, NotFound, TransitionNotAllowed, ValidationFailed
from civicdesk.referrals.inbound import (
    BadSignature,
    receiver_signature_check,
    receiver_update_read,
    referral_receiver_update,
)
from civicdesk.referrals.selectors import webhook_receiver

# An update is a few short fields and a note of at most 2,000 characters.
MAX_BODY_BYTES = 64 * 1024


def _problem(status: int, code: str, message: str, **more: object) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **more}, status=status)


@csrf_exempt
def referral_status(request: HttpRequest, receiver: str) -> JsonResponse:
    # An address that is no receiver's is not found whatever the method, as any other
    # address is; only a receiver's own address says that it takes nothing but POST.
    found = webhook_receiver(public_id=receiver)
    if found is None:
        return _problem(404, "not_found", "There is no referral receiver at this address.")
    if request.method != "POST":
        refused = _problem(405, "method_not_allowed", "Post status updates to this address.")
        refused["Allow"] = "POST"
        return refused
    # The signature is over the body exactly as sent, so the body must be read as it came:
    # form posts are rewritten on the way in (and a multipart one used up).
    if request.content_type != "application/json":
        return _problem(415, "not_json", "Send the update as application/json.")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _problem(400, "bad_length", "Content-Length must be the body's size in bytes.")
    try:
        if declared > MAX_BODY_BYTES:
            raise RequestDataTooBig
        body = request.body
    except RequestDataTooBig:
        return _problem(413, "too_large", f"Send at most {MAX_BODY_BYTES // 1024} KB.")
    if len(body) > MAX_BODY_BYTES:
        return _problem(413, "too_large", f"Send at most {MAX_BODY_BYTES // 1024} KB.")
    now = timezone.now()
    try:
        receiver_signature_check(
            secret=found.signing_secret,
            body=body,
            header=request.headers.get("CivicDesk-Signature", ""),
            now=now,
        )
    except BadSignature as problem:
        return _problem(401, problem.code, problem.message)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return _problem(400, "bad_json", "Send the update as a JSON object in UTF-8.")
    try:
        update = receiver_update_read(payload, now=now)
        answer = referral_receiver_update(receiver=found, update=update, now=now)
    except ValidationFailed as problem:
        return _problem(422, problem.code, problem.message, fields=problem.fields)
    except NotFound as problem:
        return _problem(404, problem.code, problem.message)
    except TransitionNotAllowed as problem:
        return _problem(409, problem.code, problem.message)
    except DomainError as problem:
        return _problem(400, problem.code, problem.message)
    return JsonResponse(
        {"referral": answer.referral, "status": answer.status, "changed": answer.changed}
    )
