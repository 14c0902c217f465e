"""Residents rating a finished request and answering a survey at a place, through the pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Case
from civicdesk.core.errors import ValidationFailed
from civicdesk.feedback.models import ContactRating, MicroSurveyAnswer
from civicdesk.feedback.selectors import rating_link_if_wanted
from civicdesk.feedback.services import (
    ADDRESS_LIMIT_PER_HOUR,
    micro_survey_create,
    rating_invitations_send,
    rating_link_path,
)
from civicdesk.notifications.models import OutboxMessage

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_case(council, missed_bin, resident):
    return factories.CaseFactory(
        organisation=council,
        request_type=missed_bin,
        customer=resident,
        channel="phone",
        status=CaseStatus.RESOLVED,
        resolved_at=timezone.now() - timedelta(hours=2),
    )


def test_rating_from_the_link_is_stored_once(client, finished_case):
    link = rating_link_path(finished_case)
    page = client.get(link)
    assert page.status_code == 200
    assert "How did we do?" in page.content.decode()
    response = client.post(
        link,
        {
            "rating": "poor",
            "reasons": ["speed", "ease"],
            "comment": "Far too slow, ring me on 07700 900123",
        },
    )
    assert response.status_code == 302
    rating = ContactRating.objects.get()
    assert (rating.rating, rating.channel, rating.source) == ("poor", "phone", "notification_link")
    assert rating.reasons == ["Easy to do", "Speed"]
    assert rating.comment == "Far too slow, ring me on [removed]"
    assert rating.sentiment < 0
    assert rating.service_area_id == finished_case.request_type.service_area_id
    # The link now says thank you instead of asking again, and a second post changes nothing.
    assert client.get(link).status_code == 302
    client.post(link, {"rating": "good"})
    assert ContactRating.objects.get().rating == "poor"


def test_a_rating_from_the_residents_account_counts_as_the_websites(client, finished_case, council):
    link = rating_link_if_wanted(finished_case)
    assert link.startswith(rating_link_path(finished_case))
    assert client.post(link, {"rating": "good"}).status_code == 302
    assert ContactRating.objects.get().source == "portal"


def test_rating_without_a_choice_shows_the_error_summary(client, finished_case):
    response = client.post(rating_link_path(finished_case), {"comment": "hmm"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#rating"' in body
    assert "Select good, average or poor" in body
    assert not ContactRating.objects.exists()


def test_a_forged_or_foreign_link_is_not_found(client, council, finished_case):
    factories.OrganisationFactory(slug="elsewhere")
    token = rating_link_path(finished_case).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/elsewhere/feedback/rate/{token}/").status_code == 404
    forged = signing.dumps(finished_case.pk, salt="something else")
    assert client.get(f"/{council.slug}/feedback/rate/{forged}/").status_code == 404


def test_an_open_case_cannot_be_rated_yet(client, finished_case):
    finished_case.status = CaseStatus.IN_PROGRESS
    finished_case.save()
    assert client.get(rating_link_path(finished_case)).status_code == 404


def test_invitations_go_once_through_the_outbox_with_a_working_link(
    client, finished_case, settings
):
    settings.PUBLIC_BASE_URL = "https://services.wrekin.example"
    assert rating_invitations_send() == 1
    assert rating_invitations_send() == 0
    message = OutboxMessage.objects.get(template="case_rating_invitation")
    assert message.case_id == finished_case.pk
    link = next(word for word in message.body.split() if word.startswith("https://"))
    assert link.startswith("https://services.wrekin.example/wrekin/feedback/rate/")
    assert client.get(link.removeprefix("https://services.wrekin.example")).status_code == 200


def test_no_invitation_for_sensitive_services_or_old_cases(council, resident, finished_case):
    finished_case.resolved_at = timezone.now() - timedelta(days=30)
    finished_case.save()
    sensitive = factories.RequestTypeFactory(organisation=council, sensitive=True)
    factories.CaseFactory(
        organisation=council,
        request_type=sensitive,
        customer=resident,
        status=CaseStatus.CLOSED,
        resolved_at=timezone.now(),
    )
    assert rating_invitations_send() == 0


@pytest.fixture
def town_park(council):
    return micro_survey_create(
        organisation=council, place="Town Park", question="How was the park today?"
    )


def test_a_place_survey_takes_one_answer_per_phone(council, town_park):
    phone = Client()
    address = f"/{council.slug}/feedback/place/{town_park.code}/"
    assert "How was the park today?" in phone.get(address).content.decode()
    assert phone.post(address, {"rating": "good", "comment": "Lovely and clean"}).status_code == 302
    again = phone.post(address, {"rating": "good"})
    assert again.status_code == 400
    assert "You have already answered this survey today" in again.content.decode()
    assert Client().post(address, {"rating": "poor"}, REMOTE_ADDR="10.0.0.9").status_code == 302
    answers = MicroSurveyAnswer.objects.order_by("created_at")
    assert [answer.rating for answer in answers] == ["good", "poor"]
    assert answers[0].sentiment > 0


def test_the_device_cookie_is_signed_and_short_lived(council, town_park):
    phone = Client()
    response = phone.post(f"/{council.slug}/feedback/place/{town_park.code}/", {"rating": "good"})
    cookie = response.cookies["civicdesk_survey_device"]
    assert cookie["max-age"] == 12 * 60 * 60
    assert cookie["httponly"]
    # A made-up cookie is ignored, not trusted: the phone is treated as new.
    fresh = Client()
    fresh.cookies["civicdesk_survey_device"] = "made-up"
    assert (
        fresh.post(
            f"/{council.slug}/feedback/place/{town_park.code}/", {"rating": "good"}
        ).status_code
        == 302
    )


def test_many_answers_from_one_address_are_refused_without_storing_it(council, town_park):
    address = f"/{council.slug}/feedback/place/{town_park.code}/"
    for _ in range(ADDRESS_LIMIT_PER_HOUR):
        assert Client().post(address, {"rating": "good"}, REMOTE_ADDR="10.1.1.1").status_code == 302
    assert Client().post(address, {"rating": "good"}, REMOTE_ADDR="10.1.1.1").status_code == 400
    assert MicroSurveyAnswer.objects.count() == ADDRESS_LIMIT_PER_HOUR
    assert "10.1.1.1" not in str(list(MicroSurveyAnswer.objects.values()))


def test_a_closed_or_unknown_survey_is_not_found(client, council, town_park):
    town_park.active = False
    town_park.save()
    assert client.get(f"/{council.slug}/feedback/place/{town_park.code}/").status_code == 404
    assert client.get(f"/{council.slug}/feedback/place/nothing/").status_code == 404


def test_a_survey_needs_a_place_and_a_question(council):
    with pytest.raises(ValidationFailed) as refused:
        micro_survey_create(organisation=council, place=" ", question="")
    assert set(refused.value.fields) == {"place", "question"}


def test_a_signed_in_resident_is_asked_to_rate_a_finished_request(missed_bin, resident, actor):
    from .test_portal_account import open_case, signed_in, with_account

    customer = with_account(resident)
    finished_case = open_case(customer, actor)
    Case.objects.filter(pk=finished_case.pk).update(
        status=CaseStatus.RESOLVED, resolved_at=timezone.now()
    )
    client = signed_in(customer)
    address = f"/{finished_case.organisation.slug}/account/requests/{finished_case.reference}/"
    page = client.get(address).content.decode()
    assert "Tell us how we did with this request" in page
    link = re.search(r'href="([^"]*/feedback/rate/[^"]+)"', page).group(1)
    client.post(link, {"rating": "average"})
    assert ContactRating.objects.get(case=finished_case).rating == "average"
    assert "Tell us how we did" not in client.get(address).content.decode()


def test_pressing_again_on_one_phone_does_not_use_up_the_venues_allowance(council, town_park):
    address = f"/{council.slug}/feedback/place/{town_park.code}/"
    phone = Client()
    assert phone.post(address, {"rating": "good"}, REMOTE_ADDR="10.2.2.2").status_code == 302
    for _ in range(ADDRESS_LIMIT_PER_HOUR):
        assert phone.post(address, {"rating": "good"}, REMOTE_ADDR="10.2.2.2").status_code == 400
    # Everyone else on the same wifi can still answer.
    for _ in range(ADDRESS_LIMIT_PER_HOUR - 1):
        assert Client().post(address, {"rating": "poor"}, REMOTE_ADDR="10.2.2.2").status_code == 302
    assert MicroSurveyAnswer.objects.count() == ADDRESS_LIMIT_PER_HOUR
