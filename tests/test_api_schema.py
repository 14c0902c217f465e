"""The REST API against its own published OpenAPI schema, over HTTP to a live server:
every operation, with valid and with invalid data. No answer may be a server error, every
answer must be one the schema declares, in the shape it declares, what the schema calls
invalid must be refused and what it calls valid must not be refused as invalid.

How many examples each operation gets is ``API_SCHEMA_EXAMPLES`` (25 unless set; ``.ci/run``
sets more for the PostgreSQL run). The summary at the end of the run says how many requests
were generated in all."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from civicdesk.api.rest import api
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.core.audit import Actor
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import ApiClient
from civicdesk.integrations.services import api_client_create

from . import factories

EXAMPLES_PER_OPERATION = int(os.environ.get("API_SCHEMA_EXAMPLES", "25"))
DOCUMENT = api.get_openapi_schema()
OPERATIONS = [
    (method.upper(), path) for path, methods in DOCUMENT["paths"].items() for method in methods
]


def _can_be_invalid(method: str, path: str) -> bool:
    """Whether the schema calls any request to the operation invalid (the API key is sent with
    every request, not generated): a body, or a parameter that is not just any text."""
    operation = DOCUMENT["paths"][path][method.lower()]
    return "requestBody" in operation or any(
        {key: value for key, value in parameter["schema"].items() if key != "title"}
        != {"type": "string"}
        for parameter in operation.get("parameters", ())
    )


CASES = [
    pytest.param(method, path, mode, id=f"{method}-{path}-{mode}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or _can_be_invalid(method, path)
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Where a valid request may still be refused as invalid, for reasons no schema can say: whether
# a customer's email address and phone number are ones we can reach and the answers suit the
# service's questions, and whether a file is one a case may hold.
NO_POSITIVE_DATA_ACCEPTANCE = {
    ("POST", "/api/v1/cases"),
    ("POST", "/api/v1/cases/{reference}/files"),
}


def _valid_data_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """Valid data is not refused as invalid, except for the one refusal the schema describes
    that no generator can avoid: an Idempotency-Key already used for a different request."""
    if response.status_code == 422 and _problem_code(response) == "idempotency_key_reused":
        return None
    return positive_data_acceptance(ctx, response, case)


def _problem_code(response: Any) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return None


@pytest.fixture
def api_key(transactional_db, council, missed_bin) -> str:
    factories.RequestTypeFactory(organisation=council, key="hidden", sensitive=True)
    client, key = api_client_create(
        organisation=council,
        name="Fuzzer",
        scopes=[Scope.CASES_READ, Scope.CASES_CREATE, Scope.CASES_UPDATE],
    )
    ApiClient.objects.filter(pk=client.pk).update(requests_per_minute=100_000)
    return key


@pytest.fixture
def references(api_key, council) -> list[str]:
    """Cases the generated requests may name, so that valid data reaches the work itself rather
    than stopping at "not found"."""
    return [
        case_open(
            organisation=council,
            request=CaseRequest(
                request_type_key="missed-bin", channel="web", answers={"bin": "Recycling"}
            ),
            actor=Actor(label="test"),
        ).reference
        for _ in range(2)
    ]


def test_every_operation_is_covered():
    assert len(OPERATIONS) == 10
    # Any text names a service or a case: nothing sent to these can break the schema.
    assert {(method, path) for method, path in OPERATIONS if not _can_be_invalid(method, path)} == {
        ("GET", "/api/v1/services"),
        ("GET", "/api/v1/services/{key}"),
        ("GET", "/api/v1/cases/{reference}"),
    }


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_the_operation_keeps_to_the_schema(
    live_server, api_key, references, record_property, method, path, mode
):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    # The key is sent with every request, so the Authorization header is not generated.
    schema.config.generation.update(with_security_parameters=False)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {api_key}"}
    positive = mode == GenerationMode.POSITIVE
    checks = list(CHECKS)
    if positive and (method, path) not in NO_POSITIVE_DATA_ACCEPTANCE:
        checks.append(_valid_data_accepted)
    made = 0

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        existing=st.sampled_from([None, *references]),
    )
    def check(case: schemathesis.Case, existing: str | None) -> None:
        nonlocal made
        made += 1
        # A valid request naming a case that exists stays valid. An invalid one is left as
        # generated, so whatever made it invalid is still there.
        if positive and existing is not None:
            if case.path_parameters and "reference" in case.path_parameters:
                case.path_parameters["reference"] = existing
            if isinstance(case.body, dict) and case.body.get("case_reference") is not None:
                case.body["case_reference"] = existing
        case.call_and_validate(base_url=live_server.url, headers=headers, checks=checks)

    try:
        check()
    finally:
        record_property("schemathesis_cases", made)
