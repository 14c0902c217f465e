"""Residents rating a request and answering a survey at a place, in a real browser with and
without JavaScript: the pages work and axe-core finds no WCAG 2.2 AA problems."""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicdesk.feedback.models import ContactRating, MicroSurveyAnswer
from civicdesk.feedback.services import micro_survey_create, rating_link_path

from .. import factories
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rating_a_finished_request(page, live_server, council, missed_bin):
    case = factories.CaseFactory(
        organisation=council,
        request_type=missed_bin,
        channel="phone",
        status="resolved",
        resolved_at=timezone.now(),
    )
    problems = {}
    page.goto(f"{live_server.url}{rating_link_path(case)}")
    problems["rate"] = axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert page.locator(".govuk-error-summary").count() == 1
    problems["rate, error"] = axe_violations(page)
    # The error summary's link takes the resident to the first choice.
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("document.activeElement.name") == "rating"
    page.get_by_label("Good").check()
    page.get_by_label("Friendliness").check()
    page.get_by_label("Tell us more (optional)").fill("Very friendly and quick")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", name="Thank you").is_visible()
    problems["thanks"] = axe_violations(page)
    assert problems == {"rate": [], "rate, error": [], "thanks": []}
    rating = ContactRating.objects.get()
    assert (rating.rating, rating.friendliness, rating.speed) == ("good", True, False)


def test_a_survey_at_a_place_without_javascript(
    page_without_javascript, axe_of, live_server, council
):
    page = page_without_javascript
    survey = micro_survey_create(
        organisation=council, place="Town Park", question="How was the park today?"
    )
    page.goto(f"{live_server.url}/{council.slug}/feedback/place/{survey.code}/")
    problems = {"place": axe_of(page)}
    assert page.get_by_role("heading", name="How was the park today?").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    problems["place, error"] = axe_of(page)
    page.get_by_label("Average").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert "Thank you" in page.content()
    # The same phone a second time is thanked but not counted again.
    page.goto(f"{live_server.url}/{council.slug}/feedback/place/{survey.code}/")
    page.get_by_label("Good").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert "You have already answered this survey today" in page.content()
    assert problems == {"place": [], "place, error": []}
    assert list(MicroSurveyAnswer.objects.values_list("rating", flat=True)) == ["average"]
