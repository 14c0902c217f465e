"""Back-office updates: a contractor's or back-office system's own status update or
completion on a case, recorded once however often it is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from civicdesk.integrations.choices import Scope
from civicdesk.integrations.selectors import access_client_case
from civicdesk.integrations.services import ReportedUpdate, external_update_record

from .calls import as_utc, client_with_scope, idempotent_response
from .schemas import ERRORS, InputSchema

router = Router()


class UpdateIn(InputSchema):
    update_id: str = Field(..., min_length=1, max_length=100)
    status: str = Field("", max_length=40)
    description: str = Field("", max_length=10000)
    reported_at: datetime | None = None


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

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        record, _ = external_update_record(
            client=client,
            case=case,
            update=ReportedUpdate(
                external_id=payload.update_id,
                status=payload.status,
                description=payload.description,
                reported_at=as_utc(payload.reported_at, "reported_at"),
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
