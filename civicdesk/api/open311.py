"""Open311 GeoReport v2 at /open311/v2/, in XML and JSON, with mySociety's update extensions.

Written for the clients councils meet, FixMyStreet first: it speaks XML, sends
``jurisdiction_id`` on every call, the ``api_key`` as a form field when posting and in the
query string when fetching updates (but not when fetching requests or polling tokens, which
the spec lets anyone read), repeated keys for several values, CRLF newlines, and polls tokens.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from civicdesk.cases.selectors import public_notes_by_id
from civicdesk.catalogue.choices import QuestionKind
from civicdesk.core.calendar import iso_time_utc
from civicdesk.core.errors import DomainError, NotFound, NotPermitted, TryAgain
from civicdesk.core.references import reference_normalise
from civicdesk.integrations.choices import Scope, TokenStatus
from civicdesk.integrations.open311 import (
    CORE_STATUS,
    EXTENDED_STATUS,
    Submission,
    jurisdiction_get,
    open311_case_open,
    open311_questions,
    open311_service,
    open311_services,
    open311_token_accept,
    token_get,
)
from civicdesk.integrations.selectors import (
    SharedRequest,
    access_client_case,
    access_shared_case,
    case_events_for_client,
    cases_shared_with_clients,
    cases_visible_to_client,
    shared_requests,
)
from civicdesk.integrations.services import (
    ReportedUpdate,
    api_client_authenticate,
    api_client_check_scope,
    external_update_record,
)

from .problems import RateLimited, rate_limit_check

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.catalogue.models import RequestType
    from civicdesk.integrations.models import ApiClient, Open311Jurisdiction

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
MAX_TEXT = 10000

# The element each list's items are written as in XML.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_requests_updates": "request_update",
    "service_request_updates": "request_update",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# What XML 1.0 cannot carry even escaped: control characters other than tab and newlines,
# lone surrogates, U+FFFE and U+FFFF. One in any case's words would make a whole list unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return _xml_safe(str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list):
        for item in value:
            _append(element, ITEM_NAMES.get(name, "item"), item)
    else:
        element.text = _xml_value(value)


def render(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    """``data`` as JSON, or as XML under ``root`` (a list becomes repeated child elements)."""
    if fmt == "json":
        return HttpResponse(
            json.dumps(data), status=status, content_type="application/json; charset=utf-8"
        )
    element = ET.Element(root)
    items = data if isinstance(data, list) else None
    if items is not None:
        for item in items:
            _append(element, ITEM_NAMES.get(root, "item"), item)
    else:
        for key, value in data.items():
            _append(element, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def open311_view(methods: list[str]):  # type: ignore[no-untyped-def]
    """Each Open311 view: the format checked, errors in the spec's own format."""

    def wrap(view):  # type: ignore[no-untyped-def]
        @csrf_exempt
        @require_http_methods(methods)
        def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, fmt, **kwargs)
            except Open311Error as error:
                return _error(fmt, error.status, error.description)
            except RateLimited as limited:
                response = _error(fmt, 429, "Too many requests with this api_key; wait.")
                response["Retry-After"] = str(limited.retry_after)
                return response
            except NotFound as error:
                return _error(fmt, 404, error.message)
            except NotPermitted as error:
                return _error(fmt, 403, error.message)
            except TryAgain as error:
                response = _error(fmt, 503, error.message)
                response["Retry-After"] = str(error.retry_after_seconds)
                return response
            except DomainError as error:
                detail = "; ".join(f"{name}: {text}" for name, text in error.fields.items())
                return _error(fmt, 400, f"{error.message} {detail}".strip())

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return wrap


