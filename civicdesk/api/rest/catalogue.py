"""The service catalogue: what a client may report, and the questions each service asks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Router, Schema

from civicdesk.catalogue.selectors import charter_promises, request_type_get
from civicdesk.core.errors import NotFound
from civicdesk.integrations.open311 import open311_services

from .schemas import ERRORS

if TYPE_CHECKING:
    from civicdesk.catalogue.models import RequestType
    from civicdesk.integrations.models import ApiClient

router = Router()


class QuestionOut(Schema):
    key: str
    label: str
    hint: str
    kind: str
    required: bool
    choices: list[str]


class ServiceOut(Schema):
    key: str
    name: str
    description: str
    service_area: str
    kind: str
    emergency: bool


class ServiceDetailOut(ServiceOut):
    questions: list[QuestionOut]
    charter: list[str]


def _service(request_type: RequestType) -> dict[str, Any]:
    return {
        "key": request_type.key,
        "name": request_type.name,
        "description": request_type.description,
        "service_area": request_type.service_area.name,
        "kind": request_type.kind,
        "emergency": request_type.emergency,
    }


@router.get("", response={200: list[ServiceOut], **ERRORS}, tags=["services"])
def services_list(request: HttpRequest) -> Any:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    return [_service(request_type) for request_type in open311_services(client.organisation_id)]


@router.get("/{key}", response={200: ServiceDetailOut, **ERRORS}, tags=["services"])
def service_detail(request: HttpRequest, key: str) -> Any:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    request_type = request_type_get(organisation_id=client.organisation_id, key=key)
    if request_type.sensitive:
        raise NotFound(f"There is no service called '{key}' in this council's catalogue.")
    return {
        **_service(request_type),
        "questions": [
            {
                "key": question.key,
                "label": question.label,
                "hint": question.hint,
                "kind": question.kind,
                "required": question.required,
                "choices": [str(choice) for choice in question.choices],
            }
            for question in request_type.questions.all()
        ],
        "charter": charter_promises(request_type),
    }
