"""Where is this, and whose is it? Location checks, streets, place search and nearby reports."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from shapely import Point
from shapely.geometry import shape

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Case
from civicdesk.catalogue.models import RequestType
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.readability import readability
from civicdesk.geo.choices import Adoption
from civicdesk.geo.geometry import LocalPlane
from civicdesk.geo.models import Street
from civicdesk.geo.selectors import (
    NATIONAL_HIGHWAYS_PHONE,
    NATIONAL_HIGHWAYS_URL,
    location_check,
    nearby_open_cases,
    places_find,
)
from civicdesk.geo.services import STREETS_DATA, street_rows_read, streets_import
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db

BOUNDARIES = Path(__file__).resolve().parent.parent / "civicdesk" / "demo" / "data" / "boundaries"
TELFORD_POINT = (-2.4454, 52.6766)  # lon, lat: Telford town centre
SHREWSBURY_POINT = (-2.7527, 52.7073)
BIRMINGHAM_POINT = (-1.8904, 52.4862)  # on neither council
SQUARE_CENTRE = (-1.05, 52.05)  # inside the two-tier test square


def boundary(filename: str) -> dict[str, Any]:
    collection = json.loads((BOUNDARIES / filename).read_text(encoding="utf-8"))
    return collection["features"][0]["geometry"]


def square(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def offset(point: tuple[float, float], *, east: float = 0, north: float = 0) -> tuple[float, float]:
    """A point ``east`` and ``north`` metres from ``point`` (lon, lat)."""
    return LocalPlane(longitude=point[0], latitude=point[1]).to_degrees(east, north)


def service(organisation: Organisation, key: str, area: str, tier: str) -> RequestType:
    area_record = organisation.service_areas.filter(name=area).first() or (
        factories.ServiceAreaFactory(organisation=organisation, name=area)
    )
    return factories.RequestTypeFactory(
        organisation=organisation, service_area=area_record, key=key, provider_tier=tier
    )


def check(organisation: Organisation, request_type: RequestType, point: tuple[float, float]):
    return location_check(
        organisation=organisation,
        request_type=request_type,
        longitude=point[0],
        latitude=point[1],
    )


def street_row(usrn: str, name: str, points: list[tuple[float, float]], **values: str):
    return {
        "usrn": usrn,
        "name": name,
        "locality": values.get("locality", ""),
        "adoption": values.get("adoption", "adopted"),
        "maintainer": values.get("maintainer", ""),
        "geometry": "; ".join(f"{lon} {lat}" for lon, lat in points),
    }


def across(point: tuple[float, float], *, north: float = 0) -> list[tuple[float, float]]:
    """A 200 metre east-west street ``north`` metres from ``point``."""
    return [offset(point, east=-100, north=north), offset(point, east=100, north=north)]


@pytest.fixture
def telford() -> Organisation:
    return factories.OrganisationFactory(
        name="Telford & Wrekin Council",
        slug="telford-wrekin",
        boundary=boundary("E06000020-telford-and-wrekin.geojson"),
        website="https://www.telford.gov.uk",
    )


@pytest.fixture
def shropshire() -> Organisation:
    return factories.OrganisationFactory(
        name="Shropshire Council",
        slug="shropshire",
        boundary=boundary("E06000051-shropshire.geojson"),
        website="https://www.shropshire.gov.uk",
    )


@pytest.fixture
def pothole(telford: Organisation) -> RequestType:
    return service(telford, "pothole", "Highways", "county")


@pytest.fixture
def missed_bin(telford: Organisation) -> RequestType:
    return service(telford, "missed-bin", "Waste and recycling", "district")


# Which council


def test_a_report_in_the_council_area_is_accepted(telford, shropshire, pothole):
    verdict = check(telford, pothole, TELFORD_POINT)

    assert verdict.outcome == "accepted"
    assert verdict.provider == telford
    assert (verdict.responsible_name, verdict.responsible_url) == ("", "")
    assert verdict.street is None


def test_a_report_over_the_border_goes_to_the_neighbouring_council(telford, shropshire, pothole):
    verdict = check(telford, pothole, SHREWSBURY_POINT)

    assert verdict.outcome == "other_council"
    assert verdict.provider is None
    assert verdict.responsible_name == "Shropshire Council"
    assert verdict.responsible_url == "https://www.shropshire.gov.uk"
    assert "Shropshire Council" in verdict.message


def test_the_neighbour_sends_telford_reports_back(telford, shropshire):
    bins = service(shropshire, "missed-bin", "Waste and recycling", "district")

    verdict = check(shropshire, bins, TELFORD_POINT)

    assert verdict.outcome == "other_council"
    assert verdict.responsible_name == "Telford & Wrekin Council"
    assert verdict.responsible_url == "https://www.telford.gov.uk"


def test_a_place_outside_every_council_on_the_installation(telford, shropshire, pothole):
    verdict = check(telford, pothole, BIRMINGHAM_POINT)

    assert verdict.outcome == "outside"
    assert verdict.provider is None
    assert verdict.responsible_url == ""
    assert "council for that place" in verdict.message


def test_a_neighbour_without_a_website_is_still_named(telford, pothole):
    factories.OrganisationFactory(
        name="Shropshire Council", boundary=boundary("E06000051-shropshire.geojson")
    )

    verdict = check(telford, pothole, SHREWSBURY_POINT)

    assert verdict.outcome == "other_council"
    assert (verdict.responsible_name, verdict.responsible_url) == ("Shropshire Council", "")


def test_a_partner_organisation_covering_the_place_is_not_a_council(telford, pothole):
    factories.OrganisationFactory(
        name="Shropshire Partnership",
        kind="partner",
        boundary=boundary("E06000051-shropshire.geojson"),
    )

    assert check(telford, pothole, SHREWSBURY_POINT).outcome == "outside"


# Two tiers


@pytest.fixture
def county() -> Organisation:
    return factories.OrganisationFactory(
        name="Loamshire County Council", kind="county", boundary=square(-1.2, 51.9, -0.8, 52.2)
    )


@pytest.fixture
def district() -> Organisation:
    return factories.OrganisationFactory(
        name="Vale District Council", kind="district", boundary=square(-1.1, 52.0, -1.0, 52.1)
    )


@pytest.mark.parametrize(
    ("portal", "key", "tier", "provider"),
    [
        ("district", "missed-bin", "district", "district"),
        ("district", "pothole", "county", "county"),
        ("county", "pothole", "county", "county"),
        ("county", "missed-bin", "district", "district"),
    ],
)
def test_two_tier_reports_go_to_the_council_that_does_the_job(
    county, district, portal, key, tier, provider
):
    councils = {"county": county, "district": district}
    request_type = service(councils[portal], key, "Services", tier)

    verdict = check(councils[portal], request_type, SQUARE_CENTRE)

    assert verdict.outcome == "accepted"
    assert verdict.provider == councils[provider]


def test_the_other_tier_missing_from_the_installation(county):
    bins = service(county, "missed-bin", "Waste and recycling", "district")

    verdict = check(county, bins, SQUARE_CENTRE)

    assert verdict.outcome == "other_council"
    assert verdict.provider is None
    assert verdict.responsible_name == "the district council for this place"


def test_a_district_report_outside_the_district_but_in_the_county(county, district):
    bins = service(district, "missed-bin", "Waste and recycling", "district")

    verdict = check(district, bins, (-1.15, 52.15))

    assert verdict.outcome == "outside"


# Streets and who maintains them


@pytest.fixture
def streets(telford: Organisation) -> dict[str, Street]:
    """Four streets 100 metres apart, north of the town centre point, one of each kind."""
    rows = [
        street_row("1001", "Adopted Road", across(TELFORD_POINT, north=0), locality="Malinslee"),
        street_row(
            "1002", "Unadopted Lane", across(TELFORD_POINT, north=100), adoption="unadopted"
        ),
        street_row(
            "1003",
            "Private Mews",
            across(TELFORD_POINT, north=200),
            adoption="private",
            maintainer="Mews Residents Company",
        ),
        street_row("1004", "M54", across(TELFORD_POINT, north=300), adoption="national_highways"),
    ]
    streets_import(organisation=telford, rows=rows)
    return {street.name: street for street in Street.objects.filter(organisation=telford)}


def test_a_pothole_on_an_adopted_road_is_ours(telford, pothole, streets):
    verdict = check(telford, pothole, offset(TELFORD_POINT, north=5))

    assert verdict.outcome == "accepted"
    assert verdict.street == streets["Adopted Road"]


def test_a_pothole_on_an_unadopted_road_is_for_its_owner(telford, pothole, streets):
    verdict = check(telford, pothole, offset(TELFORD_POINT, north=95))

    assert verdict.outcome == "not_maintained"
    assert verdict.provider is None
    assert verdict.street == streets["Unadopted Lane"]
    assert verdict.responsible_name == "the owner of the road"
    assert verdict.responsible_url == ""
    assert "dangerous" in verdict.message
    assert "environmental health" in verdict.message


def test_a_private_road_names_who_maintains_it(telford, pothole, streets):
    verdict = check(telford, pothole, offset(TELFORD_POINT, north=210))

    assert verdict.outcome == "not_maintained"
    assert verdict.responsible_name == "Mews Residents Company"
    assert "private road" in verdict.message


def test_a_motorway_is_for_national_highways(telford, pothole, streets):
    verdict = check(telford, pothole, offset(TELFORD_POINT, north=300))

    assert verdict.outcome == "not_maintained"
    assert verdict.responsible_name == "National Highways"
    assert verdict.responsible_url == NATIONAL_HIGHWAYS_URL == "https://nationalhighways.co.uk/"
    assert NATIONAL_HIGHWAYS_PHONE == "0300 123 5000"
    assert "0300 123 5000" in verdict.message


def test_who_maintains_the_road_does_not_matter_for_other_services(telford, missed_bin, streets):
    verdict = check(telford, missed_bin, offset(TELFORD_POINT, north=200))

    assert verdict.outcome == "accepted"
    assert verdict.street == streets["Private Mews"]


def test_every_service_in_the_highways_area_is_about_the_road(telford, pothole, streets):
    dropped_kerb = service(telford, "dropped-kerb", "Highways", "county")

    assert check(telford, dropped_kerb, offset(TELFORD_POINT, north=100)).outcome == (
        "not_maintained"
    )


@pytest.mark.parametrize("key", ["street-light", "fallen-tree", "flooding", "gritting"])
def test_road_services_are_known_by_key_in_any_area(telford, streets, key):
    request_type = service(telford, key, "Streets and trees", "county")

    assert check(telford, request_type, offset(TELFORD_POINT, north=100)).outcome == (
        "not_maintained"
    )


def test_a_street_more_than_30_metres_away_is_not_the_street(telford, pothole, streets):
    verdict = check(telford, pothole, offset(TELFORD_POINT, north=-35))

    assert verdict.outcome == "accepted"
    assert verdict.street is None
    assert (
        check(telford, pothole, offset(TELFORD_POINT, north=-25)).street
        == (streets["Adopted Road"])
    )


def test_the_nearest_street_wins(telford, pothole, streets):
    # 45 metres from the adopted road, 55 from the unadopted lane: neither is in reach.
    assert check(telford, pothole, offset(TELFORD_POINT, north=45)).street is None
    # Past the end of the line the distance is to its end.
    beyond = offset(TELFORD_POINT, east=125, north=100)
    assert check(telford, pothole, beyond).street == streets["Unadopted Lane"]
    assert check(telford, pothole, offset(TELFORD_POINT, east=135, north=100)).street is None


def test_another_councils_streets_are_not_ours(telford, shropshire, pothole):
    streets_import(
        organisation=shropshire,
        rows=[street_row("2001", "Border Lane", across(TELFORD_POINT), adoption="private")],
    )

    verdict = check(telford, pothole, TELFORD_POINT)

    assert verdict.outcome == "accepted"
    assert verdict.street is None


# Importing streets


def test_import_reads_wkt_and_pairs_and_sets_the_bounding_box(telford):
    rows = [
        street_row("1", "Pairs Road", [(-2.45, 52.67), (-2.44, 52.68)]),
        {
            **street_row("2", "Wkt Road", []),
            "geometry": "LINESTRING (-2.46 52.66, -2.455 52.665, -2.45 52.664)",
        },
    ]

    result = streets_import(organisation=telford, rows=rows)

    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    wkt = Street.objects.get(usrn="2")
    assert wkt.geometry == {
        "type": "LineString",
        "coordinates": [[-2.46, 52.66], [-2.455, 52.665], [-2.45, 52.664]],
    }
    assert (wkt.min_longitude, wkt.max_longitude) == (-2.46, -2.45)
    assert (wkt.min_latitude, wkt.max_latitude) == (52.66, 52.665)


def test_import_is_idempotent_by_usrn(telford):
    rows = [
        street_row("1", "First Road", across(TELFORD_POINT)),
        street_row("2", "Second Road", across(TELFORD_POINT, north=50)),
    ]
    streets_import(organisation=telford, rows=rows)

    again = streets_import(organisation=telford, rows=rows)
    rows[1]["adoption"] = "National Highways"
    changed = streets_import(organisation=telford, rows=rows)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert Street.objects.filter(organisation=telford).count() == 2
    assert Street.objects.get(usrn="2").adoption == Adoption.NATIONAL_HIGHWAYS


def test_the_same_usrn_in_two_councils_is_two_streets(telford, shropshire):
    row = street_row("1", "Shared Road", across(TELFORD_POINT))

    streets_import(organisation=telford, rows=[row])
    streets_import(organisation=shropshire, rows=[row])

    assert Street.objects.filter(usrn="1").count() == 2


def test_import_refuses_invalid_rows_and_writes_nothing(telford):
    good = across(TELFORD_POINT)
    rows = [
        street_row("1", "Good Road", good),
        street_row("12A", "Bad Number Road", good),
        street_row("3", "", good),
        street_row("4", "Odd Road", good, adoption="council"),
        {**street_row("5", "Broken Road", good), "geometry": "POLYGON ((0 0, 1 0, 1 1, 0 0))"},
        {**street_row("6", "Swapped Road", good), "geometry": "52.67 -2.44; 52.68 -2.45"},
        {**street_row("7", "Point Road", good), "geometry": "-2.44 52.67"},
        {**street_row("8", "Garbled Road", good), "geometry": "-2.44 north; -2.45 52.68"},
        street_row("1", "Twice Road", good),
    ]

    with pytest.raises(ValidationFailed) as refused:
        streets_import(organisation=telford, rows=rows)

    fields = refused.value.fields
    assert set(fields) == {
        "row 2.usrn",
        "row 3.name",
        "row 4.adoption",
        "row 5.geometry",
        "row 6.geometry",
        "row 7.geometry",
        "row 8.geometry",
        "row 9.usrn",
    }
    assert "not in the UK" in fields["row 6.geometry"]
    assert "more than once" in fields["row 9.usrn"]
    assert refused.value.message.startswith("The streets cannot be imported: 8 problems")
    assert not Street.objects.exists()


def test_import_refuses_an_empty_list(telford):
    with pytest.raises(ValidationFailed):
        streets_import(organisation=telford, rows=[])


def test_the_import_command(telford, tmp_path):
    path = tmp_path / "streets.csv"
    path.write_text(
        "usrn,name,locality,adoption,maintainer,geometry\n"
        '1,Station Road,Wellington,adopted,,"LINESTRING (-2.51 52.70, -2.50 52.70)"\n',
        encoding="utf-8",
    )
    output = StringIO()

    call_command("import_streets", "telford-wrekin", str(path), stdout=output)
    call_command("import_streets", "telford-wrekin", str(path), stdout=output)

    assert "1 streets added" in output.getvalue()
    assert "1 unchanged" in output.getvalue()
    path.write_text("usrn,name,locality,adoption,maintainer,geometry\nx,,,,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"row 1\.usrn"):
        call_command("import_streets", "telford-wrekin", str(path))
    with pytest.raises(CommandError, match="no council"):
        call_command("import_streets", "nowhere", str(path))


def test_the_demo_street_list_is_synthetic_and_inside_telford(telford):
    rows = street_rows_read(STREETS_DATA / "demo-streets-telford.csv")
    result = streets_import(organisation=telford, rows=rows)

    assert 35 <= result.created <= 50
    readme = (STREETS_DATA / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower()
    area = shape(telford.boundary)
    streets = list(Street.objects.filter(organisation=telford))
    for street in streets:
        assert all(area.contains(Point(*point)) for point in street.geometry["coordinates"])
    kinds = {street.adoption for street in streets}
    assert kinds == set(Adoption.values)
    assert [s.name for s in streets if s.adoption == Adoption.NATIONAL_HIGHWAYS] == ["M54"]


def test_council_admins_read_only_their_own_streets_in_the_admin(client, telford, shropshire):
    streets_import(organisation=telford, rows=[street_row("1", "Our Road", across(TELFORD_POINT))])
    streets_import(
        organisation=shropshire, rows=[street_row("2", "Their Road", across(SHREWSBURY_POINT))]
    )
    staff = factories.StaffFactory(organisation=telford, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.save()
    staff.user.user_permissions.set(Permission.objects.filter(codename="view_street"))
    sign_in_with_both_factors(client, staff.user)

    page = client.get("/admin/geo/street/")
    theirs = Street.objects.get(usrn="2")

    assert page.status_code == 200
    assert [street.name for street in page.context["cl"].result_list] == ["Our Road"]
    assert client.get(f"/admin/geo/street/{theirs.pk}/change/").status_code == 302
    ours = Street.objects.get(usrn="1")
    assert client.post(f"/admin/geo/street/{ours.pk}/change/", {"name": "X"}).status_code == 403


# Finding a place without the map


def test_places_are_found_by_every_word_of_name_and_locality(telford, shropshire):
    streets_import(
        organisation=telford,
        rows=[
            street_row("1", "Holyhead Road", across(TELFORD_POINT), locality="Wellington"),
            street_row("2", "Holyhead Road", across(TELFORD_POINT, north=500), locality="Ketley"),
            street_row(
                "3", "Church Street", across(TELFORD_POINT, north=900), locality="Wellington"
            ),
        ],
    )
    streets_import(
        organisation=shropshire,
        rows=[street_row("9", "Holyhead Road", across(SHREWSBURY_POINT), locality="Shrewsbury")],
    )

    found = places_find(organisation=telford, text="  HOLYHEAD wellington ")

    assert [match.label for match in found] == ["Holyhead Road, Wellington"]
    match = found[0]
    assert match.street is not None and match.street.usrn == "1"
    assert match.longitude == pytest.approx(TELFORD_POINT[0], abs=1e-5)
    assert match.latitude == pytest.approx(TELFORD_POINT[1], abs=1e-5)
    assert [m.label for m in places_find(organisation=telford, text="holyhead")] == [
        "Holyhead Road, Ketley",
        "Holyhead Road, Wellington",
    ]
    assert [m.label for m in places_find(organisation=telford, text="wellington")] == [
        "Church Street, Wellington",
        "Holyhead Road, Wellington",
    ]
    assert len(places_find(organisation=telford, text="wellington", limit=1)) == 1
    assert places_find(organisation=telford, text="holyhead shrewsbury") == []
    assert places_find(organisation=telford, text="  ,, ") == []


def test_the_midpoint_is_halfway_along_the_street(telford):
    bent = [
        offset(TELFORD_POINT),
        offset(TELFORD_POINT, east=300),
        offset(TELFORD_POINT, east=300, north=100),
    ]
    streets_import(organisation=telford, rows=[street_row("1", "Bent Lane", bent)])

    (match,) = places_find(organisation=telford, text="bent")

    expected = offset(TELFORD_POINT, east=200)
    assert (match.longitude, match.latitude) == pytest.approx(expected, abs=1e-5)


# Open reports nearby


def case_at(
    request_type: RequestType,
    point: tuple[float, float] | None,
    *,
    status: str = CaseStatus.NEW,
    reference: str,
) -> Case:
    return Case.objects.create(
        organisation=request_type.organisation,
        reference=reference,
        request_type=request_type,
        channel="web",
        status=status,
        longitude=point[0] if point else None,
        latitude=point[1] if point else None,
        opened_at=timezone.now(),
    )


def test_nearby_open_cases_nearest_first_and_open_only(telford, shropshire, pothole, missed_bin):
    far = case_at(pothole, offset(TELFORD_POINT, east=150), reference="AAAA-0001")
    near = case_at(pothole, offset(TELFORD_POINT, north=-40), reference="AAAA-0002")
    waiting = case_at(
        pothole, offset(TELFORD_POINT, north=90), status=CaseStatus.WAITING, reference="AAAA-0003"
    )
    case_at(pothole, offset(TELFORD_POINT, east=250), reference="AAAA-0004")
    case_at(
        pothole, offset(TELFORD_POINT, north=10), status=CaseStatus.RESOLVED, reference="AAAA-0005"
    )
    case_at(
        pothole, offset(TELFORD_POINT, north=5), status=CaseStatus.CLOSED, reference="AAAA-0006"
    )
    case_at(missed_bin, offset(TELFORD_POINT, north=5), reference="AAAA-0007")
    case_at(pothole, None, reference="AAAA-0008")
    elsewhere = service(shropshire, "pothole", "Highways", "county")
    case_at(elsewhere, offset(TELFORD_POINT, north=1), reference="AAAA-0009")

    found = nearby_open_cases(
        organisation=telford,
        request_type=pothole,
        longitude=TELFORD_POINT[0],
        latitude=TELFORD_POINT[1],
    )

    assert found == [near, waiting, far]
    assert nearby_open_cases(
        organisation=telford,
        request_type=pothole,
        longitude=TELFORD_POINT[0],
        latitude=TELFORD_POINT[1],
        metres=100,
        limit=1,
    ) == [near]


def test_nearby_cases_at_the_provider_are_matched_by_service_key(county, district):
    district_pothole = service(district, "pothole", "Highways", "county")
    county_pothole = service(county, "pothole", "Highways", "county")
    report = case_at(county_pothole, offset(SQUARE_CENTRE, east=20), reference="BBBB-0001")

    found = nearby_open_cases(
        organisation=county,
        request_type=district_pothole,
        longitude=SQUARE_CENTRE[0],
        latitude=SQUARE_CENTRE[1],
    )

    assert found == [report]


def test_every_verdict_reads_at_age_nine(telford, shropshire, pothole, streets, county, district):
    places = [
        TELFORD_POINT,
        SHREWSBURY_POINT,
        BIRMINGHAM_POINT,
        *(offset(TELFORD_POINT, north=metres) for metres in (100, 200, 300)),
    ]
    verdicts = [check(telford, pothole, place) for place in places]
    Street.objects.filter(name="Private Mews").update(maintainer="")
    verdicts.append(check(telford, pothole, offset(TELFORD_POINT, north=200)))
    verdicts.append(
        check(district, service(district, "pothole", "Highways", "county"), SQUARE_CENTRE)
    )
    verdicts.append(
        check(county, service(county, "missed-bin", "Waste", "district"), SQUARE_CENTRE)
    )
    assert verdicts[-2].provider == county

    assert {verdict.outcome for verdict in verdicts} == {
        "accepted",
        "other_council",
        "outside",
        "not_maintained",
    }
    for verdict in verdicts:
        assert readability(verdict.message).reading_age <= 9, verdict.message


# A council's own list of streets, with lines from OS Open USRN

DATA = Path(__file__).resolve().parent / "data"


def test_a_list_of_streets_takes_its_lines_from_os_open_usrn(tmp_path):
    """The sample files of docs/streets.md: a council's list of streets in its own words, and
    the lines of OS Open USRN (invented here) converted to longitude and latitude by ogr2ogr,
    in pieces as OS Open USRN gives them."""
    millbrook = factories.OrganisationFactory(
        name="Millbrook Borough Council",
        slug="millbrook",
        boundary=json.loads((DATA / "millbrook-boundary.geojson").read_text())["features"][0][
            "geometry"
        ],
    )
    output = StringIO()
    call_command(
        "import_streets",
        "millbrook",
        str(DATA / "millbrook-streets.csv"),
        f"--lines={DATA / 'millbrook-usrn-lines.csv'}",
        stdout=output,
    )
    assert "Millbrook Borough Council: 5 streets added" in output.getvalue()
    streets = {street.name: street for street in Street.objects.filter(organisation=millbrook)}
    assert {name: street.adoption for name, street in streets.items()} == {
        "Mill Lane": Adoption.ADOPTED,
        "Station Road": Adoption.ADOPTED,
        "Orchard Close": Adoption.UNADOPTED,
        "Tannery Yard": Adoption.PRIVATE,
        "Derby Road (A6)": Adoption.NATIONAL_HIGHWAYS,
    }
    # Pieces that meet are one line; a yard in two pieces that do not meet stays in two.
    assert streets["Mill Lane"].geometry["type"] == "LineString"
    assert len(streets["Mill Lane"].geometry["coordinates"]) == 3
    assert streets["Tannery Yard"].geometry["type"] == "MultiLineString"

    pothole = service(millbrook, "pothole", "Highways", "any")
    by_the_second_piece = check(millbrook, pothole, offset((-1.52275, 53.1515), east=5))
    assert by_the_second_piece.outcome == "not_maintained"
    assert "We do not look after Tannery Yard. It is a private road." in by_the_second_piece.message
    assert check(millbrook, pothole, (-1.5300, 53.15052)).outcome == "accepted"
    assert places_find(organisation=millbrook, text="tannery")[0].label.startswith("Tannery Yard")

    unlined = tmp_path / "streets.csv"
    unlined.write_text(
        "usrn,name,locality,adoption,maintainer\n99100077,Nowhere Lane,Millbrook,adopted,\n"
    )
    with pytest.raises(CommandError, match=r"row 1\.geometry: the line is missing"):
        call_command(
            "import_streets",
            "millbrook",
            str(unlined),
            f"--lines={DATA / 'millbrook-usrn-lines.csv'}",
        )
