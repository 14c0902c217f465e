"""The insight and assistant staff pages given odd input, like the workspace's own pages
(test_workspace_odd_input): empty, huge, non-ASCII digits such as '²', over-long numbers, NUL
and non-UTF-8 values, in the query string and in a form post. Never a server error."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse

from civicdesk.feedback.services import micro_survey_create
from civicdesk.organisations.choices import Role

from . import factories
from .test_workspace_odd_input import odd_bodies

pytestmark = pytest.mark.django_db


def staff_url_names(namespace: str, prefix: str = "") -> list[str]:
    group = next(
        pattern
        for pattern in get_resolver().url_patterns
        if getattr(pattern, "namespace", None) == namespace
    )
    return [
        pattern.name
        for pattern in group.url_patterns
        if isinstance(pattern, URLPattern) and pattern.name and pattern.name.startswith(prefix)
    ]


def test_no_insight_or_assistant_staff_page_fails_on_odd_input(staff_client, council, missed_bin):
    manager = factories.StaffFactory(organisation=council, role=Role.MANAGER)
    survey = micro_survey_create(organisation=council, place="Town Park", question="How was it?")
    kwargs = {
        "export": {"key": "contacts-by-channel"},
        "theme": {"number": "1"},
        "place": {"survey_id": str(survey.pk)},
        "place-active": {"survey_id": str(survey.pk)},
        "place-export": {"survey_id": str(survey.pk)},
        "place-poster": {"survey_id": str(survey.pk), "kind": "svg"},
        "survey-import": {"round_id": "1"},
        "staff-article": {"article": "1"},
        "staff-article-move": {"article": "1"},
        "staff-conversation": {"conversation": "1"},
    }
    names = [f"insight:{name}" for name in staff_url_names("insight")]
    names += [f"assistant:{name}" for name in staff_url_names("assistant", "staff-")]
    client = staff_client(manager)
    failures = []
    for name in names:
        url = reverse(name, kwargs=kwargs.get(name.split(":")[1], {}))
        for body in odd_bodies():
            for response in (
                client.get(f"{url}?{body.decode()}"),
                client.post(url, body, content_type="application/x-www-form-urlencoded"),
            ):
                if response.status_code >= 500:
                    failures.append(f"{response.request['REQUEST_METHOD']} {url}: {body[:40]!r}")
    assert len(names) > 10
    assert not failures, "\n".join(failures)
