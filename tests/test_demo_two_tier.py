"""The demo's two-tier pair: Staffordshire County Council and South Staffordshire Council over
the same place, each doing its own tier's services, referring to each other, and one front
door for residents on either council's pages (ADR 47).

A small demo is loaded once for the module, at a fixed moment, and rolled back at the end.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.db import transaction

from civicdesk.cases.models import Case
from civicdesk.catalogue.models import RequestType
from civicdesk.core.calendar import LONDON
from civicdesk.demo.loader import COUNTY, DISTRICT, demo_load, demo_sign_ins
from civicdesk.demo.referrals import (
    COUNTY_TO_DISTRICT,
    DISTRICT_TO_COUNTY,
    TIER_REFERRALS_EACH_WAY,
)
from civicdesk.organisations.models import Organisation, StaffMember, Team
from civicdesk.organisations.selectors import organisations_at
from civicdesk.referrals.models import Referral

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=LONDON)
CODSALL = {"latitude": 52.6290, "longitude": -2.1950}
DETAILS = {
    "full_name": "Sam Patel",
    "email": "sam@example.com",
    "phone": "",
    "preferred_channel": "email",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(scale=0.02, now=NOW)
        transaction.set_rollback(True)


@pytest.fixture
def pair(demo) -> tuple[Organisation, Organisation]:
    return (
        Organisation.objects.get(slug=COUNTY.slug),
        Organisation.objects.get(slug=DISTRICT.slug),
    )


def test_the_county_and_the_district_cover_the_same_place(pair):
    county, district = pair
    assert (county.kind, county.code) == ("county", "E10000028")
    assert (district.kind, district.code) == ("district", "E07000196")
    at_codsall = organisations_at(longitude=CODSALL["longitude"], latitude=CODSALL["latitude"])
    assert {council.slug for council in at_codsall} == {county.slug, district.slug}
    for town in DISTRICT.towns:
        here = organisations_at(longitude=town.longitude, latitude=town.latitude)
        assert {council.slug for council in here} == {county.slug, district.slug}, town.name
    # Telford town centre and Shrewsbury are not in the pair's area.
    for longitude, latitude in ((-2.4454, 52.6766), (-2.7527, 52.7073)):
        here = organisations_at(longitude=longitude, latitude=latitude)
        assert not {council.slug for council in here} & {county.slug, district.slug}
    assert "Open Government Licence" in district.boundary_attribution


def test_each_council_of_the_pair_does_only_its_own_tiers_services(pair):
    """Both list the whole catalogue, so residents can report anything on either council's
    pages; the cases each holds and the teams it has are its own tier's (and "any")."""
    for council, own, other in ((pair[0], "county", "district"), (pair[1], "district", "county")):
        services = RequestType.objects.filter(organisation=council)
        assert set(services.values_list("provider_tier", flat=True)) == {own, other, "any"}
        held = set(
            Case.objects.filter(organisation=council).values_list(
                "request_type__provider_tier", flat=True
            )
        )
        assert held == {own, "any"}, council.slug
        teams = set(Team.objects.filter(organisation=council).values_list("name", flat=True))
        own_areas = set(
            services.exclude(provider_tier=other).values_list("service_area__name", flat=True)
        )
        assert teams == own_areas | {"Out of hours"}, council.slug
        # The other tier's services have no team here: any that reach it go to the contact
        # centre, to refer on.
        routed = services.filter(provider_tier=other).values_list(
            "service_area__team__name", flat=True
        )
        assert set(routed) == {"Customer services"}, council.slug
    assert Team.objects.filter(organisation=pair[0], name="Highways").exists()
    assert not Team.objects.filter(organisation=pair[1], name="Highways").exists()
    assert Team.objects.filter(organisation=pair[1], name="Waste and recycling").exists()
    assert not Team.objects.filter(organisation=pair[0], name="Waste and recycling").exists()


