"""Cases: opening them, finding and reading them, and adding notes, status changes and files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from civicdesk.cases.attachments import case_attach
from civicdesk.cases.choices import CaseStatus, NoteVisibility
from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload
from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open, case_transition
from civicdesk.cases.selectors import case_timeline, case_timeline_as_opened, case_version
from civicdesk.core.audit import Actor
from civicdesk.core.errors import NotFound
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.selectors import (
    access_client_case,
    cases_visible_to_client,
    service_hidden_from_clients,
)
from civicdesk.integrations.services import reporter_create

from ..problems import problem
from .calls import as_utc, client_with_scope, idempotent_response
from .schemas import (
    ERRORS,
    NOT_BLANK,
    NOT_TRUE_OR_FALSE,
    DateTime,
    InputSchema,
    Problem,
    document_no_nul,
    text_required,
)

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.customers.models import Customer
    from civicdesk.integrations.models import ApiClient

router = Router()

# Counting every matching case of a large council costs more than the page itself.
COUNT_LIMIT = 10_000
# A page's last case: its opening time in microseconds since 1970, and its id.
CURSOR_PATTERN = r"^[0-9]{1,18}-[0-9]{1,18}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    count: int = Field(
        description=f"How many cases match, counted exactly up to {COUNT_LIMIT:,}; past that "
        f"the count is {COUNT_LIMIT:,} and count_is_exact is false."
    )
    count_is_exact: bool
    next_cursor: str | None = Field(
        description="Pass as cursor to get the next page; null on the last page."
    )
    items: list[CaseOut]


class CaseFilters(InputSchema):
    status: Literal[tuple(CaseStatus.values)] | None = None  # type: ignore[valid-type]
    service: str | None = Field(None, max_length=50)
    updated_since: DateTime | None = None
    opened_after: DateTime | None = None
    opened_before: DateTime | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="Skip this many cases. Deep pages are slow: use cursor instead.",
    )
    cursor: str | None = Field(
        None,
        pattern=CURSOR_PATTERN,
        description="The next_cursor of the page before: the page after it, as fast at any "
        "depth. An offset given as well skips that many cases after the cursor.",
    )


class NoteIn(InputSchema):
    body: str = Field(..., min_length=1, max_length=10000, json_schema_extra={"pattern": NOT_BLANK})
    visibility: Literal["internal", "public"] = "internal"


class NoteCreatedOut(Schema):
    id: int
    visibility: str
    case_version: int


def _waiting_needs_a_note(schema: dict[str, Any]) -> None:
    document_no_nul(schema)
    schema["anyOf"] = [
        {"properties": {"status": {"not": {"const": CaseStatus.WAITING.value}}}},
        {"required": ["note"], "properties": {"note": {"pattern": NOT_BLANK}}},
    ]
    schema["description"] = "Waiting for the customer needs a note of what we need from them."


class StatusIn(InputSchema):
    model_config = ConfigDict(json_schema_extra=_waiting_needs_a_note)

    status: Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]
    note: str = Field("", max_length=10000)
    expected_version: Annotated[int, Field(ge=1), NOT_TRUE_OR_FALSE] | None = None


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


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


def _case_detail(case: Case, *, just_opened: bool = False) -> dict[str, Any]:
    """The case with what its customer may see of its history: staff's internal notes stay
    with staff, whatever system asks. A case this request opened answers from what opening
    it wrote."""
    timeline = (
        case_timeline_as_opened(case)
        if just_opened
        else case_timeline(case, include_internal=False)
    )
    return {
        **_case_out(case),
        "answers": case.answers,
        "timeline": [
            {"at": entry.at, "kind": entry.kind, "summary": entry.summary, "by": entry.actor}
            for entry in timeline
        ],
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


@router.post("", response={201: CaseDetailOut, **ERRORS}, tags=["cases"])
def cases_create(request: HttpRequest, payload: CaseIn) -> HttpResponse:
    client = client_with_scope(request, Scope.CASES_CREATE)
    actor = Actor(label=client.actor_label)

    def perform() -> dict[str, Any]:
        if service_hidden_from_clients(organisation_id=client.organisation_id, key=payload.service):
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
        return _case_detail(case, just_opened=True)

    return idempotent_response(request, client, 201, perform)


@router.get("", response={200: CaseListOut, **ERRORS}, tags=["cases"])
def cases_list(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    client = client_with_scope(request, Scope.CASES_READ)
    cases = cases_visible_to_client(client)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.service:
        cases = cases.filter(request_type__key=filters.service)
    if filters.updated_since:
        cases = cases.filter(updated_at__gte=as_utc(filters.updated_since))
    if filters.opened_after:
        cases = cases.filter(opened_at__gte=as_utc(filters.opened_after))
    if filters.opened_before:
        cases = cases.filter(opened_at__lt=as_utc(filters.opened_before))
    counted = cases[: COUNT_LIMIT + 1].count()
    if filters.cursor:
        opened_at, last_id = _cursor_read(filters.cursor)
        # The first condition alone lets the database walk the index from the cursor on.
        cases = cases.filter(opened_at__lte=opened_at).filter(
            Q(opened_at__lt=opened_at) | Q(opened_at=opened_at, id__lt=last_id)
        )
    cases = cases.order_by("-opened_at", "-id")
    page = list(cases[filters.offset : filters.offset + filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "count": min(counted, COUNT_LIMIT),
        "count_is_exact": counted <= COUNT_LIMIT,
        "next_cursor": _cursor_after(page[-1]) if more else None,
        "items": [_case_out(case) for case in page],
    }


def _cursor_after(case: Case) -> str:
    """Where the next page starts: the last case's opening time (microseconds since 1970) and
    id. Neither is secret: a client sees both on the case anyway."""
    return f"{(case.opened_at - EPOCH) // timedelta(microseconds=1)}-{case.pk}"


def _cursor_read(cursor: str) -> tuple[datetime, int]:
    """Every cursor the schema allows means a place in the list: a time past the calendar's
    end is the end of time, so the page starts from the newest case."""
    micros, _, number = cursor.partition("-")
    try:
        opened_at = EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        opened_at = datetime.max.replace(tzinfo=UTC)
    return opened_at, int(number)


@router.get("/{reference}", response={200: CaseDetailOut, **ERRORS}, tags=["cases"])
def case_detail(request: HttpRequest, reference: str) -> Any:
    client = client_with_scope(request, Scope.CASES_READ)
    return _case_detail(access_client_case(client=client, reference=reference))


@router.post("/{reference}/notes", response={201: NoteCreatedOut, **ERRORS}, tags=["cases"])
def case_note(request: HttpRequest, reference: str, payload: NoteIn) -> HttpResponse:
    client = client_with_scope(request, Scope.CASES_UPDATE)
    text_required(payload.body, field="body", message="Enter the note.", hint="Enter the note")

    def perform() -> dict[str, Any]:
        case = access_client_case(client=client, reference=reference)
        note = case_add_note(
            case=case,
            body=payload.body,
            visibility=NoteVisibility(payload.visibility),
            actor=Actor(label=client.actor_label),
        )
        version = case_version(case_id=case.pk)
        return {"id": note.pk, "visibility": note.visibility, "case_version": version}

    return idempotent_response(request, client, 201, perform)


@router.post("/{reference}/status", response={200: CaseOut, **ERRORS}, tags=["cases"])
def case_status(request: HttpRequest, reference: str, payload: StatusIn) -> HttpResponse:
    client = client_with_scope(request, Scope.CASES_UPDATE)
    if payload.status == CaseStatus.WAITING:
        text_required(
            payload.note,
            field="note",
            message="Say what you need from the customer.",
            hint="Enter what you need",
        )

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

    return idempotent_response(request, client, 200, perform)


@router.post("/{reference}/files", response={201: FileOut, 413: Problem, **ERRORS}, tags=["cases"])
def case_file(request: HttpRequest, reference: str, file: File[UploadedFile]) -> HttpResponse:
    client = client_with_scope(request, Scope.CASES_UPDATE)
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

    # A retry must not store the file again only to roll its row back.
    return idempotent_response(request, client, 201, perform, check_first=True)
