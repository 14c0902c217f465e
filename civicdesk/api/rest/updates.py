"""Back-office updates: a contractor's or back-office system's own status update or
completion on a case, recorded once however often it is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from civicdesk.cases.choices import CaseStatus
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.selectors import access_client_case
from civicdesk.integrations.services import (
    REPORTED_STATUSES,
    ReportedUpdate,
    external_update_record,
)

from .calls import as_utc, client_with_scope, idempotent_response
from .schemas import ERRORS, NOT_BLANK, DateTime, InputSchema, document_no_nul, text_required

router = Router()

# Statuses that put the case on hold for the customer, which needs a description of what we
# need from them.
NEEDS_A_DESCRIPTION = sorted(
    reported for reported, status in REPORTED_STATUSES.items() if status == CaseStatus.WAITING
)


def _status_or_description(schema: dict[str, Any]) -> None:
    document_no_nul(schema)
    schema["anyOf"] = [
        {
            "required": ["status"],
            "properties": {"status": {"type": "string", "not": {"enum": NEEDS_A_DESCRIPTION}}},
        },
        {"required": ["description"], "properties": {"description": {"pattern": NOT_BLANK}}},
    ]
    schema["description"] = (
        "An update has a status, a description or both; a status of "
        + ", ".join(NEEDS_A_DESCRIPTION)
        + " needs a description of what is needed from the customer."
    )


class UpdateIn(InputSchema):
    model_config = ConfigDict(json_schema_extra=_status_or_description)

    update_id: str = Field(
        ..., min_length=1, max_length=100, json_schema_extra={"pattern": NOT_BLANK}
    )
    status: Literal[tuple(REPORTED_STATUSES)] | None = None  # type: ignore[valid-type]
    description: str = Field("", max_length=10000)
    reported_at: DateTime | None = None


class UpdateOut(Schema):
    update_id: str
    source: str
    case_reference: str
    case_status: str
    recorded_at: datetime


@router.post(
    "/{reference}/updates",
    response={201: UpdateOut, **ERRORS},
    tags=["back-office updates"],
    summary="Record a status update or completion from a back-office system",
)
def case_update(request: HttpRequest, reference: str, payload: UpdateIn) -> HttpResponse:
    client = client_with_scope(request, Scope.CASES_UPDATE)
    text_required(
        payload.update_id,
        field="update_id",
        message="Give the update's own id, up to 100 characters.",
        hint="Enter the update id",
    )
    if payload.status is None:
        text_required(
            payload.description,
            field="status",
            message="Send a status, a description or both.",
            hint="Enter a status",
        )
    elif payload.status in NEEDS_A_DESCRIPTION:
        text_required(
            payload.description,
            field="description",
            message="Say what you need from the customer.",
            hint="Enter what you need",
        )

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        record, _ = external_update_record(
            client=client,
            case=case,
            update=ReportedUpdate(
                external_id=payload.update_id,
                status=payload.status or "",
                description=payload.description,
                reported_at=as_utc(payload.reported_at),
            ),
        )
        return {
            "update_id": record.external_id,
            "source": record.source,
            "case_reference": case.reference,
            "case_status": record.status,
            "recorded_at": record.recorded_at.isoformat(),
        }

    return idempotent_response(request, client, 201, perform)