def test_the_pair_refers_each_way_with_every_outcome(pair, staff_client):
    county, district = pair
    for sender, receiver, matters in (
        (district, county, DISTRICT_TO_COUNTY),
        (county, district, COUNTY_TO_DISTRICT),
    ):
        referrals = Referral.objects.filter(from_organisation=sender, to_organisation=receiver)
        assert referrals.count() == TIER_REFERRALS_EACH_WAY
        assert set(referrals.values_list("status", flat=True)) == {"sent", "accepted", "declined"}
        assert set(referrals.values_list("to_team__name", flat=True)) == {
            team for _, team, _, _ in matters
        }
        for referral in referrals.filter(status="declined"):
            assert referral.decline_reason and referral.decline_note
        for referral in referrals.filter(status="accepted").select_related(
            "accepted_case__request_type", "contact__request_type"
        ):
            case = referral.accepted_case
            assert case.organisation_id == receiver.pk
            assert case.request_type.key == referral.contact.request_type.key
            assert receiver.provides(case.request_type.provider_tier)
            assert not sender.provides(case.request_type.provider_tier)
    taking = {
        (team.organisation.slug, team.name)
        for team in Team.objects.filter(
            organisation__in=pair, accepts_referrals=True
        ).select_related("organisation")
    }
    assert taking == {
        (county.slug, "Highways"),
        (county.slug, "Adult social care"),
        (district.slug, "Environmental health"),
        (district.slug, "Waste and recycling"),
        (district.slug, "Housing"),
    }
    # The county's highways officer finds the district's referrals in their list.
    officer = StaffMember.objects.get(user__username="officer.highways@staffs")
    page = staff_client(officer).get("/staff/referrals/").content.decode()
    assert "South Staffordshire Council" in page
    listed = {sign_in.username for sign_in in demo_sign_ins()}
    assert {"officer.highways@staffs", "adviser@southstaffs", "officer.waste@southstaffs"} <= (
        listed
    )


def _report(client, path: str, answers: dict[str, dict[str, str]]):
    """Go through a report journey on the portal, answering each question page in turn,
    and send it."""
    client.get(f"{path}/", follow=True)
    for question, data in answers.items():
        answered = client.post(f"{path}/question/{question}/", data, follow=True)
        # Each answer is taken, the place included: on to the next page of this journey.
        assert answered.redirect_chain, question
        assert answered.redirect_chain[-1][0].startswith(f"{path}/"), question
        assert "/not-ours/" not in answered.redirect_chain[-1][0], question
    client.post(f"{path}/your-details/", DETAILS, follow=True)
    check = client.get(f"{path}/check/", follow=True)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    return client.post(f"{path}/check/", {"token": token}, follow=True)


def _place(question: str) -> dict[str, str]:
    return {
        f"{question}-description": "",
        f"{question}-latitude": str(CODSALL["latitude"]),
        f"{question}-longitude": str(CODSALL["longitude"]),
    }


@pytest.mark.parametrize(
    ("on_pages_of", "service", "answers", "taken_by"),
    [
        (
            DISTRICT,
            "pothole",
            {
                "location": _place("location"),
                "surface": {"surface": "Road"},
                "size": {"size": "Bigger than a dinner plate"},
                "danger": {"danger": "No"},
                "photo": {},
            },
            COUNTY,
        ),
        (
            COUNTY,
            "missed-bin",
            {
                "bin": {"bin": "Recycling"},
                "address": _place("address"),
                "collection-date": {
                    "collection-date-day": "2",
                    "collection-date-month": "3",
                    "collection-date-year": "2026",
                },
                "out-by-7am": {"out-by-7am": "Yes"},
            },
            DISTRICT,
        ),
    ],
)
def test_a_report_of_the_other_tiers_service_goes_to_the_council_that_does_it(
    demo, client, on_pages_of, service, answers, taken_by
):
    """One front door: a resident on either council's pages reports the other tier's service
    at a place in the area, and the case is opened by the council that does it, with its own
    service and charter."""
    before = Case.objects.filter(organisation__slug=taken_by.slug).count()
    done = _report(client, f"/{on_pages_of.slug}/report/{service}", answers)

    assert done.status_code == 200
    case = Case.objects.filter(organisation__slug=taken_by.slug).latest("pk")
    assert Case.objects.filter(organisation__slug=taken_by.slug).count() == before + 1
    assert case.request_type.organisation.slug == taken_by.slug
    assert case.request_type.key == service
    assert case.customer.organisation.slug == taken_by.slug
    assert not Case.objects.filter(
        organisation__slug=on_pages_of.slug, customer__details__value="sam@example.com"
    ).exists()
    page = " ".join(done.content.decode().split())
    assert f"{taken_by.name} looks after this at the place you chose" in page
    assert f'href="/{taken_by.slug}/track/"' in page
