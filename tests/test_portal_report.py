"""Report a problem or apply: one question a page, your details, check your answers, send."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from html import unescape
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLResolver, get_resolver

from civicdesk.accounts.services import account_register
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case, CaseFollower
from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.core.audit import SYSTEM
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.core.text import describe_deadline
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import Customer
from civicdesk.customers.selectors import customer_duplicates
from civicdesk.customers.services import RESIDENT, CustomerDetails, customer_create
from civicdesk.demo.catalogue_spec import SPEC
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.models import Organisation
from civicdesk.portal.report_journey import DONE_KEY, PENDING_FOLDER, journey_load, journey_save
from civicdesk.portal.report_submit import Submission, report_submit

from . import factories
from .report_setup import (
    IN_SHROPSHIRE,
    PNG,
    PRIVATE_LANE,
    STATION_ROAD,
    Councils,
    councils,
    square,
    street,
)

pytestmark = pytest.mark.django_db

BIN = "/wrekin/report/missed-bin"
POTHOLE = "/wrekin/report/pothole"
DETAILS = {
    "full_name": "Sam Patel",
    "email": "sam@example.com",
    "phone": "",
    "preferred_channel": "email",
}


@pytest.fixture
def places() -> Councils:
    return councils()


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def go(client: Client, path: str, data: dict | None = None, **kwargs):
    if data is None:
        return client.get(path, follow=True, **kwargs)
    return client.post(path, data, follow=True, **kwargs)


def finish_missed_bin(client: Client, details: dict | None = None):
    go(client, f"{BIN}/")
    go(client, f"{BIN}/question/bin/", {"bin": "Recycling"})
    go(client, f"{BIN}/question/details/", {"details": "Left at the gate"})
    go(client, f"{BIN}/your-details/", details or DETAILS)
    page = go(client, f"{BIN}/check/")
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    return token, client.post(f"{BIN}/check/", {"token": token})


def test_service_pages_start_the_journey_only_for_services_that_open_cases(client, places):
    page = text(client.get("/wrekin/services/missed-bin/"))
    assert 'href="/wrekin/report/missed-bin/"' in page
    assert "Start now" in page
    information = places.wrekin.request_types.create(
        service_area=places.missed_bin.service_area,
        key="bin-days",
        name="Find your bin day",
        kind="information",
    )
    assert "Start now" not in text(client.get(f"/wrekin/services/{information.key}/"))
    assert client.get("/wrekin/report/bin-days/").status_code == 404


def test_missed_bin_journey_opens_one_case_and_confirms_it(client, places):
    start = client.get(f"{BIN}/")
    assert start.status_code == 302 and start["Location"] == f"{BIN}/question/bin/"
    page = go(client, f"{BIN}/question/bin/")
    assert "Which bin was missed?" in text(page)
    assert go(client, f"{BIN}/question/bin/", {"bin": "Recycling"}).redirect_chain[-1][0] == (
        f"{BIN}/question/details/"
    )
    go(client, f"{BIN}/question/details/", {"details": "Left at the gate"})
    check = go(client, f"{BIN}/your-details/", DETAILS)
    assert check.redirect_chain[-1][0] == f"{BIN}/check/"
    summary = text(check)
    for shown in ("Recycling", "Left at the gate", "Sam Patel", "sam@example.com", "Email"):
        assert shown in summary
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    sent = client.post(f"{BIN}/check/", {"token": token}, follow=True)
    case = Case.objects.get()
    assert case.answers == {"bin": "Recycling", "details": "Left at the gate"}
    assert case.channel == "web" and case.customer.display_name == "Sam Patel"
    confirmation = text(sent)
    assert "govuk-panel" in confirmation and case.reference in confirmation
    assert f"We aim to collect your bin by {describe_deadline(case.due_at)}" in confirmation
    assert OutboxMessage.objects.filter(case=case, template="case_acknowledgement").count() == 1
    # The journey is over: starting again begins with empty answers.
    again = go(client, f"{BIN}/")
    assert "checked" not in again.content.decode().split("Which bin was missed?")[1][:2000]


def test_a_double_submitted_form_makes_one_case(client, places):
    token, first = finish_missed_bin(client)
    second = client.post(f"{BIN}/check/", {"token": token}, follow=True)
    assert Case.objects.count() == 1
    reference = Case.objects.get().reference
    assert reference in text(second)
    assert first["Location"] == f"{BIN}/sent/"


def test_a_known_email_typed_by_someone_not_signed_in_makes_a_new_customer(client, places):
    known = customer_create(
        organisation=places.wrekin,
        details=CustomerDetails(last_name="Patel", emails=["SAM@example.com"]),
        actor=SYSTEM,
    )
    finish_missed_bin(client)
    case = Case.objects.get()
    assert case.customer != known and case.customer.display_name == "Sam Patel"
    assert Customer.objects.count() == 2
    # Staff can find the two records as likely duplicates and merge them.
    assert customer_duplicates(customer=case.customer) == [known]
    other = Client()
    finish_missed_bin(other, {**DETAILS, "email": "someone@example.com"})
    assert Customer.objects.count() == 3
    # The pages read the same either way.
    assert "We have sent you a message with your reference." in text(go(client, f"{BIN}/sent/"))
    assert "We have sent you a message with your reference." in text(go(other, f"{BIN}/sent/"))


def resident_with_account(places: Councils, email: str = "sam@example.com") -> Customer:
    return account_register(
        organisation=places.wrekin,
        email=email,
        first_name="Sam",
        last_name="Patel",
        actor=SYSTEM,
    ).customer


def test_a_strangers_report_with_a_residents_email_stays_out_of_their_account(client, places):
    resident = resident_with_account(places)
    finish_missed_bin(client)  # someone else, not signed in, types Sam's address
    case = Case.objects.get()
    assert case.customer != resident
    assert not Case.objects.filter(customer=resident).exists()
    assert (
        not OutboxMessage.objects.filter(customer=resident)
        .exclude(template="account_sign_in_link")
        .exists()
    )
    account = Client()
    account.force_login(resident.user)
    home = account.get("/wrekin/account/")
    assert home.status_code == 200
    assert case.reference not in text(home)
    assert account.get(f"/wrekin/account/requests/{case.reference}/").status_code == 404


def test_a_signed_in_resident_reports_on_their_own_record(client, places):
    resident = resident_with_account(places, "own@example.com")
    client.force_login(resident.user)
    # Whatever is typed, the report goes on the signed-in resident's own record.
    finish_missed_bin(client, {**DETAILS, "email": "someone.else@example.com"})
    case = Case.objects.get()
    assert case.customer == resident
    assert Customer.objects.count() == 1
    assert case.reference in text(client.get("/wrekin/account/"))


def test_errors_are_specific_to_the_field_and_keep_what_was_typed(client, places):
    go(client, f"{BIN}/")
    missing = client.post(f"{BIN}/question/bin/", {})
    assert missing.status_code == 400
    assert 'href="#bin">Select which bin was missed' in text(missing)
    go(client, f"{BIN}/question/bin/", {"bin": "Recycling"})
    go(client, f"{BIN}/question/details/", {"details": ""})
    wrong = client.post(
        f"{BIN}/your-details/",
        {"full_name": "Sam Patel", "email": "sam.example.com", "preferred_channel": "email"},
    )
    assert wrong.status_code == 400
    page = text(wrong)
    assert "Enter an email address in the correct format, like name@example.com" in page
    assert 'value="Sam Patel"' in page and 'value="sam.example.com"' in page
    no_way = text(client.post(f"{BIN}/your-details/", {"preferred_channel": "sms"}))
    assert "Enter your full name" in no_way
    assert "Enter your phone number, or choose another way to hear from us" in no_way
    letter = text(
        client.post(f"{BIN}/your-details/", {"full_name": "A B", "preferred_channel": "letter"})
    )
    assert "Enter the first line of your address for letters" in letter


def test_numbers_and_dates_get_govuk_style_messages(client, places):
    go(client, f"{POTHOLE}/")
    go(client, f"{POTHOLE}/question/where/", {"where-description": "Outside number 4, Hill Rise"})
    number = client.post(f"{POTHOLE}/question/depth/", {"depth": "deep"})
    assert number.status_code == 400
    assert "How deep is it, in centimetres must be a number" in text(number)
    assert 'value="deep"' in text(number) and 'inputmode="numeric"' in text(number)
    too_deep = text(client.post(f"{POTHOLE}/question/depth/", {"depth": "500"}))
    assert "must be 100 or less" in too_deep
    go(client, f"{POTHOLE}/question/depth/", {"depth": "8"})
    month = client.post(
        f"{POTHOLE}/question/noticed/", {"noticed-day": "12", "noticed-year": "2026"}
    )
    page = text(month)
    assert month.status_code == 400
    assert 'href="#noticed-month">When did you first notice it must include a month' in page
    assert 'value="12"' in page and 'value="2026"' in page
    unreal = text(
        client.post(
            f"{POTHOLE}/question/noticed/",
            {"noticed-day": "31", "noticed-month": "2", "noticed-year": "2026"},
        )
    )
    assert "When did you first notice it must be a real date" in unreal
    empty = text(client.post(f"{POTHOLE}/question/noticed/", {}))
    assert "Enter when did you first notice it" in empty
    ok = go(
        client,
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "3", "noticed-month": "11", "noticed-year": "2026"},
    )
    assert ok.redirect_chain[-1][0] == f"{POTHOLE}/question/photo/"


def test_dates_take_digits_only_and_a_question_about_the_past_refuses_the_future(client, places):
    go(client, f"{POTHOLE}/")
    go(client, f"{POTHOLE}/question/where/", {"where-description": "Outside number 4, Hill Rise"})
    go(client, f"{POTHOLE}/question/depth/", {"depth": "8"})
    for day, month, year in (("1_0", "11", "2026"), ("3", "1_1", "2026"), ("3", "11", "2_026")):
        refused = client.post(
            f"{POTHOLE}/question/noticed/",
            {"noticed-day": day, "noticed-month": month, "noticed-year": year},
        )
        assert refused.status_code == 400, (day, month, year)
    # Nothing is cut short: "00003" is not read as day 0, nor "2026000" as 2026.
    for day, year in (("00003", "2026"), ("3", "2026000")):
        refused = client.post(
            f"{POTHOLE}/question/noticed/",
            {"noticed-day": day, "noticed-month": "11", "noticed-year": year},
        )
        assert refused.status_code == 400, (day, year)
    future = client.post(
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "1", "noticed-month": "1", "noticed-year": "9999"},
    )
    assert future.status_code == 400
    assert "When did you first notice it must be today or in the past" in text(future)
    assert "noticed" not in journey_load(client.session, "wrekin", "pothole").answers


def test_uploads_must_be_pdf_jpg_or_png_and_wait_privately_until_sent(client, places):
    go(client, f"{POTHOLE}/")
    go(client, f"{POTHOLE}/question/where/", {"where-description": "Outside number 4, Hill Rise"})
    go(client, f"{POTHOLE}/question/depth/", {"depth": "8"})
    go(
        client,
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "3", "noticed-month": "11", "noticed-year": "2026"},
    )
    fake = SimpleUploadedFile("photo.png", b"MZ not really a picture", "image/png")
    refused = client.post(f"{POTHOLE}/question/photo/", {"photo": fake})
    assert refused.status_code == 400
    assert 'href="#photo">The selected file must be a PDF, JPG or PNG' in text(refused)
    photo = SimpleUploadedFile("hole.png", PNG, "image/png")
    accepted = go(client, f"{POTHOLE}/question/photo/", {"photo": photo})
    assert accepted.redirect_chain[-1][0] == f"{POTHOLE}/your-details/"
    _, pending = default_storage.listdir(PENDING_FOLDER)
    assert len(pending) == 1 and "hole" not in pending[0]
    check = go(client, f"{POTHOLE}/your-details/", {"anonymous": "1"})
    assert "hole.png" in text(check) and "We will not be able to send you updates" in text(check)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    client.post(f"{POTHOLE}/check/", {"token": token})
    case = Case.objects.get()
    assert case.customer is None
    assert [a.original_name for a in case.attachments.all()] == ["hole.png"]
    assert case.answers["depth"] == 8 and case.answers["noticed"] == "2026-11-03"
    assert default_storage.listdir(PENDING_FOLDER)[1] == []


def test_another_session_cannot_load_a_journey_or_its_files(client, places):
    go(client, f"{POTHOLE}/")
    go(client, f"{POTHOLE}/question/where/", {"where-description": "Outside number 4, Hill Rise"})
    go(client, f"{POTHOLE}/question/depth/", {"depth": "8"})
    go(
        client,
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "3", "noticed-month": "11", "noticed-year": "2026"},
    )
    go(client, f"{POTHOLE}/question/photo/", {"photo": SimpleUploadedFile("hole.png", PNG)})
    check = go(client, f"{POTHOLE}/your-details/", DETAILS)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    stranger = Client()
    for path in ("check/", "your-details/", "question/depth/", "question/photo/", "sent/"):
        page = go(stranger, f"{POTHOLE}/{path}")
        assert "Hill Rise" not in text(page) and "hole.png" not in text(page)
        assert "Sam Patel" not in text(page)
    # Another session's token sends nothing: the stranger's own journey starts at the top.
    sent = stranger.post(f"{POTHOLE}/check/", {"token": token})
    assert sent.status_code == 302 and sent["Location"] == f"{POTHOLE}/question/where/"
    assert Case.objects.count() == 0
    _, pending = default_storage.listdir(PENDING_FOLDER)
    assert len(pending) == 1
    # Account pages are tried signed in, so that they answer rather than ask to sign in.
    resident = Client()
    resident.force_login(resident_with_account(places, "someone@example.com").user)
    for url in urls_that_might_serve(pending[0]):
        response = (resident if "/account/" in url else stranger).get(url)
        assert response.status_code in refusals_expected(url), url
        assert PNG not in b"".join(getattr(response, "streaming_content", [response.content]))


def refusals_expected(url: str) -> set[int]:
    """A sign-in link (or a staff invitation's link) that is not genuine is a bad request; staff
    pages send a stranger to the staff sign-in; the API asks for a key; either refuses a GET
    where only POST is allowed; everything else is not found."""
    if "/account/link/" in url or "/staff/sign-in/set-password/" in url:
        return {400}
    if url.startswith("/staff/"):
        return {302, 405}
    if url.startswith("/api/"):
        return {401, 405}
    return {404}


def urls_that_might_serve(name: str) -> list[str]:
    """Every address the app answers that could take a stored file's name or id: the storage
    name under /static/ and /media/, and each URL pattern that takes anything besides the
    council, with those parameters filled with the name (or 1 where a number is wanted)."""
    stem = name.partition(".")[0]
    urls = [
        f"/{root}/{folder}{candidate}"
        for root in ("static", "media", "uploads")
        for folder in ("", f"{PENDING_FOLDER}/")
        for candidate in (name, stem)
    ]
    values = {"int": "1", "slug": stem, "str": name, "path": f"{PENDING_FOLDER}/{name}"}
    parameter = re.compile(r"<(?:(\w+):)?(\w+)>")

    def filled(match: re.Match[str]) -> str:
        return "wrekin" if match.group(2) == "council" else values[match.group(1) or "str"]

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif route.startswith("admin/"):
                continue  # staff only, behind the admin sign-in
            elif {m.group(2) for m in parameter.finditer(route)} - {"council"}:
                urls.append("/" + parameter.sub(filled, route))

    walk(get_resolver().url_patterns, "")
    assert "/wrekin/account/requests/" + name + "/documents/1/" in urls
    assert "/wrekin/report/" + stem + "/question/" + stem + "/" in urls
    return urls


def test_a_place_in_another_council_explains_who_to_tell_and_makes_no_case(client, places):
    go(client, f"{POTHOLE}/")
    latitude, longitude = IN_SHROPSHIRE
    page = go(
        client,
        f"{POTHOLE}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )
    assert page.redirect_chain[-1][0] == f"{POTHOLE}/not-ours/"
    assert "Shropshire Council" in text(page)
    assert 'href="https://shropshire.example/"' in text(page)
    assert Case.objects.count() == 0


def test_a_road_the_council_does_not_maintain_says_who_does(client, places):
    go(client, f"{POTHOLE}/")
    latitude, longitude = PRIVATE_LANE
    page = go(
        client,
        f"{POTHOLE}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )
    assert "We do not look after Private Lane" in text(page)
    assert "Lane Residents Ltd" in text(page)
    assert Case.objects.count() == 0


def test_coordinates_must_be_complete_and_on_earth(client, places):
    go(client, f"{POTHOLE}/")
    half = client.post(f"{POTHOLE}/question/where/", {"where-latitude": "52.7"})
    assert half.status_code == 400
    assert 'href="#where-longitude">Enter the longitude as well' in text(half)
    assert 'value="52.7"' in text(half)
    nothing = client.post(f"{POTHOLE}/question/where/", {})
    assert "Choose a point on the map or describe the location" in text(nothing)


def test_a_typed_street_offers_matching_streets_then_nearby_reports(client, places):
    latitude, longitude = STATION_ROAD
    existing = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole",
            channel="phone",
            answers={
                "where": {
                    "latitude": latitude,
                    "longitude": longitude + 0.0005,
                    "description": "Outside number 12, by Mrs Jones's drive",
                },
                "depth": 5,
                "noticed": "2026-11-01",
            },
        ),
        actor=SYSTEM,
    )
    go(client, f"{POTHOLE}/")
    streets = go(client, f"{POTHOLE}/question/where/", {"where-description": "station"})
    assert streets.redirect_chain[-1][0] == f"{POTHOLE}/street/where/"
    assert "Station Road, Wellington" in text(streets) and "Station Close, Hadley" in text(streets)
    assert "Select the street" in text(client.post(f"{POTHOLE}/street/where/", {}))
    nearby = go(client, f"{POTHOLE}/street/where/", {"place": "1"})  # Station Road
    assert nearby.redirect_chain[-1][0] == f"{POTHOLE}/reported-already/where/"
    # Only what is safe to show a stranger: the service, roughly how far, the street, when.
    shown = text(nearby)
    assert "Report a pothole, about 30 metres away on Station Road" in shown
    assert f"Reported on {existing.opened_at.day} {existing.opened_at:%B %Y}" in shown
    assert existing.reference not in shown and "Mrs Jones" not in unescape(shown)
    assert 'value="0"' in shown and str(existing.pk) not in re.findall(r'value="(\d+)"', shown)
    details = go(client, f"{POTHOLE}/reported-already/where/", {"nearby": "0"})
    assert "You chose to follow a report that someone has already made" in text(details)
    assert existing.reference not in text(details)
    followed = go(client, f"{POTHOLE}/your-details/", DETAILS)
    assert "You are following this report" in text(followed)
    # Followers are sent the reference, so the confirmation shows it too; never what was typed.
    assert existing.reference in text(followed) and "Mrs Jones" not in text(followed)
    assert Case.objects.count() == 1
    follower = CaseFollower.objects.get()
    assert follower.case == existing and follower.customer.display_name == "Sam Patel"
    assert OutboxMessage.objects.filter(case=existing, template="case_followed").count() == 1


def test_a_new_problem_next_to_an_open_report_carries_on(client, places):
    go(client, f"{POTHOLE}/")
    latitude, longitude = STATION_ROAD
    page = go(
        client,
        f"{POTHOLE}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )
    assert page.redirect_chain[-1][0] == f"{POTHOLE}/question/depth/"
    go(client, f"{POTHOLE}/question/depth/", {"depth": "3"})
    go(
        client,
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "3", "noticed-month": "11", "noticed-year": "2026"},
    )
    go(client, f"{POTHOLE}/question/photo/", {})
    check = go(client, f"{POTHOLE}/your-details/", DETAILS)
    assert "Station Road, Wellington" in text(check)
    # Change the depth from check answers and come straight back.
    change = go(client, f"{POTHOLE}/question/depth/?change=1")
    assert 'name="return_to" value="check"' in text(change)
    back = go(client, f"{POTHOLE}/question/depth/", {"depth": "7", "return_to": "check"})
    assert back.redirect_chain[-1][0] == f"{POTHOLE}/check/"
    token = re.search(r'name="token" value="([^"]+)"', back.content.decode()).group(1)
    client.post(f"{POTHOLE}/check/", {"token": token})
    case = Case.objects.get()
    assert case.answers["depth"] == 7
    assert (case.latitude, case.longitude) == STATION_ROAD
    assert case.location_text == "Station Road, Wellington"


def test_emergencies_say_to_phone_on_every_page(client, places):
    first = go(client, "/wrekin/report/fallen-tree/")
    assert "phone our 24-hour line on 01632 960199" in text(first)
    details = go(
        client, "/wrekin/report/fallen-tree/question/where/", {"where-description": "Park Lane"}
    )
    assert "phone our 24-hour line on 01632 960199" in text(details)
    check = go(client, "/wrekin/report/fallen-tree/your-details/", DETAILS)
    assert "phone our 24-hour line on 01632 960199" in text(check)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    done = client.post("/wrekin/report/fallen-tree/check/", {"token": token}, follow=True)
    assert "phone our 24-hour line on 01632 960199" in text(done)
    assert Case.objects.get().priority == "emergency"


def two_tier() -> tuple[Organisation, Organisation]:
    """A county and a district inside it; potholes are the county's job."""
    county = factories.OrganisationFactory(
        name="Salop County Council", slug="salop", kind="county", boundary=square(-3, 52, -2, 53)
    )
    district = factories.OrganisationFactory(
        name="Oakengates District Council",
        slug="oakengates",
        kind="district",
        boundary=square(-2.3, 52.6, -2.2, 52.8),
    )
    for council in (county, district):
        pothole = factories.RequestTypeFactory(
            organisation=council, key="potholes", name="Report a pothole", provider_tier="county"
        )
        factories.QuestionFactory(
            request_type=pothole, key="where", label="Where is it?", kind="location"
        )
    return county, district


def test_in_a_two_tier_area_the_case_goes_to_the_council_that_does_the_job(client, places):
    county, _ = two_tier()
    go(client, "/oakengates/report/potholes/")
    passed = go(
        client,
        "/oakengates/report/potholes/question/where/",
        {"where-latitude": "52.7", "where-longitude": "-2.25"},
    )
    assert passed.redirect_chain[-1][0] == "/oakengates/report/potholes/your-details/"
    check = go(client, "/oakengates/report/potholes/your-details/", DETAILS)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    done = client.post("/oakengates/report/potholes/check/", {"token": token}, follow=True)
    case = Case.objects.get()
    assert case.organisation == county and case.customer.organisation == county
    assert "Salop County Council looks after this at the place you chose" in text(done)
    # Tracking happens at the council that holds the case.
    assert 'href="/salop/track/">track your request</a>' in text(done)


def test_every_question_in_the_catalogue_has_a_page(client):
    council = factories.OrganisationFactory(slug="wrekin", emergency_phone="01632 960199")
    catalogue_import(organisation=council, rows=catalogue_rows_read(), spec=SPEC)
    for request_type in council.request_types.filter(active=True):
        if not request_type.opens_cases:
            continue
        start = client.get(f"/wrekin/report/{request_type.key}/")
        assert start.status_code == 302, request_type.key
        for question in request_type.questions.all():
            page = client.get(f"/wrekin/report/{request_type.key}/question/{question.key}/")
            assert page.status_code == 200, (request_type.key, question.key)
            assert question.label in unescape(page.content.decode())


def ready_to_send_missed_bin(client: Client) -> str:
    go(client, f"{BIN}/")
    go(client, f"{BIN}/question/bin/", {"bin": "Recycling"})
    go(client, f"{BIN}/question/details/", {"details": ""})
    go(client, f"{BIN}/your-details/", DETAILS)
    return client.session.session_key


def submit_from(store: SessionStore, journey, places: Councils) -> Case:
    return report_submit(
        session=store,
        submission=Submission(
            request_type=places.missed_bin, provider=places.wrekin, journey=journey
        ),
    )


def test_a_submission_from_an_out_of_date_copy_of_the_session_finds_the_first_case(client, places):
    """The second request loaded the session before the first one saved it: under the lock,
    report_submit reads the session row again and finds that the journey was sent."""
    key = ready_to_send_missed_bin(client)
    first, second = SessionStore(session_key=key), SessionStore(session_key=key)
    journeys = [journey_load(store, "wrekin", "missed-bin") for store in (first, second)]
    made = submit_from(first, journeys[0], places)
    assert second.get(DONE_KEY) is None  # this copy does not know about the first case
    assert submit_from(second, journeys[1], places) == made
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_moment_make_one_case(client, places):
    """Two requests with their own copies of the session send at the same moment, in two
    threads with their own database connections: the locked session row lets one case through."""
    key = ready_to_send_missed_bin(client)
    stores = [SessionStore(session_key=key) for _ in range(2)]
    journeys = [journey_load(store, "wrekin", "missed-bin") for store in stores]
    together = threading.Barrier(2)
    made: list[Case] = []
    failures: list[BaseException] = []

    def send(store: SessionStore, journey) -> None:
        try:
            together.wait(timeout=10)
            made.append(submit_from(store, journey, places))
        except BaseException as problem:  # reported by the main thread
            failures.append(problem)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(stores, journeys, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(made) == 2 and made[0] == made[1]
    assert Case.objects.count() == 1


def test_text_that_is_too_long_is_refused_with_the_limit_never_cut_short(client, places):
    go(client, f"{POTHOLE}/")
    long_place = client.post(f"{POTHOLE}/question/where/", {"where-description": "x" * 301})
    assert long_place.status_code == 400
    assert "The street name or description must be 300 characters or fewer" in text(long_place)
    long_number = client.post(
        f"{POTHOLE}/question/where/",
        {"where-latitude": "52.7" + "0" * 40, "where-longitude": "-2.51"},
    )
    assert long_number.status_code == 400
    assert "Latitude must be a number" in text(long_number)
    go(client, f"{BIN}/")
    go(client, f"{BIN}/question/bin/", {"bin": "Recycling"})
    long_details = client.post(f"{BIN}/question/details/", {"details": "Left at the gate. " * 300})
    assert long_details.status_code == 400
    assert "Anything else we should know must be 5000 characters or fewer" in text(long_details)
    go(client, f"{BIN}/question/details/", {"details": ""})
    too_long = client.post(
        f"{BIN}/your-details/",
        {
            **DETAILS,
            "full_name": "Sam " + "P" * 100,
            "town": "T" * 101,
            "preferred_channel": "letter",
            "address_line_1": "1 High Street",
            "postcode": "TF1 1AA TF1 1AA",
        },
    )
    assert too_long.status_code == 400
    page = text(too_long)
    assert 'href="#full_name">Full name must be 100 characters or fewer' in page
    assert 'href="#town">Town or city must be 100 characters or fewer' in page
    assert 'href="#postcode">Postcode must be 10 characters or fewer' in page
    assert journey_load(client.session, "wrekin", "missed-bin").details is None
    assert Customer.objects.count() == 0


def test_a_council_removed_before_sending_restarts_the_journey_with_a_message(client, places):
    county, _ = two_tier()
    go(client, "/oakengates/report/potholes/")
    go(
        client,
        "/oakengates/report/potholes/question/where/",
        {"where-latitude": "52.7", "where-longitude": "-2.25"},
    )
    check = go(client, "/oakengates/report/potholes/your-details/", DETAILS)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    # The journey points at a council that is no longer on the installation.
    session = client.session
    journey = journey_load(session, "oakengates", "potholes")
    assert journey.provider_id == county.pk
    journey_save(session, "oakengates", "potholes", replace(journey, provider_id=county.pk + 999))
    session.save()
    sent = client.post("/oakengates/report/potholes/check/", {"token": token})
    assert sent.status_code == 302 and sent["Location"] == "/oakengates/report/potholes/"
    again = go(client, sent["Location"])
    assert again.status_code == 200
    assert "we could not send it. Nothing has been sent. Please start again." in text(again)
    assert "Where is it?" in text(again)
    assert journey_load(client.session, "oakengates", "potholes").answers == {}
    assert Case.objects.count() == 0
    # The message is shown once.
    assert "Please start again" not in text(go(client, "/oakengates/report/potholes/"))


def send_pothole(client: Client, council: str) -> None:
    check = go(client, f"/{council}/report/potholes/your-details/", DETAILS)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    client.post(f"/{council}/report/potholes/check/", {"token": token})


def test_a_place_typed_in_words_on_a_districts_pages_goes_to_the_county(client, places):
    county, district = two_tier()
    street(district, "2001", "Market Street", [[-2.26, 52.7], [-2.25, 52.7]])
    go(client, "/oakengates/report/potholes/")
    typed = go(
        client,
        "/oakengates/report/potholes/question/where/",
        {"where-description": "Outside the school gates"},
    )
    assert typed.redirect_chain[-1][0] == "/oakengates/report/potholes/your-details/"
    send_pothole(client, "oakengates")
    # A street offered from the list, but the resident says it is not in the list.
    other = Client()
    go(other, "/oakengates/report/potholes/")
    offered = go(
        other, "/oakengates/report/potholes/question/where/", {"where-description": "market"}
    )
    assert offered.redirect_chain[-1][0] == "/oakengates/report/potholes/street/where/"
    go(other, "/oakengates/report/potholes/street/where/", {"place": "none"})
    send_pothole(other, "oakengates")
    cases = list(Case.objects.order_by("pk"))
    assert [case.organisation for case in cases] == [county, county]
    assert [case.customer.organisation for case in cases] == [county, county]
    assert [case.location_text for case in cases] == ["Outside the school gates", "market"]


def test_a_place_typed_in_words_where_no_council_here_does_the_job_says_who_to(client, places):
    district = factories.OrganisationFactory(
        name="Oakengates District Council",
        slug="oakengates",
        kind="district",
        boundary=square(-2.3, 52.6, -2.2, 52.8),
    )
    pothole = factories.RequestTypeFactory(
        organisation=district,
        key="potholes",
        name="Report a pothole",
        provider_tier="county",
    )
    factories.QuestionFactory(request_type=pothole, key="where", label="Where?", kind="location")
    go(client, "/oakengates/report/potholes/")
    page = go(
        client,
        "/oakengates/report/potholes/question/where/",
        {"where-description": "Outside the school gates"},
    )
    assert page.redirect_chain[-1][0] == "/oakengates/report/potholes/not-ours/"
    assert "looked after by the county council for this place" in text(page)
    assert Case.objects.count() == 0


def test_the_journey_uses_the_customer_records_own_rules_and_resident_actor(client, places):
    finish_missed_bin(client)
    case = Case.objects.get()
    labels = set(
        AuditEvent.objects.filter(subject_type="case", subject_id=case.pk).values_list(
            "actor_label", flat=True
        )
    )
    assert labels == {RESIDENT.label}
    go(client, f"{BIN}/")
    go(client, f"{BIN}/question/bin/", {"bin": "Recycling"})
    go(client, f"{BIN}/question/details/", {"details": ""})
    with mock.patch(
        "civicdesk.portal.report_submit.contact_detail_error", return_value="A rule of the record"
    ) as rule:
        refused = client.post(f"{BIN}/your-details/", DETAILS)
    assert refused.status_code == 400 and "A rule of the record" in text(refused)
    rule.assert_called_with(DetailKind.EMAIL, "sam@example.com")


def test_a_refused_follow_is_explained_on_the_details_page(client, places):
    latitude, longitude = STATION_ROAD
    case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="pothole",
            channel="phone",
            answers={
                "where": {"latitude": latitude, "longitude": longitude},
                "depth": 5,
                "noticed": "2026-11-01",
            },
        ),
        actor=SYSTEM,
    )
    go(client, f"{POTHOLE}/")
    go(
        client,
        f"{POTHOLE}/question/where/",
        {"where-latitude": latitude, "where-longitude": longitude},
    )
    go(client, f"{POTHOLE}/reported-already/where/", {"nearby": "0"})
    refusal = ValidationFailed(
        "There is a problem with the customer's details.",
        fields={"phones": "Enter a telephone number, like 01632 960 001 or 07700 900 982"},
    )
    with mock.patch("civicdesk.portal.report_views.report_follow", side_effect=refusal):
        refused = client.post(f"{POTHOLE}/your-details/", DETAILS)
    assert refused.status_code == 400
    assert 'href="#phone">Enter a telephone number' in text(refused)
    assert CaseFollower.objects.count() == 0
