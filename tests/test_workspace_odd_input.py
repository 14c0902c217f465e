"""Every workspace page given odd input: empty, huge, wrong-type and non-UTF-8 values, wrong
methods and odd IDs. A member of staff always gets a page that explains, never a server error.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest
from django.urls import reverse

from .test_workspace_permissions import visits, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

FIELDS = [
    "area",
    "assisted",
    "body",
    "case",
    "channel",
    "close",
    "code",
    "comments",
    "description",
    "due",
    "duplicate",
    "email",
    "learning",
    "next",
    "note",
    "officer",
    "original",
    "outcome",
    "page",
    "password",
    "priority",
    "public",
    "q",
    "reason",
    "reasons",
    "reference",
    "remedy",
    "response",
    "return_to",
    "service",
    "service_area",
    "signposted_to",
    "status",
    "summary",
    "support",
    "take",
    "team",
    "username",
    "version",
    "visibility",
    "stage",
    "outcome_detail",
]
ODD_VALUES = ["", "x" * 20_000, "²", "99999999999999999999999", "\x00"]
NON_UTF8 = b"\xff\xfe\xc3"


def odd_bodies() -> list[bytes]:
    bodies = []
    for value in ODD_VALUES:
        encoded = quote_from_bytes(value.encode())
        bodies.append("&".join(f"{field}={encoded}" for field in FIELDS).encode())
    bodies.append("&".join(f"{field}={quote_from_bytes(NON_UTF8)}" for field in FIELDS).encode())
    return bodies


@pytest.mark.parametrize("role", ["housing_officer", "team_lead"])
def test_no_workspace_page_fails_on_odd_input(staff_client, world, role):  # noqa: F811
    client = staff_client(world["staff"][role])
    failures = []
    for visit in visits(world):
        if visit.name in ("sign-out", "sign-in", "sign-in-code", "sign-in-set-up"):
            continue
        url = reverse(f"workspace:{visit.name}", kwargs=visit.kwargs)
        for body in odd_bodies():
            for method in ("get", "post"):
                if method == "get":
                    response = client.get(f"{url}?{body.decode()}")
                else:
                    response = client.post(
                        url, body, content_type="application/x-www-form-urlencoded"
                    )
                if response.status_code >= 500:
                    failures.append(f"{method} {url} {body[:60]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


ODD_PATHS = [
    "/staff/customers/99999999999999999999999/",
    "/staff/customers/99999999999999999999999/contacts/new/",
    "/staff/messages/99999999999999999999999/",
    "/staff/quality/contacts/99999999999999999999999/",
    "/staff/quality/assessments/99999999999999999999999/",
    "/staff/cases/%FF%FE/",
    f"/staff/cases/{'A' * 5000}/",
    "/staff/complaints/%00/",
]


def test_odd_record_ids_in_the_address_are_not_found(staff_client, world):  # noqa: F811
    client = staff_client(world["staff"]["team_lead"])
    statuses = {path: client.get(path).status_code for path in ODD_PATHS}
    assert statuses == dict.fromkeys(ODD_PATHS, 404)
