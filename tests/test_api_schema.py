"""The REST API against its own published OpenAPI schema, over HTTP to a live server:
every operation, with valid and with invalid data. No answer may be a server error, and every
answer must be one the schema declares, in the shape it declares."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from civicdesk.api.rest import api
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import ApiClient
from civicdesk.integrations.services import api_client_create

from . import factories

EXAMPLES_PER_OPERATION = 12
OPERATIONS = [
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


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


def test_every_operation_is_covered():
    assert len(OPERATIONS) == 10


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_operation_keeps_to_the_schema(live_server, api_key, method, path, mode):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {api_key}"}

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

    check()
