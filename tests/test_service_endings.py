"""Every service page ends in something a resident can do; bin days from a postcode or a
street; the assisted route names real places, hours, drop-ins and the right phone line; and
places typed in words find their street loosely (a landmark, the town, a typo)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from html import unescape

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from civicdesk.appointments.choices import SessionKind, VenueKind
from civicdesk.appointments.models import OpeningTime
from civicdesk.appointments.selectors import drop_ins, hours_grouped, places_to_go
from civicdesk.appointments.services import session_add, venue_create, venue_hours_set
from civicdesk.catalogue.importing import catalogue_rows_read
from civicdesk.catalogue.models import RequestType
from civicdesk.core.audit import SYSTEM
from civicdesk.core.calendar import LONDON
from civicdesk.core.errors import ValidationFailed
from civicdesk.demo.loader import demo_load
from civicdesk.geo.collections import next_collections, postcode_areas_parse, postcode_normalise
from civicdesk.geo.place_matching import places_match
from civicdesk.geo.services import collection_round_save, landmark_save
from civicdesk.organisations.models import Organisation

from . import factories
from .report_setup import square, street

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 4, 11, 0, tzinfo=LONDON)


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(scale=0.02, now=NOW)
        transaction.set_rollback(True)


@pytest.fixture
def telford(demo) -> Organisation:
    return Organisation.objects.get(slug="telford-wrekin")


# Every page ends in an action


def test_the_starter_catalogue_has_at_least_the_38_services_walked_below():
    assert len(catalogue_rows_read()) >= 38


@pytest.mark.parametrize("slug", ["telford-wrekin", "shropshire"])
def test_every_starter_service_page_ends_in_something_to_do(demo, client, slug):
    organisation = Organisation.objects.get(slug=slug)
    services = list(RequestType.objects.filter(organisation=organisation, active=True))
    assert len(services) == len(catalogue_rows_read())
    for service in services:
        page = client.get(f"/{slug}/services/{service.key}/")
        assert page.status_code == 200, service.key
        html = page.content.decode()
        start = f'href="/{slug}/report/{service.key}/"'
        if start in html:
            # The start button leads into a journey that works.
            journey = client.get(f"/{slug}/report/{service.key}/", follow=True)
            assert journey.status_code == 200, service.key
            continue
        assert not service.opens_cases, service.key
        if service.key == "bin-day":
            # The answer itself: the postcode question, on the page.
            assert f'action="/{slug}/report/bin-day/"' in html
            continue
        # A named place and a time to go.
        shown = text(page)
        assert "Where to go" in shown or "Come to a free drop-in session" in shown, service.key
        assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday)", shown)
        assert re.search(r"\d(am|pm)", shown), service.key


def test_the_assisted_route_names_hubs_hours_drop_ins_and_the_right_line(demo, client):
    blue_badge = text(client.get("/telford-wrekin/services/blue-badge/"))
    assert "Wellington community hub" in blue_badge
    assert "Monday, Wednesday" not in blue_badge  # days apart are not run together
    assert "Open Monday, 9:30am to 3:30pm; Wednesday, 9:30am to 3:30pm" in blue_badge
    assert "Phone us on 01632 960100, Monday to Friday, 9am to 5pm" in blue_badge
    assert "Free help to go online" in blue_badge and "Tuesdays, 10am to 12 noon" in blue_badge
    # Casework the hubs do not help with names the places that do.
    child = text(client.get("/telford-wrekin/services/child-concern/"))
    assert "Madeley community hub" not in child and "Customer service centre" in child
    # An emergency service gives the 24-hour line, not office hours.
    assert "Phone our 24-hour line on 01632 960199" in child
    # The digital help page is the sessions themselves.
    digital = text(client.get("/telford-wrekin/services/digital-help/"))
    assert "Come to a free drop-in session" in digital and "Free help to go online" not in digital
    libraries = text(client.get("/telford-wrekin/services/libraries/"))
    assert "Wellington Library" in libraries and "Saturday, 9am to 1pm" in libraries


def test_the_places_and_sessions_take_a_fixed_number_of_queries(demo, telford):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            places_to_go(organisation_id=telford.pk, service_key="blue-badge")
            drop_ins(organisation_id=telford.pk)
        return len(queries)

    before = count()
    for number in range(5):
        venue = venue_create(
            organisation=telford, name=f"Extra hub {number}", kind=VenueKind.COMMUNITY_HUB
        )
        venue_hours_set(venue=venue, hours={0: [(time(9), time(12))]}, actor=SYSTEM)
        session_add(
            venue=venue,
            kind=SessionKind.DIGITAL_HELP,
            weekday=2,
            starts=time(10),
            ends=time(11),
            actor=SYSTEM,
        )
    assert count() == before == 3


def test_opening_hours_read_as_people_say_them(council):
    venue = venue_create(organisation=council, name="Hub", kind=VenueKind.COMMUNITY_HUB)
    hours = {day: [(time(9), time(17))] for day in range(5)}
    hours[5] = [(time(9, 30), time(12)), (time(13), time(15))]
    venue_hours_set(venue=venue, hours=hours, actor=SYSTEM)
    grouped = hours_grouped(list(OpeningTime.objects.filter(venue=venue)))
    assert [(h.days, h.times) for h in grouped] == [
        ("Monday to Friday", "9am to 5pm"),
        ("Saturday", "9:30am to 12 noon and 1pm to 3pm"),
    ]
    with pytest.raises(ValidationFailed):
        venue_hours_set(venue=venue, hours={0: [(time(17), time(9))]}, actor=SYSTEM)


# Bin days


def test_bin_days_from_a_postcode(demo, client, telford):
    page = client.get("/telford-wrekin/report/bin-day/")
    assert page.status_code == 200 and "What is your postcode?" in text(page)
    answer = client.post("/telford-wrekin/report/bin-day/", {"postcode": "tf1 1aa"})
    shown = text(answer)
    assert answer.status_code == 200
    assert "Your bin collection days" in shown and "For TF1 1AA" in shown
    for label in ("General waste", "Recycling", "Food waste", "Garden waste"):
        assert label in shown
    assert "Next collection" in shown and "Report a missed bin collection" in shown
    # The postcode was never in a URL.
    assert "tf1" not in answer.request["PATH_INFO"].lower()


def test_a_bad_or_unknown_postcode_is_explained(demo, client):
    bad = client.post("/telford-wrekin/report/bin-day/", {"postcode": "not a postcode"})
    assert bad.status_code == 400
    assert "There is a problem" in text(bad) and "Enter a full postcode, like TF1 1LX" in text(bad)
    assert 'href="#postcode"' in bad.content.decode()
    empty = client.post("/telford-wrekin/report/bin-day/", {})
    assert empty.status_code == 400
    elsewhere = client.post("/telford-wrekin/report/bin-day/", {"postcode": "SW1A 1AA"})
    assert "We could not find your bin days" in text(elsewhere)


def test_bin_days_by_choosing_a_street(demo, client):
    # Two streets called High Street: the resident chooses.
    offered = client.post("/telford-wrekin/report/bin-day/", {"street": "High Street"})
    assert "Which street do you live on?" in text(offered)
    labels = re.findall(
        r'<label class="govuk-label govuk-radios__label" for="[^"]+">\s*([^<]+?)\s*</label>',
        offered.content.decode(),
    )
    assert "High Street, Madeley" in labels
    choice = labels.index("High Street, Madeley")
    unchosen = client.post(
        "/telford-wrekin/report/bin-day/", {"street": "High Street", "choice": ""}
    )
    assert unchosen.status_code == 400 and "Select your street" in text(unchosen)
    answer = client.post(
        "/telford-wrekin/report/bin-day/", {"street": "High Street", "choice": str(choice)}
    )
    assert "For High Street, Madeley" in text(answer) and "General waste" in text(answer)
    # One street, typed with a typo and the town: answered straight away.
    typo = client.post("/telford-wrekin/report/bin-day/", {"street": "Haygate Rd"})
    assert "For Haygate Road, Wellington" in text(typo)


def test_the_service_page_asks_for_the_postcode_itself(demo, client):
    page = client.get("/telford-wrekin/services/bin-day/")
    assert 'action="/telford-wrekin/report/bin-day/"' in page.content.decode()
    assert "What we will ask you" not in text(page)


def test_collections_move_past_bank_holidays():
    easter_monday = date(2026, 4, 6)
    found = next_collections(
        first=date(2026, 3, 30),
        every_weeks=1,
        today=date(2026, 4, 1),
        holidays=frozenset({easter_monday}),
        count=2,
    )
    assert [c.day for c in found] == [date(2026, 4, 7), date(2026, 4, 13)]
    assert found[0].moved_from == easter_monday and found[1].moved_from is None
    fortnightly = next_collections(
        first=date(2026, 1, 5), every_weeks=2, today=date(2026, 1, 6), holidays=frozenset(), count=2
    )
    assert [c.day for c in fortnightly] == [date(2026, 1, 19), date(2026, 2, 2)]


def test_postcode_areas_are_checked_and_the_most_specific_wins(council, client):
    assert postcode_areas_parse(" tf1, Tf2 6 ,tf3 4ja") == ["TF1", "TF2 6", "TF3 4JA"]
    assert postcode_normalise("tf11aa") == "TF1 1AA"
    with pytest.raises(ValidationFailed) as problem:
        collection_round_save(
            organisation=council,
            name="Bad",
            bin_type="general",
            first_collection=date(2026, 1, 5),
            postcode_areas="Wellington",
        )
    assert "not a postcode district" in problem.value.fields["postcode_areas"]
    collection_round_save(
        organisation=council,
        name="TF1 Mondays",
        bin_type="general",
        first_collection=date(2026, 1, 5),
        postcode_areas="TF1",
    )
    collection_round_save(
        organisation=council,
        name="TF1 4 Fridays",
        bin_type="general",
        first_collection=date(2026, 1, 9),
        postcode_areas="TF1 4",
    )
    from civicdesk.geo.collections import bin_days_for_postcode

    today = date(2026, 1, 12)
    (monday,) = bin_days_for_postcode(organisation=council, postcode="TF1 1AA", today=today).days
    (friday,) = bin_days_for_postcode(organisation=council, postcode="TF1 4AA", today=today).days
    assert monday.collections[0].day.weekday() == 0 and friday.collections[0].day.weekday() == 4
    # TF11 is another district, not part of TF1.
    elsewhere = bin_days_for_postcode(organisation=council, postcode="TF11 8AA", today=today)
    assert not elsewhere.found


def test_an_administrator_manages_collection_rounds_in_the_admin(admin_client, council):
    added = admin_client.post(
        "/admin/geo/collectionround/add/",
        {
            "organisation": council.pk,
            "name": "TF2 recycling",
            "bin_type": "recycling",
            "first_collection": "2026-01-06",
            "every_weeks": "2",
            "postcode_areas": "tf2",
            "localities": "",
            "active": "on",
        },
    )
    assert added.status_code == 302
    refused = admin_client.post(
        "/admin/geo/collectionround/add/",
        {
            "organisation": council.pk,
            "name": "Nowhere",
            "bin_type": "recycling",
            "first_collection": "2026-01-06",
            "every_weeks": "1",
            "postcode_areas": "Wellington",
        },
    )
    assert refused.status_code == 200 and "is not a postcode district" in text(refused)


# Places typed in words


@pytest.fixture
def wrekin_streets(council):
    council.boundary = square(-2.6, 52.6, -2.4, 52.8)
    council.save()
    station = street(
        council, "1", "Station Road", [[-2.52, 52.70], [-2.50, 52.70]], locality="Wellington"
    )
    street(council, "2", "Station Road", [[-2.45, 52.64], [-2.44, 52.64]], locality="Madeley")
    street(council, "3", "Haygate Road", [[-2.53, 52.70], [-2.52, 52.70]], locality="Wellington")
    madeley_high = street(
        council, "4", "High Street", [[-2.45, 52.637], [-2.44, 52.637]], locality="Madeley"
    )
    landmark_save(
        organisation=council,
        name="Wellington Library",
        also_known_as="the library",
        street=station,
        latitude=52.7,
        longitude=-2.51,
    )
    landmark_save(
        organisation=council,
        name="Madeley Library",
        also_known_as="the library",
        street=madeley_high,
        latitude=52.637,
        longitude=-2.445,
    )
    return council


def test_a_landmark_on_a_named_street_is_found_for_sure(wrekin_streets):
    found = places_match(organisation=wrekin_streets, text="Outside the library on Station Road")
    assert found.sure
    (match,) = found.matches
    assert match.label == "Wellington Library, Station Road, Wellington"
    assert "Wellington Library" in match.reason
    assert (match.latitude, match.longitude) == (52.7, -2.51)


def test_a_street_in_two_towns_is_asked_unless_the_town_is_given(wrekin_streets):
    unsure = places_match(organisation=wrekin_streets, text="the bus stop on station rd")
    assert not unsure.sure
    assert [m.label for m in unsure.matches] == [
        "Station Road, Madeley",
        "Station Road, Wellington",
    ]
    sure = places_match(organisation=wrekin_streets, text="bus stop, Station Rd, Madeley")
    assert sure.sure and [m.label for m in sure.matches] == ["Station Road, Madeley"]


def test_a_typo_is_offered_but_never_taken_for_sure(wrekin_streets):
    found = places_match(organisation=wrekin_streets, text="by the shop on Haygat Raod")
    assert not found.sure
    assert [m.label for m in found.matches] == ["Haygate Road, Wellington"]
    assert "spelt like" in found.matches[0].reason
    assert places_match(organisation=wrekin_streets, text="somewhere over there").matches == []


def test_a_pothole_outside_the_library_goes_through_every_check(wrekin_streets, client):
    pothole = factories.RequestTypeFactory(
        organisation=wrekin_streets, key="pothole", name="Report a pothole"
    )
    factories.QuestionFactory(
        request_type=pothole, key="where", label="Where is it?", kind="location"
    )
    client.get("/wrekin/report/pothole/")
    typed = client.post(
        "/wrekin/report/pothole/question/where/",
        {"where-description": "outside the library on Station Road"},
        follow=True,
    )
    shown = text(typed)
    assert "We took this to be Wellington Library, Station Road, Wellington" in shown
    check = text(
        client.post(
            "/wrekin/report/pothole/your-details/",
            {"full_name": "Sam Patel", "email": "sam@example.com", "preferred_channel": "email"},
            follow=True,
        )
    )
    # The resident's own words are kept, with the street they were found as.
    assert "outside the library on Station Road" in check
    assert "Found as Wellington Library, Station Road, Wellington" in check


# Review findings: no guessed bin day, a bounded street search, audited admin edits


def _round(council, name: str, first: date, areas: str = "", towns: str = "", bin_type="general"):
    return collection_round_save(
        organisation=council,
        name=name,
        bin_type=bin_type,
        first_collection=first,
        every_weeks=2,
        postcode_areas=areas,
        localities=towns,
    )


@pytest.fixture
def split_town(council):
    """A town in two postcode districts whose general waste goes on different days."""
    street(council, "10", "Abbey Foregate", [[-2.74, 52.70], [-2.73, 52.70]], locality="Salop")
    street(council, "11", "Mill Lane", [[-2.44, 52.53], [-2.43, 52.53]], locality="Brockton")
    _round(council, "SY1 Mondays", date(2026, 1, 5), "SY1", "Salop, Brockton")
    _round(council, "SY2 Thursdays", date(2026, 1, 8), "SY2", "Salop")
    # Two names for one schedule serve Brockton: the same days, so nothing to ask.
    _round(council, "SY1 Mondays again", date(2026, 1, 19), "SY1 4", "Brockton")
    return council


def test_a_town_split_between_rounds_asks_for_the_postcode(split_town, client):
    asked = client.post("/wrekin/report/bin-day/", {"street": "Abbey Foregate", "choice": "0"})
    shown = text(asked)
    assert asked.status_code == 200
    assert "We need your postcode" in shown and "different days in different parts" in shown
    assert "Your bin collection days" not in shown and 'name="postcode"' in asked.content.decode()
    answered = client.post("/wrekin/report/bin-day/", {"street": "Mill Lane", "choice": "0"})
    assert "For Mill Lane, Brockton" in text(answered) and "General waste" in text(answered)


def test_rounds_covering_a_postcode_equally_are_not_guessed(split_town, client):
    _round(split_town, "SY2 Fridays", date(2026, 1, 9), "SY2", "")
    _round(split_town, "SY2 recycling", date(2026, 1, 9), "SY2", "", bin_type="recycling")
    answer = text(client.post("/wrekin/report/bin-day/", {"postcode": "SY2 5AB"}))
    assert "We cannot tell your general waste collection day from your postcode" in answer
    assert "Recycling" in answer and "General waste" not in answer
    from civicdesk.geo.collections import bin_days_for_postcode

    found = bin_days_for_postcode(organisation=split_town, postcode="SY2 5AB", today=date.today())
    assert found.unsure == ["General waste"] and [d.bin_type for d in found.days] == ["recycling"]


def test_bin_day_lookups_share_a_window_per_network_address(council, client, settings):
    from civicdesk.portal import bin_day_views

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for _ in range(bin_day_views.LOOKUP_LIMIT):
        assert client.post("/wrekin/report/bin-day/", {"postcode": "TF1 1AA"}).status_code == 200
    refused = client.post("/wrekin/report/bin-day/", {"postcode": "TF1 1AA"})
    assert refused.status_code == 429 and "Lots of bin day checks" in text(refused)


def _streets_rows(count: int) -> list[dict[str, str]]:
    return [
        {
            "usrn": str(1000 + number),
            "name": f"Number {number} Road",
            "locality": f"Town {number % 9}",
            "adoption": "adopted",
            "geometry": f"LINESTRING (-2.5 52.{number:04d}, -2.49 52.{number:04d})",
        }
        for number in range(count)
    ]


@pytest.mark.parametrize("typed", ["rubbish behind the old gasworks", "by Haygat Raod"])
def test_the_loose_street_search_takes_the_same_queries_for_any_number_of_streets(
    wrekin_streets, typed
):
    from civicdesk.geo.services import streets_import

    counts = []
    for more in (10, 400):
        streets_import(organisation=wrekin_streets, rows=_streets_rows(more))
        for _ in range(2):  # names read afresh after the import, then kept
            with CaptureQueriesContext(connection) as queries:
                places_match(organisation=wrekin_streets, text=typed)
            counts.append(len(queries.captured_queries))
    assert counts[0] == counts[2] and counts[1] == counts[3]


def test_a_single_landmark_named_alone_is_sure(wrekin_streets):
    landmark_save(
        organisation=wrekin_streets,
        name="Wrekin Leisure Centre",
        also_known_as="the leisure centre",
        latitude=52.7,
        longitude=-2.52,
    )
    found = places_match(organisation=wrekin_streets, text="outside the leisure centre")
    assert found.sure and [m.label for m in found.matches] == ["Wrekin Leisure Centre"]
    # Two of that name and no street: the resident chooses.
    assert not places_match(organisation=wrekin_streets, text="by the library").sure


def test_admin_edits_to_rounds_and_landmarks_go_through_the_services(admin_client, council):
    from civicdesk.core.models import AuditEvent
    from civicdesk.geo.models import CollectionRound, Landmark

    made = _round(council, "TF2 Tuesdays", date(2026, 1, 6), "TF2")
    changed = admin_client.post(
        f"/admin/geo/collectionround/{made.pk}/change/",
        {
            "organisation": council.pk,
            "name": "TF2 Wednesdays",
            "bin_type": "general",
            "first_collection": "2026-01-07",
            "every_weeks": "2",
            "postcode_areas": "tf2 , tf3",
            "localities": "",
        },
    )
    assert changed.status_code == 302
    made.refresh_from_db()
    assert (made.name, made.postcode_areas, made.active) == ("TF2 Wednesdays", "TF2, TF3", False)
    assert CollectionRound.objects.filter(organisation=council).count() == 1
    assert (
        AuditEvent.objects.filter(
            subject_type="collection_round", subject_id=made.pk, action="collection_round_saved"
        ).count()
        == 2
    )
    nothing = admin_client.post(
        f"/admin/geo/collectionround/{made.pk}/change/",
        {
            "organisation": council.pk,
            "name": "x",
            "bin_type": "general",
            "first_collection": "2026-01-07",
            "every_weeks": "2",
        },
    )
    assert "Enter the postcode areas or the towns the round covers" in text(nothing)
    added = admin_client.post(
        "/admin/geo/landmark/add/",
        {
            "organisation": council.pk,
            "name": "Wrekin Leisure Centre",
            "also_known_as": "",
            "latitude": "52.7",
            "longitude": "-2.5",
        },
    )
    assert added.status_code == 302
    landmark = Landmark.objects.get(organisation=council)
    assert AuditEvent.objects.filter(subject_type="landmark", subject_id=landmark.pk).exists()
    off_map = admin_client.post(
        f"/admin/geo/landmark/{landmark.pk}/change/",
        {
            "organisation": council.pk,
            "name": "Wrekin Leisure Centre",
            "latitude": "95",
            "longitude": "-2.5",
        },
    )
    assert "Enter a latitude and longitude on the map" in text(off_map)
