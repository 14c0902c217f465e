"""REST API v1 for councils' apps, contractors' job systems and the contact centre.

Every call names an API client by its key (``Authorization: Bearer <key>``). Every POST may
carry an ``Idempotency-Key``: the same key and body replays the stored response. Errors are
RFC 9457 problem details with a ``code``.

One router per resource: ``catalogue`` (the services), ``cases``, ``updates`` (back-office
updates on cases) and ``contacts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from civicdesk.core.errors import DomainError
from civicdesk.integrations.services import api_client_authenticate

from ..problems import RateLimited, problem, problem_from, rate_limit_check, rate_limited
from . import cases, catalogue, contacts, updates
from .calls import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN

if TYPE_CHECKING:
    from ninja.operation import Operation

    from civicdesk.integrations.models import ApiClient

# The ids published while the whole API was one module, rest.py; clients generated from the
# schema name their methods after them, so they do not follow the views into their modules.
OPERATION_ID_PREFIX = "civicdesk_api_rest_"


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
        "Any string of your own, 1 to 200 printable ASCII characters without spaces. The same "
        "key and request again return the first response; the same key with a different "
        "request is refused (422), and so is a key that is not 1 to 200 such characters."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
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

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return OPERATION_ID_PREFIX + operation.view_func.__name__


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
api.add_router("/services", catalogue.router)
api.add_router("/cases", cases.router)
api.add_router("/cases", updates.router)
api.add_router("/contacts", contacts.router)


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
