"""Contacts: an interaction with a customer on any channel, logged from another system, on a
case or not."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.choices import Channel
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.selectors import access_client_case

from .calls import client_with_scope, idempotent_response
from .schemas import (
    ERRORS,
    NOT_BLANK,
    NOT_TRUE_OR_FALSE,
    InputSchema,
    document_no_nul,
    text_required,
)

router = Router()


def _signposting_says_where(schema: dict[str, Any]) -> None:
    document_no_nul(schema)
    schema["anyOf"] = [
        {"properties": {"outcome": {"not": {"const": ContactOutcome.SIGNPOSTED.value}}}},
        {"required": ["signposted_to"], "properties": {"signposted_to": {"pattern": NOT_BLANK}}},
    ]
    schema["description"] = "A contact signposted elsewhere says where, in signposted_to."


class ContactIn(InputSchema):
    model_config = ConfigDict(json_schema_extra=_signposting_says_where)

    channel: Literal[tuple(Channel.values)]  # type: ignore[valid-type]
    reason: Literal[tuple(ContactReason.values)]  # type: ignore[valid-type]
    outcome: Literal[tuple(ContactOutcome.values)]  # type: ignore[valid-type]
    summary: str = Field("", max_length=5000)
    signposted_to: str = Field("", max_length=200)
    case_reference: str | None = Field(None, max_length=20)
    duration_seconds: Annotated[int, Field(ge=0, le=86400), NOT_TRUE_OR_FALSE] | None = None


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
    if payload.outcome == ContactOutcome.SIGNPOSTED:
        text_required(
            payload.signposted_to,
            field="signposted_to",
            message="There is a problem with the contact.",
            hint="Enter where the customer was signposted to",
        )

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
