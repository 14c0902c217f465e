"""Paging through a council's cases over the REST API: cursors, counts and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicdesk.api.rest import cases as cases_api
from civicdesk.cases.models import Case
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.services import api_client_create

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(council, missed_bin) -> str:
    _, key = api_client_create(organisation=council, name="Back office", scopes=[Scope.CASES_READ])
    return key


def listed(key: str, **params: object):
    return Client().get("/api/v1/cases", params, headers={"Authorization": f"Bearer {key}"})


def cases(council, missed_bin, count: int, *, same_moment: bool = False) -> list[Case]:
    start = timezone.now() - timedelta(days=30)
    made = [
        factories.CaseFactory(
            organisation=council,
            request_type=missed_bin,
            opened_at=start if same_moment else start + timedelta(minutes=number),
        )
        for number in range(count)
    ]
    return sorted(made, key=lambda case: (case.opened_at, case.pk), reverse=True)


def test_following_the_cursor_visits_every_case_once_newest_first(key, council, missed_bin):
    # Half of them opened at the same moment: the id breaks the tie, so none is lost.
    expected = cases(council, missed_bin, 7) + cases(council, missed_bin, 6, same_moment=True)
    expected.sort(key=lambda case: (case.opened_at, case.pk), reverse=True)
    seen: list[str] = []
    page = listed(key, limit=4).json()
    assert (page["count"], page["count_is_exact"]) == (13, True)
    while True:
        seen += [item["reference"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        page = listed(key, limit=4, cursor=page["next_cursor"]).json()
    assert seen == [case.reference for case in expected]


def test_a_cursor_and_a_filter_together_page_through_only_the_matches(key, council, missed_bin):
    made = cases(council, missed_bin, 6)
    Case.objects.filter(pk__in=[case.pk for case in made[::2]]).update(status="closed")
    first = listed(key, status="closed", limit=2).json()
    second = listed(key, status="closed", limit=2, cursor=first["next_cursor"]).json()
    references = [item["reference"] for item in first["items"] + second["items"]]
    assert references == [case.reference for case in made[::2]]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["not-a-cursor", "12-", "-4", "1" * 19 + "-1"])
def test_a_cursor_the_api_did_not_give_is_refused_with_a_clear_error(key, cursor):
    response = listed(key, cursor=cursor)
    assert response.status_code == 422
    assert "should match pattern" in response.json()["errors"]["query.cursor"]


def test_a_cursor_from_beyond_the_calendar_starts_from_the_newest(key, council, missed_bin):
    newest = cases(council, missed_bin, 2)[0]
    page = listed(key, limit=1, cursor="9" * 18 + "-1").json()
    assert [item["reference"] for item in page["items"]] == [newest.reference]


def test_an_offset_with_a_cursor_skips_cases_after_it(key, council, missed_bin):
    made = cases(council, missed_bin, 5)
    cursor = listed(key, limit=1).json()["next_cursor"]
    page = listed(key, cursor=cursor, offset=2, limit=10).json()
    assert [item["reference"] for item in page["items"]] == [case.reference for case in made[3:]]


def test_past_the_counting_limit_the_count_says_it_is_not_exact(
    key, council, missed_bin, monkeypatch
):
    monkeypatch.setattr(cases_api, "COUNT_LIMIT", 4)
    cases(council, missed_bin, 6)
    page = listed(key, limit=2).json()
    assert (page["count"], page["count_is_exact"]) == (4, False)
    assert listed(key, limit=2, status="new").json()["count"] <= 4


def test_the_queries_for_a_page_do_not_grow_with_the_rows_on_it(key, council, missed_bin):
    cases(council, missed_bin, 3)
    listed(key)  # The first request also notes when the key was last used.
    with CaptureQueriesContext(connection) as few:
        assert len(listed(key, limit=50).json()["items"]) == 3
    cases(council, missed_bin, 40)
    with CaptureQueriesContext(connection) as many:
        assert len(listed(key, limit=50).json()["items"]) == 43
    assert len(many) == len(few)
