"""Resident pages through Django's test client: addresses, search and feedback safety."""

from __future__ import annotations

import re

import pytest

from civicdesk.feedback.models import PageFeedback

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def council():
    council = factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    factories.RequestTypeFactory(
        organisation=council, key="missed-bin", name="Report a missed bin collection"
    )
    factories.RequestTypeFactory(organisation=council, key="pothole", name="Report a pothole")
    return council


def test_unknown_councils_and_services_are_not_found(client, council):
    assert client.get("/nowhere/").status_code == 404
    assert client.get("/wrekin/services/no-such-service/").status_code == 404
    other = factories.OrganisationFactory(slug="severn")
    factories.RequestTypeFactory(organisation=other, key="severn-only")
    assert client.get("/wrekin/services/severn-only/").status_code == 404


def result_links(page) -> list[str]:
    return re.findall(
        r'font-weight-bold" href="/wrekin/services/([a-z-]+)/"', page.content.decode()
    )


def test_search_finds_services_by_everyday_words(client, council):
    assert result_links(client.get("/wrekin/services/", {"q": "my rubbish wasn't collected"}))[
        :1
    ] == ["missed-bin"]
    page = client.get("/wrekin/services/", {"q": "hole in the road"})
    assert result_links(page)[:1] == ["pothole"]
    assert (
        "<title>Search results for hole in the road \u2013 Wrekin Council</title>"
        in page.content.decode()
    )


def test_feedback_never_redirects_off_the_site_and_stores_no_personal_details(client, council):
    response = client.post(
        "/wrekin/feedback/page",
        {"page": "https://elsewhere.example/phish", "found": "no", "comment": "email me a@b.com"},
    )
    assert (response.status_code, response["Location"]) == (302, "/wrekin/#page-feedback-heading")
    stored = PageFeedback.objects.get()
    assert stored.path == "/wrekin/"
    assert stored.comment == "email me [removed]"


def test_feedback_without_an_answer_is_a_clear_error_not_a_crash(client, council):
    response = client.post("/wrekin/feedback/page", {"page": "/wrekin/", "comment": "x" * 2000})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#found">Select yes if you found what you were looking for</a>' in html
    assert '<a href="#comment">Your comment must be 1200 characters or fewer</a>' in html
    assert "x" * 2000 in html
    assert not PageFeedback.objects.exists()


def test_null_characters_are_dropped_not_a_server_error(client, council):
    response = client.post(
        "/wrekin/feedback/page",
        {"page": "/wrekin/\x00", "found": "no", "comment": "bin\x00 not emptied"},
    )
    assert response.status_code == 302
    stored = PageFeedback.objects.get()
    assert (stored.path, stored.comment) == ("/wrekin/", "bin not emptied")
    tracked = client.post("/wrekin/track/", {"reference": "\x00", "email_or_phone": "a\x00b"})
    assert tracked.status_code == 400
    assert client.get("/wrekin/services/", {"q": "pot\x00hole"}).status_code == 200


def test_reception_staff_sign_in_through_the_workspace_sign_in(client, council):
    """Both factors and the attempt limits are the workspace's (tests/test_staff_sign_in.py)."""
    response = client.get("/wrekin/staff/sign-in/")
    assert response["Location"] == "/staff/sign-in/?next=%2Fwrekin%2Faccount%2Fassisted%2F"
    elsewhere = client.get("/wrekin/staff/sign-in/", {"next": "https://elsewhere.example/"})
    assert elsewhere["Location"] == response["Location"]
