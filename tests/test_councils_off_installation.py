"""A place in a council around ours that is not on this installation: the resident is told who
looks after it and linked to its report page with the place filled in, with its phone number
(ADR 0048). Councils on the installation always win; with no record, today's answer stays."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely import Point
from shapely.geometry import shape

from civicdesk.core.errors import ValidationFailed
from civicdesk.core.readability import readability
from civicdesk.demo.neighbours import POWYS_NAME, demo_neighbours_create
from civicdesk.geo.models import NeighbouringCouncil
from civicdesk.geo.selectors import location_check, report_page_for
from civicdesk.geo.services import neighbouring_council_save

from . import factories
from .conftest import sign_in_with_both_factors
from .report_setup import IN_SHROPSHIRE, STATION_ROAD, Councils, councils, square

pytestmark = pytest.mark.django_db

BOUNDARIES = Path(__file__).resolve().parent.parent / "civicdesk" / "demo" / "data" / "boundaries"
WELSHPOOL = (52.6600, -3.1470)  # latitude, longitude
NEWTOWN = (52.5130, -3.3140)
POTHOLE = "/wrekin/report/pothole"
WELSHPOOL_REPORT_PAGE = (
    "https://www.fixmystreet.com/report/new?latitude=52.660000&longitude=-3.147000"
)


def powys_boundary() -> dict[str, Any]:
    collection = json.loads((BOUNDARIES / "W06000023-powys.geojson").read_text(encoding="utf-8"))
    geometry: dict[str, Any] = collection["features"][0]["geometry"]
    return geometry


@pytest.fixture
def places() -> Councils:
    return councils()


@pytest.fixture
def powys() -> NeighbouringCouncil:
    (council,) = demo_neighbours_create()
    return council


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def choose_point(client, latitude: float, longitude: float):
    client.get(f"{POTHOLE}/")
    return client.post(
        f"{POTHOLE}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
        follow=True,
    )


# The boundary stored for the demo


def test_the_stored_boundary_holds_powys_towns_and_not_shropshires():
    boundary = shape(powys_boundary())

    assert boundary.is_valid
    for latitude, longitude in (WELSHPOOL, NEWTOWN, (51.9470, -3.3910), (52.2410, -3.3790)):
        assert boundary.covers(Point(longitude, latitude))
    for latitude, longitude in ((52.7073, -2.7527), (52.8600, -3.0540), (52.3670, -2.7180)):
        assert not boundary.covers(Point(longitude, latitude))


# location_check


def test_a_place_in_powys_names_it_and_links_to_its_report_page_at_the_place(places, powys):
    latitude, longitude = WELSHPOOL
    verdict = location_check(
        organisation=places.wrekin,
        request_type=places.pothole,
        latitude=latitude,
        longitude=longitude,
    )

    assert verdict.outcome == "other_council"
    assert verdict.provider is None and verdict.council is None
    assert verdict.responsible_name == POWYS_NAME
    assert verdict.responsible_url == WELSHPOOL_REPORT_PAGE
    assert verdict.report_page
    assert POWYS_NAME in verdict.message
    assert "01632 960700" in verdict.message
    assert readability(verdict.message).reading_age <= 9, verdict.message


def test_with_no_record_for_the_place_todays_answer_stays(places):
    latitude, longitude = WELSHPOOL
    verdict = location_check(
        organisation=places.wrekin,
        request_type=places.pothole,
        latitude=latitude,
        longitude=longitude,
    )

    assert verdict.outcome == "outside"
    assert verdict.responsible_url == ""
    assert "council for that place" in verdict.message


def test_a_council_on_the_installation_wins_over_one_that_is_not(places):
    """A record drawn over Shropshire's area (as overlapping boundaries from two sources may
    be) changes nothing where a council on the installation covers the place."""
    neighbouring_council_save(
        name="Overlapping Council",
        boundary=square(-2.9, 52.5, -2.3, 52.9),
        report_url="https://overlap.example/report?lat={latitude}&lon={longitude}",
    )

    shropshire = location_check(
        organisation=places.wrekin,
        request_type=places.pothole,
        latitude=IN_SHROPSHIRE[0],
        longitude=IN_SHROPSHIRE[1],
    )
    ours = location_check(
        organisation=places.wrekin,
        request_type=places.pothole,
        latitude=STATION_ROAD[0],
        longitude=STATION_ROAD[1],
    )

    assert shropshire.council == places.shropshire
    assert shropshire.responsible_name == "Shropshire Council"
    assert ours.accepted and ours.provider == places.wrekin


def test_the_place_is_encoded_into_the_address(powys):
    powys.report_url = "https://report.example/new/{latitude}?at={latitude},{longitude}"

    page = report_page_for(powys, latitude=52.66, longitude=-3.147)

    assert page.url == "https://report.example/new/52.660000?at=52.660000,-3.147000"
    assert page.opens_at_place
    powys.report_url = "https://report.example/new"
    no_place = report_page_for(powys, latitude=52.66, longitude=-3.147)
    assert (no_place.url, no_place.opens_at_place) == ("https://report.example/new", False)


def test_a_report_page_without_the_place_is_still_their_website(places, powys):
    powys.report_url = ""
    powys.save()
    latitude, longitude = NEWTOWN

    verdict = location_check(
        organisation=places.wrekin,
        request_type=places.pothole,
        latitude=latitude,
        longitude=longitude,
    )

    assert verdict.responsible_url == "https://www.powys.gov.uk"
    assert not verdict.report_page
    assert "Our link opens their page at this place" not in verdict.message


# The report journey


def test_a_wrekin_resident_at_welshpool_is_sent_to_powys_with_the_place(client, places, powys):
    page = choose_point(client, *WELSHPOOL)

    assert page.redirect_chain[-1][0] == f"{POTHOLE}/not-ours/"
    body = text(page)
    assert "We cannot take this report" in body
    assert f"This place is in the area of {POWYS_NAME}" in body
    assert (
        f'<a class="govuk-link" href="{WELSHPOOL_REPORT_PAGE}" rel="noreferrer noopener">'
        f"Report it to {POWYS_NAME} at this place</a>"
    ) in body
    assert "phone them on 01632 960700" in body
    assert "Map position 52.66000, -3.14700" in body
    assert "Continue with" not in body


def test_without_a_record_the_journey_says_what_it_said_before(client, places):
    body = text(choose_point(client, *WELSHPOOL))

    assert "This place is not in our area. Please contact the council for that place." in body
    assert "fixmystreet" not in body


def test_a_place_in_our_area_is_unaffected(client, places, powys):
    page = choose_point(client, *STATION_ROAD)

    assert page.redirect_chain[-1][0] == f"{POTHOLE}/question/depth/"
    assert POWYS_NAME not in text(page)


def test_a_place_known_only_from_words_stays_with_us(client, places, powys):
    """Typed words are matched only with our own streets, so no point in Powys is known: the
    place is kept as the resident wrote it, as before."""
    client.get(f"{POTHOLE}/")
    page = client.post(
        f"{POTHOLE}/question/where/", {"where-description": "High Street, Welshpool"}, follow=True
    )

    assert page.redirect_chain[-1][0] == f"{POTHOLE}/question/depth/"
    assert POWYS_NAME not in text(page)


# Checking the addresses


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("http://report.example/new?lat={latitude}", "must start with https://"),
        ("report.example/new?lat={latitude}", "must start with https://"),
        ("https://report.example/new?lat={lat}", "{lat} is not part of the place"),
        ("https://report.example/new?lat={latitude:.2f}", "{latitude:.2f} is not part of"),
        ("https://report.example/new?lat={latitude!r}", "{latitude!r} is not part of"),
        ("https://report.example/new?lat={}", "{} is not part of the place"),
        ("https://report.example/new?lat={latitude", "each { needs its }"),
        ("https://report.example/new?lat=latitude}", "each { needs its }"),
        ("https://{latitude}.example/new", "not the website's name"),
        ("https://report.example/new?at={latitude} {longitude}", "must not have spaces"),
        ("https://someone:secret@report.example/new", "user name or password"),
        ("https://report.example/" + "x" * 500, "500 characters or fewer"),
    ],
)
def test_a_report_page_address_that_cannot_be_used_is_refused(address, problem):
    with pytest.raises(ValidationFailed) as refused:
        neighbouring_council_save(
            name="Elsewhere Council", boundary=square(-3.2, 52.6, -3.1, 52.7), report_url=address
        )

    assert problem in refused.value.fields["report_url"]
    assert not NeighbouringCouncil.objects.exists()


def test_the_website_must_be_https_and_the_boundary_a_polygon_in_the_uk():
    with pytest.raises(ValidationFailed) as refused:
        neighbouring_council_save(
            name=" ",
            boundary={"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 10]]]},
            website="http://elsewhere.example",
        )

    fields = refused.value.fields
    assert fields["name"] == "Enter the council's name"
    assert "not in the United Kingdom" in fields["boundary"]
    assert "https://" in fields["website"]


def test_saving_again_updates_the_council_of_that_name(powys):
    again = neighbouring_council_save(
        name=POWYS_NAME, boundary=powys_boundary(), phone="01632 960701"
    )

    assert again.pk == powys.pk
    assert NeighbouringCouncil.objects.get().phone == "01632 960701"


# The admin


def test_an_installation_administrator_adds_one_with_a_boundary_file(client, django_user_model):
    sign_in_with_both_factors(client, django_user_model.objects.create_superuser("root", "", "pw"))
    upload = SimpleUploadedFile(
        "powys.geojson", (BOUNDARIES / "W06000023-powys.geojson").read_bytes()
    )
    form = {
        "name": POWYS_NAME,
        "code": "W06000023",
        "website": "https://www.powys.gov.uk",
        "phone": "01632 960700",
        "report_url": "https://report.example/new?lat={lat}",
        "boundary_attribution": "ONS",
        "boundary_file": upload,
    }

    refused = client.post("/admin/geo/neighbouringcouncil/add/", form)

    assert refused.status_code == 200
    assert "{lat} is not part of the place we can fill in" in html.unescape(
        refused.content.decode()
    )
    assert not NeighbouringCouncil.objects.exists()

    upload.seek(0)
    form["report_url"] = "https://report.example/new?lat={latitude}&lon={longitude}"
    saved = client.post("/admin/geo/neighbouringcouncil/add/", form)

    assert saved.status_code == 302
    council = NeighbouringCouncil.objects.get()
    assert shape(council.boundary).covers(Point(WELSHPOOL[1], WELSHPOOL[0]))
    assert council.min_longitude < WELSHPOOL[1] < council.max_longitude


def test_a_council_administrator_cannot_manage_them(client, powys):
    staff = factories.StaffFactory(role="admin")
    staff.user.is_staff = True
    staff.user.save()
    sign_in_with_both_factors(client, staff.user)

    assert client.get("/admin/geo/neighbouringcouncil/").status_code == 403
    assert client.get(f"/admin/geo/neighbouringcouncil/{powys.pk}/change/").status_code == 403


def test_a_record_is_renamed_in_place_and_saving_a_name_again_updates_it():
    first = neighbouring_council_save(
        name="Elsewhere Council", boundary=square(-3.2, 52.6, -3.1, 52.7)
    )
    renamed = neighbouring_council_save(
        name="Elsewhere County Council",
        boundary=square(-3.2, 52.6, -3.1, 52.7),
        phone="01632 960900",
        existing=first,
    )
    again = neighbouring_council_save(
        name="Elsewhere County Council", boundary=square(-3.3, 52.6, -3.1, 52.7)
    )
    assert renamed.pk == first.pk == again.pk
    assert (again.name, again.phone, again.min_longitude) == (
        "Elsewhere County Council",
        "",
        -3.3,
    )
    assert NeighbouringCouncil.objects.count() == 1