def _params(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _one(params: QueryDict, name: str) -> str:
    return _text(params, name).strip()


def _text(params: QueryDict, name: str) -> str:
    """A value as sent, less what XML cannot carry, so that it can be read back."""
    return _xml_safe(params.get(name) or "")


def _many(params: QueryDict, name: str) -> list[str]:
    """Repeated keys (FixMyStreet) or one comma-separated value (the spec's examples)."""
    values: list[str] = []
    for raw in params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def _jurisdiction(request: HttpRequest) -> Open311Jurisdiction:
    jurisdiction_id = _one(_params(request), "jurisdiction_id")
    if not jurisdiction_id:
        raise Open311Error(400, "jurisdiction_id was not provided")
    return jurisdiction_get(jurisdiction_id)


def _client(request: HttpRequest, jurisdiction: Open311Jurisdiction) -> ApiClient:
    key = _one(_params(request), "api_key")
    if not key:
        raise Open311Error(403, "api_key was not provided")
    try:
        client = api_client_authenticate(key)
        api_client_check_scope(client, Scope.OPEN311)
    except DomainError:
        raise Open311Error(403, "api_key is not valid") from None
    if client.organisation_id != jurisdiction.organisation_id:
        raise Open311Error(403, "api_key is not valid for this jurisdiction_id")
    rate_limit_check(client)
    return client


def _check_optional_key(request: HttpRequest, jurisdiction: Open311Jurisdiction) -> None:
    """Reading requests or polling a token needs no key: the spec asks none, and FixMyStreet
    sends none. A key that is sent must still be a good one, and counts against its limit."""
    if _one(request.GET, "api_key"):
        _client(request, jurisdiction)


def _time(moment: datetime | None, zone: tzinfo | None = None) -> str | None:
    """The moment in the council's time, to the second. A list passes the ``zone`` it read
    once: finding the current zone costs more than the conversion, a thousand rows over."""
    if moment is None:
        return None
    return moment.astimezone(zone or timezone.get_current_timezone()).isoformat(timespec="seconds")


def _parse_time(params: QueryDict, name: str) -> datetime | None:
    text = _one(params, name)
    if not text:
        return None
    # A "+" in a query string arrives as a space.
    moment = iso_time_utc(text.replace(" ", "+"))
    if moment is None:
        raise Open311Error(400, f"{name} must be a W3C date and time, like 2026-11-23T09:00:00Z")
    return moment


# Discovery and services


@open311_view(["GET"])
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("open311-root"))
    return render(
        fmt,
        "discovery",
        {
            "changeset": "2026-11-23T00:00:00Z",
            "contact": "Ask the council that gave you your api_key.",
            "key_service": "Keys are issued by each council's administrators.",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url.rstrip("/"),
                    "changeset": "2026-11-23T00:00:00Z",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


def _service_row(request_type: RequestType, batch: bool) -> dict[str, Any]:
    return {
        "service_code": request_type.key,
        "service_name": request_type.name,
        "description": request_type.description,
        "metadata": bool(open311_questions(request_type)),
        "type": "batch" if batch else "realtime",
        "keywords": request_type.service_area.slug,
        "group": request_type.service_area.name,
    }


@open311_view(["GET"])
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    rows = [
        _service_row(request_type, jurisdiction.batch_intake)
        for request_type in open311_services(jurisdiction.organisation_id)
    ]
    return render(fmt, "services", rows)


_DATATYPES = {
    QuestionKind.TEXT: "text",
    QuestionKind.NUMBER: "number",
    QuestionKind.DATE: "datetime",
    QuestionKind.CHOICE: "singlevaluelist",
}


@open311_view(["GET"])
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    request_type = open311_service(jurisdiction.organisation_id, service_code)
    attributes = []
    for order, question in enumerate(open311_questions(request_type), start=1):
        attribute: dict[str, Any] = {
            "variable": True,
            "code": question.key,
            "datatype": _DATATYPES[QuestionKind(question.kind)],
            "required": question.required,
            "datatype_description": question.hint,
            "order": order,
            "description": question.label,
        }
        if question.kind == QuestionKind.CHOICE:
            attribute["values"] = [
                {"key": str(choice), "name": str(choice)} for choice in question.choices
            ]
        attributes.append(attribute)
    return render(
        fmt, "service_definition", {"service_code": request_type.key, "attributes": attributes}
    )


# Requests


def _coordinate(params: QueryDict, name: str, limit: float) -> float | None:
    text = _one(params, name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{name} is out of range")
    return round(value, 6)


def _submission(params: QueryDict) -> Submission:
    service_code = _one(params, "service_code")
    if not service_code:
        raise Open311Error(400, "service_code was not provided")
    lat, long = _coordinate(params, "lat", 90), _coordinate(params, "long", 180)
    if (lat is None) != (long is None):
        raise Open311Error(400, "Send both lat and long, or neither")
    attributes: dict[str, list[str]] = {}
    for name in params:
        if name.startswith("attribute[") and name.endswith("]"):
            attributes[name[len("attribute[") : -1]] = [
                _xml_safe(value).strip() for value in params.getlist(name)
            ]
    description = _text(params, "description")
    if len(description) > MAX_TEXT:
        raise Open311Error(400, f"description must be {MAX_TEXT} characters or fewer")
    return Submission(
        service_code=service_code,
        lat=lat,
        long=long,
        address_string=_one(params, "address_string")[:300],
        description=description,
        email=_one(params, "email")[:254],
        phone=_one(params, "phone")[:40],
        first_name=_one(params, "first_name"),
        last_name=_one(params, "last_name"),
        media_url=_one(params, "media_url")[:500],
        attributes=attributes,
    )


def _request_rows(cases: QuerySet[Case]) -> list[dict[str, Any]]:
    """Requests as the spec describes them, each with its newest public note as its
    status_notes, all read in one query. The reporter's email and phone are never given, nor
    any typed into the words: descriptions and notes are read as stored for outside systems,
    filtered when they were written (``cases.public_words``)."""
    zone = timezone.get_current_timezone()
    return [_request_row(shared, zone) for shared in shared_requests(cases)]


def _request_row(shared: SharedRequest, zone: tzinfo) -> dict[str, Any]:
    return {
        "service_request_id": shared.reference,
        "status": CORE_STATUS[shared.status],
        "status_notes": shared.public_note or "",
        "service_name": shared.service_name,
        "service_code": shared.service_code,
        "description": shared.public_description,
        "agency_responsible": shared.team_name or shared.organisation_name,
        "service_notice": shared.target_summary,
        "requested_datetime": _time(shared.opened_at, zone),
        "updated_datetime": _time(shared.updated_at, zone),
        "expected_datetime": _time(shared.due_at, zone),
        "address": shared.location_text,
        "address_id": "",
        "zipcode": "",
        "lat": shared.latitude,
        "long": shared.longitude,
        "media_url": "",
    }


@open311_view(["GET", "POST"])
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    if request.method == "POST":
        client = _client(request, jurisdiction)
        return _create(fmt, client, jurisdiction, _submission(request.POST))
    _check_optional_key(request, jurisdiction)
    found = _found(request, jurisdiction.organisation_id)
    return render(fmt, "service_requests", _request_rows(found))


def _create(
    fmt: str, client: ApiClient, jurisdiction: Open311Jurisdiction, submission: Submission
) -> HttpResponse:
    if jurisdiction.batch_intake:
        token = open311_token_accept(client=client, submission=submission)
        return render(fmt, "service_requests", [{"token": token.token}])
    case = open311_case_open(client=client, submission=submission)
    row = {"service_request_id": case.reference, "service_notice": case.target_summary}
    return render(fmt, "service_requests", [row])


def _found(request: HttpRequest, organisation_id: int) -> QuerySet[Case]:
    params = request.GET
    cases = cases_shared_with_clients(organisation_id)
    ids = _many(params, "service_request_id")
    if ids:
        # Asked for by id: the other filters are ignored, as the spec says.
        references = [reference_normalise(value) for value in ids]
        return cases.filter(reference__in=[r for r in references if r])[:MAX_REQUESTS]
    codes = _many(params, "service_code")
    if codes:
        cases = cases.filter(request_type__key__in=codes)
    statuses = _many(params, "status")
    if statuses:
        unknown = [status for status in statuses if status not in ("open", "closed")]
        if unknown:
            raise Open311Error(400, "status must be open or closed")
        wanted = [state for state, core in CORE_STATUS.items() if core in statuses]
        cases = cases.filter(status__in=wanted)
    start, end = _parse_time(params, "start_date"), _parse_time(params, "end_date")
    if start is None and end is None:
        start = timezone.now() - DEFAULT_WINDOW
    if start is not None:
        cases = cases.filter(opened_at__gte=start)
    if end is not None:
        cases = cases.filter(opened_at__lte=end)
    limit = MAX_REQUESTS
    if _one(params, "limit"):
        try:
            limit = max(1, min(int(_one(params, "limit")), MAX_REQUESTS))
        except ValueError:
            raise Open311Error(400, "limit must be a whole number") from None
    return cases.order_by("-opened_at", "-id")[:limit]


@open311_view(["GET"])
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    _check_optional_key(request, jurisdiction)
    case = access_shared_case(
        organisation_id=jurisdiction.organisation_id, reference=service_request_id
    )
    shared = cases_shared_with_clients(jurisdiction.organisation_id).filter(pk=case.pk)
    return render(fmt, "service_requests", _request_rows(shared))


@open311_view(["GET"])
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    _check_optional_key(request, jurisdiction)
    found = token_get(organisation_id=jurisdiction.organisation_id, token=token)
    if found.status == TokenStatus.REFUSED:
        raise Open311Error(400, f"The request was refused: {found.problem}")
    row: dict[str, Any] = {"token": found.token}
    if found.case is not None:
        row = {"service_request_id": found.case.reference, "token": found.token}
    return render(fmt, "service_requests", [row])


# mySociety's update extensions


@open311_view(["GET", "POST"])
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    client = _client(request, jurisdiction)
    if request.method == "POST":
        return _receive_update(fmt, client, request.POST)
    return render(fmt, "service_requests_updates", _updates_since(request, client))


def _updates_since(request: HttpRequest, client: ApiClient) -> list[dict[str, Any]]:
    """Status changes (assignment moving a new or reopened case on among them) and public
    updates on the client's visible cases, oldest first; the client's own updates are not sent
    back to it."""
    start = _parse_time(request.GET, "start_date") or timezone.now() - timedelta(days=1)
    end = _parse_time(request.GET, "end_date") or timezone.now()
    events = case_events_for_client(client=client, start=start, end=end, limit=MAX_REQUESTS)
    cases = cases_visible_to_client(client).in_bulk({event.subject_id for event in events})
    notes = public_notes_by_id(
        note_ids=(int(event.after["note_id"]) for event in events if event.action == "note_added")
    )
    rows = []
    for event in events:
        case = cases.get(event.subject_id)
        if case is None:
            continue
        if event.action == "assigned" and event.before.get("status") == event.after.get("status"):
            continue  # only a new team or officer: no change of status to show
        if event.action == "note_added":
            note = notes.get(int(event.after["note_id"]))
            if note is None:
                continue
            status, description = EXTENDED_STATUS[case.status], note.public_body
        else:
            status, description = EXTENDED_STATUS[event.after.get("status", case.status)], ""
        rows.append(
            {
                "update_id": str(event.pk),
                "service_request_id": case.reference,
                "status": status,
                "updated_datetime": _time(event.at),
                "description": description,
                "media_url": "",
            }
        )
    return rows


def _receive_update(fmt: str, client: ApiClient, params: QueryDict) -> HttpResponse:
    service_request_id = _one(params, "service_request_id")
    if not service_request_id:
        raise Open311Error(400, "service_request_id was not provided")
    # FixMyStreet names its own id update_id_ext when the council has extended updates on.
    update_id = _one(params, "update_id") or _one(params, "update_id_ext")
    if not update_id:
        raise Open311Error(400, "update_id was not provided")
    description = _text(params, "description")
    if len(description) > MAX_TEXT:
        raise Open311Error(400, f"description must be {MAX_TEXT} characters or fewer")
    case = access_client_case(client=client, reference=service_request_id)
    record, _ = external_update_record(
        client=client,
        case=case,
        update=ReportedUpdate(
            external_id=update_id,
            status=_one(params, "status").lower(),
            description=description.replace("\r\n", "\n"),
            reported_at=_parse_time(params, "updated_datetime"),
        ),
    )
    return render(fmt, "service_request_updates", [{"update_id": f"u{record.pk}"}])
