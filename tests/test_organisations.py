"""Where a place falls, who provides what, and who may see which cases."""

from __future__ import annotations

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.selectors import access_case, cases_visible_to
from civicdesk.core.audit import Actor
from civicdesk.core.errors import NotFound, NotPermitted
from civicdesk.organisations.selectors import (
    organisation_providing,
    organisations_at,
    staff_for_user,
)

from . import factories

pytestmark = pytest.mark.django_db


def square(west: float, south: float, east: float, north: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


@pytest.fixture
def two_tier_area():
    """A county and a district over the same place, and a unitary council next door."""
    county = factories.OrganisationFactory(
        name="Shire County", kind="county", boundary=square(-3, 52, -2, 53)
    )
    district = factories.OrganisationFactory(
        name="Vale District", kind="district", boundary=square(-2.6, 52.4, -2.2, 52.8)
    )
    unitary = factories.OrganisationFactory(
        name="Borough", kind="unitary", boundary=square(-2, 52, -1, 53)
    )
    factories.OrganisationFactory(
        name="NHS partner", kind="partner", boundary=square(-3, 52, -1, 53)
    )
    return county, district, unitary


def test_two_tier_services_go_to_the_council_that_provides_them(two_tier_area):
    county, district, unitary = two_tier_area
    assert organisation_providing(tier="county", longitude=-2.4, latitude=52.6) == county
    assert organisation_providing(tier="district", longitude=-2.4, latitude=52.6) == district
    # Outside the district but inside the county there is no district council in this fixture.
    assert organisation_providing(tier="district", longitude=-2.9, latitude=52.1) is None
    assert organisation_providing(tier="district", longitude=-1.5, latitude=52.5) == unitary
    assert organisation_providing(tier="county", longitude=-1.5, latitude=52.5) == unitary
    assert organisation_providing(tier="any", longitude=10, latitude=10) is None


def test_a_place_in_a_two_tier_area_has_both_councils(two_tier_area):
    county, district, _ = two_tier_area
    names = {org.name for org in organisations_at(longitude=-2.4, latitude=52.6)}
    assert {county.name, district.name} <= names


@pytest.fixture
def homelessness(council):
    return factories.RequestTypeFactory(organisation=council, key="homelessness", sensitive=True)


def open_case(council, key: str):
    return case_open(
        organisation=council,
        request=CaseRequest(request_type_key=key, channel="phone"),
        actor=Actor(label="Contact centre"),
    )


def test_sensitive_cases_are_only_visible_to_the_handling_team(council, homelessness):
    potholes = factories.RequestTypeFactory(organisation=council, key="pothole")
    sensitive = open_case(council, "homelessness")
    ordinary = open_case(council, "pothole")
    housing_officer = factories.StaffFactory(
        organisation=council, teams=[homelessness.service_area.team]
    )
    highways_officer = factories.StaffFactory(
        organisation=council, teams=[potholes.service_area.team]
    )

    assert set(cases_visible_to(housing_officer)) == {sensitive, ordinary}
    assert set(cases_visible_to(highways_officer)) == {ordinary}
    assert access_case(staff=housing_officer, reference=sensitive.reference) == sensitive
    with pytest.raises(NotFound):
        access_case(staff=highways_officer, reference=sensitive.reference)


def test_staff_never_see_another_organisations_cases(council, homelessness):
    case = open_case(council, "homelessness")
    elsewhere = factories.StaffFactory(teams=[homelessness.service_area.team])
    assert not cases_visible_to(elsewhere).exists()
    with pytest.raises(NotFound, match="no case with that reference"):
        access_case(staff=elsewhere, reference=case.reference)


def test_a_reference_is_found_however_it_is_typed(council, homelessness):
    case = open_case(council, "homelessness")
    staff = factories.StaffFactory(organisation=council, teams=[homelessness.service_area.team])
    assert access_case(staff=staff, reference=case.reference.lower().replace("-", " ")) == case
    with pytest.raises(NotFound):
        access_case(staff=staff, reference="not a reference")


def test_only_active_staff_are_staff(council):
    user = factories.UserFactory()
    with pytest.raises(NotPermitted):
        staff_for_user(user)
    member = factories.StaffFactory(organisation=council, user=user, active=False)
    with pytest.raises(NotPermitted):
        staff_for_user(member.user)
