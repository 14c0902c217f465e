"""REST API v1 for councils' apps, contractors' job systems and the contact centre.

Every call names an API client by its key (``Authorization: Bearer <key>``). Every POST may
carry an ``Idempotency-Key``: the same key and body replays the stored response. Errors are
RFC 9457 problem details with a ``code``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import File, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer
from pydantic import Field, model_validator

from civicdesk.cases.choices import CaseStatus, NoteVisibility
from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload
from civicdesk.cases.models import Case
from civicdesk.cases.selectors import case_timeline
from civicdesk.cases.services import (
    CaseRequest,
    case_add_note,
    case_attach,
    case_open,
    case_transition,
)
from civicdesk.catalogue.models import RequestType
from civicdesk.catalogue.selectors import charter_promises, request_type_get
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.customers.models import Customer
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import ApiClient
from civicdesk.integrations.open311 import open311_services
from civicdesk.integrations.selectors import access_client_case, cases_visible_to_client
from civicdesk.integrations.services import (
    ReportedUpdate,
    StoredResponse,
    api_client_authenticate,
    api_client_check_scope,
    external_update_record,
    idempotent_call,
    reporter_create,
    request_fingerprint,
)

from .problems import RateLimited, problem, problem_from, rate_limit_check, rate_limited


class ApiKey(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        try:
            client = api_client_authenticate(token)
        except DomainError:
            return None
        rate_limit_check(client)
        return client


IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "Any string of your own, 1 to 200 characters. The same key and request again return "
        "the first response; the same key with a different request is refused (422)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}


class CivicDeskApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Errors are documented as what they are: RFC 9457 problem details."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema["paths"].values():
            if "post" in path:
                path["post"].setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {
                            "application/problem+json": content["application/json"]
                        }
        return schema


api = CivicDeskApi(
    title="CivicDesk API",
    version="1",
    description=(
        "Cases, contacts and the service catalogue of one council, for the systems it works "
        "with. Keys are issued by the council's administrators and scoped."
    ),
    urls_namespace="api-v1",
    auth=ApiKey(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return problem_from(error)


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    return rate_limited(error)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return problem(
        401,
        "not_authorised",
        "Send a valid API key: Authorization: Bearer <key>.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    fields = {
        ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "payload")): str(
            item.get("msg", "Invalid")
        )
        for item in error.errors
    }
    return problem(422, "validation_failed", "There is a problem with the request.", fields=fields)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return problem(error.status_code, "bad_request", str(error))


# Schemas


class Problem(Schema):
    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: dict[str, str] | None = None


ERRORS: dict[int, type[Schema]] = {code: Problem for code in (400, 401, 403, 404, 409, 422, 429)}


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


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(inner) for key, inner in value.items())
    if isinstance(value, list):
        return any(_has_nul(inner) for inner in value)
    return False


class InputSchema(Schema):
    """What a client sends. A NUL character is refused: no text here needs one, and
    PostgreSQL cannot store it."""

    @model_validator(mode="after")
    def _no_nul_characters(self) -> InputSchema:
        if any(_has_nul(value) for value in self.__dict__.values()):
            raise ValueError("Text must not contain NUL (\\u0000) characters")
        return self


class CustomerIn(InputSchema):
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    preferred_channel: Literal["email", "sms", "letter", "phone"] = "email"


class CaseIn(InputSchema):
    service: str = Field(..., min_length=1, max_length=50)
    channel: Literal["phone", "email", "web", "app", "face_to_face", "letter", "sms", "social"] = (
        "app"
    )
    description: str = Field("", max_length=10000)
    answers: dict[str, Any] = Field(default_factory=dict)
    priority: Literal["emergency", "urgent", "standard"] | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    location: str = Field("", max_length=300)
    customer: CustomerIn | None = None


class NoteOut(Schema):
    at: datetime
    kind: str
    summary: str
    by: str


class CaseOut(Schema):
    reference: str
    service: str
    service_name: str
    status: str
    priority: str
    channel: str
    description: str
    latitude: float | None
    longitude: float | None
    location: str
    opened_at: datetime
    updated_at: datetime
    due_at: datetime | None
    clock_state: str
    version: int


class CaseDetailOut(CaseOut):
    answers: dict[str, Any]
    timeline: list[NoteOut]


class CaseListOut(Schema):
    count: int
    items: list[CaseOut]


class CaseFilters(Schema):
    status: Literal[tuple(CaseStatus.values)] | None = None  # type: ignore[valid-type]
    service: str | None = Field(None, max_length=50)
    updated_since: datetime | None = None
    opened_after: datetime | None = None
    opened_before: datetime | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


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


class NoteIn(InputSchema):
    body: str = Field(..., min_length=1, max_length=10000)
    visibility: Literal["internal", "public"] = "internal"


class NoteCreatedOut(Schema):
    id: int
    visibility: str
    case_version: int


class StatusIn(InputSchema):
    status: Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]
    note: str = Field("", max_length=10000)
    expected_version: int | None = Field(None, ge=1)


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


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


# Helpers


def _client(request: HttpRequest, scope: str) -> ApiClient:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    api_client_check_scope(client, scope)
    return client


def _idempotent(
    request: HttpRequest, client: ApiClient, status: int, perform: Callable[[], Any]
) -> HttpResponse:
    """Run ``perform`` (returning a JSON-ready value) under the request's Idempotency-Key."""

    def run() -> StoredResponse:
        return StoredResponse(status, "application/json", json.dumps(perform(), default=str))

    key = request.headers.get("Idempotency-Key")
    if key is None:
        with transaction.atomic():
            stored = run()
    else:
        stored = idempotent_call(
            client=client,
            key=key,
            fingerprint=request_fingerprint(
                request.method or "POST", request.path, _content_of(request)
            ),
            perform=run,
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


def _utc(moment: datetime | None, name: str) -> datetime | None:
    """A time given with any offset (or none, meaning UTC) as UTC, as the database keeps it."""
    if moment is None:
        return None
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed(f"{name} is out of range.", fields={name: "Out of range"}) from None


def _case_out(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "service": case.request_type.key,
        "service_name": case.request_type.name,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "description": case.description,
        "latitude": case.latitude,
        "longitude": case.longitude,
        "location": case.location_text,
        "opened_at": case.opened_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "clock_state": case.clock_state,
        "version": case.version,
    }


def _case_detail(case: Case) -> dict[str, Any]:
    """The case with what its customer may see of its history: staff's internal notes stay
    with staff, whatever system asks."""
    return {
        **_case_out(case),
        "answers": case.answers,
        "timeline": [
            {"at": entry.at, "kind": entry.kind, "summary": entry.summary, "by": entry.actor}
            for entry in case_timeline(case, include_internal=False)
        ],
    }


def _service(request_type: RequestType) -> dict[str, Any]:
    return {
        "key": request_type.key,
        "name": request_type.name,
        "description": request_type.description,
        "service_area": request_type.service_area.name,
        "kind": request_type.kind,
        "emergency": request_type.emergency,
    }


def _customer(client: ApiClient, given: CustomerIn | None, actor: Actor) -> Customer | None:
    if given is None or not (given.email.strip() or given.phone.strip()):
        return None
    return reporter_create(
        organisation=client.organisation,
        name=given.name,
        emails=[given.email.strip()] if given.email.strip() else [],
        phones=[given.phone.strip()] if given.phone.strip() else [],
        preferred_channel=given.preferred_channel,
        actor=actor,
    )


# The service catalogue


@api.get("/services", response={200: list[ServiceOut], **ERRORS}, tags=["services"])
def services_list(request: HttpRequest) -> Any:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    return [_service(request_type) for request_type in open311_services(client.organisation_id)]


@api.get("/services/{key}", response={200: ServiceDetailOut, **ERRORS}, tags=["services"])
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


# Cases


@api.post("/cases", response={201: CaseDetailOut, **ERRORS}, tags=["cases"])
def cases_create(request: HttpRequest, payload: CaseIn) -> HttpResponse:
    client = _client(request, Scope.CASES_CREATE)
    actor = Actor(label=client.actor_label)

    def perform() -> dict[str, Any]:
        if RequestType.objects.filter(
            organisation_id=client.organisation_id, key=payload.service, sensitive=True
        ).exists():
            raise NotFound(f"There is no service called '{payload.service}' for this key.")
        customer = _customer(client, payload.customer, actor)
        case = case_open(
            organisation=client.organisation,
            request=CaseRequest(
                request_type_key=payload.service,
                channel=payload.channel,
                description=payload.description,
                answers=payload.answers,
                priority=payload.priority,
                customer=customer,
                latitude=payload.latitude,
                longitude=payload.longitude,
                location_text=payload.location,
            ),
            actor=actor,
        )
        return _case_detail(case)

    return _idempotent(request, client, 201, perform)


@api.get("/cases", response={200: CaseListOut, **ERRORS}, tags=["cases"])
def cases_list(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    client = _client(request, Scope.CASES_READ)
    cases = cases_visible_to_client(client)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.service:
        cases = cases.filter(request_type__key=filters.service)
    if filters.updated_since:
        cases = cases.filter(updated_at__gte=_utc(filters.updated_since, "updated_since"))
    if filters.opened_after:
        cases = cases.filter(opened_at__gte=_utc(filters.opened_after, "opened_after"))
    if filters.opened_before:
        cases = cases.filter(opened_at__lt=_utc(filters.opened_before, "opened_before"))
    cases = cases.order_by("-opened_at", "-id")
    page = cases[filters.offset : filters.offset + filters.limit]
    return {"count": cases.count(), "items": [_case_out(case) for case in page]}


@api.get("/cases/{reference}", response={200: CaseDetailOut, **ERRORS}, tags=["cases"])
def case_detail(request: HttpRequest, reference: str) -> Any:
    client = _client(request, Scope.CASES_READ)
    return _case_detail(access_client_case(client=client, reference=reference))


@api.post("/cases/{reference}/notes", response={201: NoteCreatedOut, **ERRORS}, tags=["cases"])
def case_note(request: HttpRequest, reference: str, payload: NoteIn) -> HttpResponse:
    client = _client(request, Scope.CASES_UPDATE)

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        note = case_add_note(
            case=case,
            body=payload.body,
            visibility=NoteVisibility(payload.visibility),
            actor=Actor(label=client.actor_label),
        )
        version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
        return {"id": note.pk, "visibility": note.visibility, "case_version": version}

    return _idempotent(request, client, 201, perform)


@api.post("/cases/{reference}/status", response={200: CaseOut, **ERRORS}, tags=["cases"])
def case_status(request: HttpRequest, reference: str, payload: StatusIn) -> HttpResponse:
    client = _client(request, Scope.CASES_UPDATE)

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        moved = case_transition(
            case=case,
            to_status=payload.status,
            actor=Actor(label=client.actor_label),
            note=payload.note,
            expected_version=payload.expected_version,
        )
        return _case_out(moved)

    return _idempotent(request, client, 200, perform)


@api.post(
    "/cases/{reference}/files", response={201: FileOut, 413: Problem, **ERRORS}, tags=["cases"]
)
def case_file(request: HttpRequest, reference: str, file: File[UploadedFile]) -> HttpResponse:
    client = _client(request, Scope.CASES_UPDATE)
    if file.size is not None and file.size > MAX_DOCUMENT_BYTES:
        return problem(413, "too_large", "The file must be smaller than 10MB.")

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        attachment = case_attach(
            case=case,
            upload=Upload(name=file.name or "document", content=file.read()),
            actor=Actor(label=client.actor_label),
            public=False,
        )
        return {
            "id": attachment.pk,
            "name": attachment.original_name,
            "content_type": attachment.content_type,
            "size": attachment.size,
        }

    return _idempotent(request, client, 201, perform)


@api.post(
    "/cases/{reference}/updates",
    response={201: UpdateOut, **ERRORS},
    tags=["back-office updates"],
    summary="Record a status update or completion from a back-office system",
)
def case_update(request: HttpRequest, reference: str, payload: UpdateIn) -> HttpResponse:
    client = _client(request, Scope.CASES_UPDATE)

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        record, _ = external_update_record(
            client=client,
            case=case,
            update=ReportedUpdate(
                external_id=payload.update_id,
                status=payload.status,
                description=payload.description,
                reported_at=_utc(payload.reported_at, "reported_at"),
            ),
        )
        return {
            "update_id": record.external_id,
            "source": record.source,
            "case_reference": case.reference,
            "case_status": record.status,
            "recorded_at": record.recorded_at.isoformat(),
        }

    return _idempotent(request, client, 201, perform)


# Contacts


@api.post("/contacts", response={201: ContactOut, **ERRORS}, tags=["contacts"])
def contacts_create(request: HttpRequest, payload: ContactIn) -> HttpResponse:
    client = _client(request, Scope.CASES_CREATE)

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

    return _idempotent(request, client, 201, perform)
