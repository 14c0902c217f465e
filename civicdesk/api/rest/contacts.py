"""Contacts: an interaction with a customer on any channel, logged from another system, on a
case or not."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.choices import Channel
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.selectors import access_client_case

from .calls import client_with_scope, idempotent_response
from .schemas import ERRORS, InputSchema

router = Router()


class ContactIn(InputSchema):
    channel: Literal[tuple(Channel.values)]  # type: ignore[valid-type]
    reason: Literal[tuple(ContactReason.values)]  # type: ignore[valid-type]
    outcome: Literal[tuple(ContactOutcome.values)]  # type: ignore[valid-type]
    summary: str = Field("", max_length=5000)
    signposted_to: str = Field("", max_length=200)
    case_reference: str | None = Field(None, max_length=20)
    duration_seconds: int | None = Field(None, ge=0, le=86400)


class ContactOut(Schema):
    id: int
    channel: str
    reason: str
    outcome: str
    case_reference: str | None
    is_repeat: bool


@router.post("", response={201: ContactOut, **ERRORS}, tags=["contacts"])
def contacts_create(request: HttpRequest, payload: ContactIn) -> HttpResponse:
    client = client_with_scope(request, Scope.CASES_CREATE)

    def perform() -> dict[str, Any]:
        case = (
            access_client_case(client=client, reference=payload.case_reference)
            if payload.case_reference
            else None
        )
        contact = contact_log(
            organisation=client.organisation,
            case=case,
            details=ContactDetails(
                channel=payload.channel,
                reason=payload.reason,
                outcome=payload.outcome,
                summary=payload.summary,
                signposted_to=payload.signposted_to,
                duration_seconds=payload.duration_seconds,
            ),
        )
        return {
            "id": contact.pk,
            "channel": contact.channel,
            "reason": contact.reason,
            "outcome": contact.outcome,
            "case_reference": case.reference if case else None,
            "is_repeat": contact.is_repeat,
        }

    return idempotent_response(request, client, 201, perform)
