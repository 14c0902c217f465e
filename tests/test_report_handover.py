"""One front door: a place another council on this installation looks after carries on with
that council's report journey, the place and answers kept (ADR 0046)."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from civicdesk.cases.models import Case
from civicdesk.catalogue.models import RequestType
from civicdesk.organisations.models import Organisation
from civicdesk.portal.report_journey import PENDING_FOLDER, journey_load

from . import factories
from .report_setup import IN_SHROPSHIRE, PNG, STATION_ROAD, Councils, councils, square, street

pytestmark = pytest.mark.django_db

WREKIN = "/wrekin/report/pothole"
SHROPSHIRE = "/shropshire/report/pothole"
DETAILS = {
    "full_name": "Sam Patel",
    "email": "sam@example.com",
    "phone": "",
    "preferred_channel": "email",
}


@pytest.fixture
def places() -> Councils:
    return councils()


@pytest.fixture
def shropshire_pothole(places: Councils) -> RequestType:
    return shropshire_pothole_create(places.shropshire)


def shropshire_pothole_create(shropshire: Organisation) -> RequestType:
    """Shropshire's own pothole service: the same questions as Wrekin's, and one of its own
    that Wrekin never asks."""
    pothole = factories.RequestTypeFactory(
        organisation=shropshire, key="pothole", name="Report a pothole in Shropshire"
    )
    for position, (key, label, kind, required, maximum) in enumerate(
        [
            ("where", "Where is the pothole?", "location", True, None),
            ("depth", "How deep is it, in centimetres?", "number", True, 100),
            ("noticed", "When did you first notice it?", "date", True, None),
            ("lane", "Which lane is it in?", "text", True, None),
            ("photo", "Add a photo", "file", False, None),
        ]
    ):
        factories.QuestionFactory(
            request_type=pothole,
            key=key,
            label=label,
            kind=kind,
            required=required,
            position=position,
            maximum=maximum,
        )
    return pothole


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def go(client: Client, path: str, data: dict | None = None, **kwargs):
    if data is None:
        return client.get(path, follow=True, **kwargs)
    return client.post(path, data, follow=True, **kwargs)


def answer_all_but_the_place(client: Client) -> None:
    """Answer Wrekin's questions at a Wrekin place, then change the place on check answers."""
    go(client, f"{WREKIN}/")
    latitude, longitude = STATION_ROAD
    go(
        client,
        f"{WREKIN}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )
    go(client, f"{WREKIN}/question/depth/", {"depth": "8"})
    go(
        client,
        f"{WREKIN}/question/noticed/",
        {"noticed-day": "3", "noticed-month": "11", "noticed-year": "2026"},
    )
    go(client, f"{WREKIN}/question/photo/", {"photo": SimpleUploadedFile("hole.png", PNG)})
    go(client, f"{WREKIN}/your-details/", DETAILS)


def move_to_shropshire(client: Client):
    latitude, longitude = IN_SHROPSHIRE
    return go(
        client,
        f"{WREKIN}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude, "return_to": "check"},
    )


def test_a_place_in_the_neighbours_area_offers_to_carry_on_with_them(
    client, places, shropshire_pothole
):
    answer_all_but_the_place(client)

    page = move_to_shropshire(client)

    assert page.redirect_chain[-1][0] == f"{WREKIN}/not-ours/"
    body = text(page)
    assert '<h1 class="govuk-heading-l">Shropshire Council looks after this place</h1>' in body
    assert "Continue with Shropshire Council" in body
    assert "Map position 52.70000, -2.70000" in body
    assert "shropshire.example" not in body
    assert Case.objects.count() == 0


def test_continuing_keeps_the_place_answers_details_and_photo_and_sends_to_the_neighbour(
    client, places, shropshire_pothole
):
    answer_all_but_the_place(client)
    move_to_shropshire(client)

    carried = go(client, f"{WREKIN}/not-ours/", {})

    # Only Shropshire's own question is left to answer; the rest came across.
    assert carried.redirect_chain[-1][0] == f"{SHROPSHIRE}/question/lane/?change=1"
    assert "You are now reporting this to Shropshire Council" in text(carried)
    assert journey_load(client.session, "wrekin", "pothole") is None
    check = go(client, f"{SHROPSHIRE}/question/lane/", {"lane": "Northbound", "return_to": "check"})
    assert check.redirect_chain[-1][0] == f"{SHROPSHIRE}/check/"
    body = text(check)
    assert "Map position 52.70000, -2.70000" in body
    assert "hole.png" in body and "Sam Patel" in body
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    go(client, f"{SHROPSHIRE}/check/", {"token": token})

    case = Case.objects.get()
    assert case.organisation == places.shropshire
    assert case.request_type == shropshire_pothole
    assert (case.latitude, case.longitude) == IN_SHROPSHIRE
    assert case.answers["depth"] == 8 or case.answers["depth"] == "8"
    assert [a.original_name for a in case.attachments.all()] == ["hole.png"]
    _, pending = default_storage.listdir(PENDING_FOLDER)
    assert pending == []


def test_an_answer_the_neighbour_would_refuse_is_asked_again(client, places, shropshire_pothole):
    shropshire_pothole.questions.filter(key="depth").update(maximum=5)
    answer_all_but_the_place(client)
    move_to_shropshire(client)

    carried = go(client, f"{WREKIN}/not-ours/", {})

    assert carried.redirect_chain[-1][0] == f"{SHROPSHIRE}/question/depth/?change=1"
    kept = journey_load(client.session, "shropshire", "pothole")
    assert kept is not None
    assert "depth" not in kept.answers and "noticed" in kept.answers
    assert kept.answers["where"]["latitude"] == IN_SHROPSHIRE[0]


def test_the_neighbour_checks_the_place_again_as_its_own(client, places, shropshire_pothole):
    street(
        places.shropshire,
        "2001",
        "Farm Track",
        [[-2.71, 52.70], [-2.69, 52.70]],
        adoption="private",
        maintainer="Hill Farm",
    )
    answer_all_but_the_place(client)
    move_to_shropshire(client)

    carried = go(client, f"{WREKIN}/not-ours/", {})

    assert carried.redirect_chain[-1][0] == f"{SHROPSHIRE}/not-ours/"
    assert "We do not look after Farm Track" in text(carried)
    assert "Continue with" not in text(carried)
    assert Case.objects.count() == 0


def test_a_neighbour_here_without_the_service_is_linked_with_the_place(client, places):
    go(client, f"{WREKIN}/")
    latitude, longitude = IN_SHROPSHIRE
    page = go(
        client,
        f"{WREKIN}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )

    body = text(page)
    assert 'href="/shropshire/services/"' in body
    assert 'href="https://shropshire.example/"' in body
    assert "Where to tell them it is" in body and "Map position 52.70000, -2.70000" in body
    assert "Continue with" not in body
    # Pressing continue on a stale page changes nothing.
    again = go(client, f"{WREKIN}/not-ours/", {})
    assert again.redirect_chain[-1][0] == f"{WREKIN}/not-ours/"
    assert journey_load(client.session, "wrekin", "pothole") is not None
    assert Case.objects.count() == 0


def test_the_not_ours_page_without_a_journey_starts_again(client, places, shropshire_pothole):
    page = client.post(f"{WREKIN}/not-ours/", {})

    assert page.status_code == 302
    assert page["Location"] == f"{WREKIN}/"


def test_the_other_tier_here_takes_the_report_on_its_own_journey(client):
    """On a district's pages, a county service at a place outside the district: the county on
    this installation covers it, so the resident carries on with the county."""
    county = factories.OrganisationFactory(
        name="Salop County Council",
        slug="salop",
        kind="county",
        boundary=square(-2.4, 52.5, -2.0, 52.9),
    )
    district = factories.OrganisationFactory(
        name="Oakengates District Council",
        slug="oakengates",
        kind="district",
        boundary=square(-2.3, 52.6, -2.2, 52.8),
    )
    for council in (district, county):
        pothole = factories.RequestTypeFactory(
            organisation=council, key="potholes", name="Report a pothole", provider_tier="county"
        )
        factories.QuestionFactory(
            request_type=pothole, key="where", label="Where?", kind="location", position=1
        )
        factories.QuestionFactory(
            request_type=pothole, key="size", label="How big is it?", kind="text", position=2
        )
    go(client, "/oakengates/report/potholes/")
    go(client, "/oakengates/report/potholes/question/where/", {"where-description": "Gates"})
    go(client, "/oakengates/report/potholes/question/size/", {"size": "A dinner plate"})

    page = go(
        client,
        "/oakengates/report/potholes/question/where/",
        {"where-latitude": "52.85", "where-longitude": "-2.1", "return_to": "check"},
    )
    assert "Salop County Council looks after this place" in text(page)
    carried = go(client, "/oakengates/report/potholes/not-ours/", {})

    assert carried.redirect_chain[-1][0] == "/salop/report/potholes/your-details/"
    kept = journey_load(client.session, "salop", "potholes")
    assert kept is not None
    assert kept.answers == {
        "where": {"description": "", "latitude": 52.85, "longitude": -2.1},
        "size": "A dinner plate",
    }
    assert kept.provider_id == county.pk
