"""Issue 15 through the interfaces residents and staff meet: contact preferences that can be
honoured (a mobile for texts, an address for letters), "it's not fixed" with what is still
wrong, messages that name the request as a resident would and link to the public address,
and the council's own "page not found" and error pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.catalogue.importing import catalogue_rows_read
from civicdesk.catalogue.wording import request_subject
from civicdesk.core.models import AuditEvent
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.feedback.services import rating_invitations_send
from civicdesk.notifications.links import public_link
from civicdesk.notifications.models import OutboxMessage

from .test_portal_account import resolved, signed_in, with_account

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "https://services.wrekin.example"
PREFERENCES = "/wrekin/account/preferences/"


@pytest.fixture
def emailer(council, actor):
    """A resident with an account and only an email address: no phone number, no address."""
    return with_account(
        customer_create(
            organisation=council,
            details=CustomerDetails(first_name="Eve", last_name="Mail", emails=["eve@example.com"]),
            actor=actor,
        )
    )


# Contact preferences


def test_text_messages_need_a_mobile_number(emailer):
    client = signed_in(emailer)
    refused = client.post(PREFERENCES, {"preferred_channel": "sms"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Enter a mobile number to get text messages" in page
    assert 'href="#phone"' in page
    landline = client.post(PREFERENCES, {"preferred_channel": "sms", "phone": "01952 380000"})
    assert landline.status_code == 400
    assert "Enter a mobile number to get text messages" in landline.content.decode()
    emailer.refresh_from_db()
    assert emailer.preferred_channel == "email"
    assert not emailer.details.filter(kind=DetailKind.PHONE).exists()

    saved = client.post(PREFERENCES, {"preferred_channel": "sms", "phone": "07700 900456"})
    assert saved["Location"] == "/wrekin/account/"
    emailer.refresh_from_db()
    assert emailer.preferred_channel == "sms"


def test_phone_calls_need_a_number(emailer):
    refused = signed_in(emailer).post(PREFERENCES, {"preferred_channel": "phone"})
    assert refused.status_code == 400
    assert "Enter a phone number so that we can call you" in refused.content.decode()


def test_letters_need_a_postal_address_which_residents_can_give(emailer):
    client = signed_in(emailer)
    form = client.get(PREFERENCES).content.decode()
    assert 'name="address_line_1"' in form and 'autocomplete="postal-code"' in form
    refused = client.post(PREFERENCES, {"preferred_channel": "letter"})
    assert refused.status_code == 400
    assert "Enter your address to get letters" in refused.content.decode()
    assert 'href="#address_line_1"' in refused.content.decode()

    postcode_only = client.post(PREFERENCES, {"preferred_channel": "letter", "postcode": "TF3 4JA"})
    assert "Enter the first line of your address" in postcode_only.content.decode()
    not_a_postcode = client.post(
        PREFERENCES,
        {"preferred_channel": "letter", "address_line_1": "1 High Street", "postcode": "TF3"},
    )
    assert "Enter a real postcode, like TF3 4JA" in not_a_postcode.content.decode()
    assert 'href="#postcode"' in not_a_postcode.content.decode()
    emailer.refresh_from_db()
    assert emailer.preferred_channel == "email" and emailer.address_line_1 == ""

    saved = client.post(
        PREFERENCES,
        {
            "preferred_channel": "letter",
            "address_line_1": "1 High Street",
            "town": "Wellington",
            "postcode": "tf1 1aa",
        },
    )
    assert saved["Location"] == "/wrekin/account/"
    emailer.refresh_from_db()
    assert emailer.preferred_channel == "letter"
    assert emailer.address_lines == ["1 High Street", "Wellington", "TF1 1AA"]
    audit = AuditEvent.objects.get(subject_id=emailer.pk, action="address_changed")
    assert "High Street" not in str(audit.before) + str(audit.after)
    assert "Postal address: 1 High Street, Wellington, TF1 1AA" in (
        client.get(PREFERENCES).content.decode()
    )


def test_a_letter_goes_to_the_address_the_resident_gave(emailer, actor):
    client = signed_in(emailer)
    client.post(
        PREFERENCES,
        {"preferred_channel": "letter", "address_line_1": "1 High Street", "postcode": "TF1 1AA"},
    )
    emailer.refresh_from_db()
    case_open(
        organisation=emailer.organisation,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            answers={"bin": "Recycling"},
            customer=emailer,
        ),
        actor=actor,
    )
    message = OutboxMessage.objects.get(template="case_acknowledgement")
    assert message.channel == "letter"
    assert message.address == ["Eve Mail", "1 High Street", "TF1 1AA"]


def test_a_blank_address_keeps_the_one_we_have(resident):
    customer = with_account(resident)
    response = signed_in(customer).post(PREFERENCES, {"preferred_channel": "letter"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.address_lines == ["4 Holyhead Road", "Wellington", "TF1 1AA"]


# "It's not fixed"


def test_what_is_still_wrong_is_on_the_case_for_staff(staff_client, officer, resident, actor):
    customer = with_account(resident)
    case = resolved(customer, actor, days_ago=2)
    client = signed_in(customer)
    path = f"/wrekin/account/requests/{case.reference}/fixed/"
    form = client.get(path).content.decode()
    assert 'name="still_wrong"' in form and "If it is not fixed, what is still wrong?" in form
    too_long = client.post(path, {"fixed": "no", "still_wrong": "x" * 2001})
    assert too_long.status_code == 400
    assert "2,000 characters or less" in too_long.content.decode()
    client.post(path, {"fixed": "no", "still_wrong": "The bin by the gate was missed again."})
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    staff_page = staff_client(officer).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "The bin by the gate was missed again." in staff_page
    resident_page = client.get(f"/wrekin/account/requests/{case.reference}/").content.decode()
    assert "The bin by the gate was missed again." in resident_page


def test_saying_it_is_fixed_needs_no_explanation(resident, actor):
    customer = with_account(resident)
    case = resolved(customer, actor, days_ago=1)
    response = signed_in(customer).post(
        f"/wrekin/account/requests/{case.reference}/fixed/",
        {"fixed": "yes", "still_wrong": "ignored"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert not case.notes.filter(body__contains="ignored").exists()


# Messages: the request named as a resident says it, and links to the public address


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Report a pothole or road defect", "a pothole or road defect"),
        ("Report fly-tipping", "fly-tipping"),
        ("Request a new or replacement bin", "a new or replacement bin"),
        ("Book a bulky waste collection", "a bulky waste collection"),
        ("Apply for a blue badge", "a blue badge"),
        ("Apply to join the housing register", "joining the housing register"),
        ("Pay or challenge a parking fine", "a parking fine"),
        ("Tell us you are moving home (council tax)", "moving home (council tax)"),
        ("Ask us to delete your personal information", "deleting your personal information"),
        ("Register a birth or death", "registering a birth or death"),
        ("Make a freedom of information request", "a freedom of information request"),
        ("Garden waste subscription", "garden waste subscription"),
        ("Personal emergency alarm (Care Line)", "personal emergency alarm (Care Line)"),
        ("PCN challenges", "PCN challenges"),
        ("Report", "report"),
    ],
)
def test_requests_are_named_as_a_resident_would_say_them(name, subject):
    assert request_subject(name) == subject


def test_no_starter_service_reads_as_a_command_inside_a_sentence():
    for row in catalogue_rows_read():
        subject = request_subject(row["name"])
        first = subject.split()[0]
        assert first not in {"report", "request", "book", "apply", "make", "ask", "tell", "pay"}
        assert subject[0].islower() or subject.split()[0].isupper(), subject


@hypothesis_settings(deadline=None, max_examples=200)
@given(st.text(min_size=1, max_size=80).filter(lambda text: text.strip()))
def test_every_name_gives_something_to_say(name):
    subject = request_subject(name)
    assert subject.strip()
    assert subject.lower() in " ".join(name.split()).lower() or subject.startswith(
        ("joining ", "deleting ", "registering ", "help ")
    )


def test_messages_name_the_request_and_link_to_the_public_address(
    settings, client, council, resident, actor
):
    settings.PUBLIC_BASE_URL = PUBLIC
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            answers={"bin": "Recycling"},
            customer=resident,
        ),
        actor=actor,
    )
    acknowledgement = OutboxMessage.objects.get(template="case_acknowledgement")
    assert "your request about a missed bin collection" in acknowledgement.body
    assert "about report a" not in acknowledgement.body.lower()
    assert f"{PUBLIC}/wrekin/track/" in acknowledgement.body

    case.status, case.resolved_at = CaseStatus.RESOLVED, case.opened_at
    case.save()
    rating_invitations_send()
    rating = OutboxMessage.objects.get(template="case_rating_invitation")
    assert "your request about a missed bin collection" in rating.body
    assert f"{PUBLIC}/wrekin/feedback/rate/" in rating.body

    # The sign-in link too, although the request came to another host name.
    with_account(resident)
    client.post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    link = OutboxMessage.objects.filter(template="account_sign_in_link").latest("id")
    assert f"{PUBLIC}/wrekin/account/link/" in link.body
    assert "testserver" not in link.body


def test_staff_setting_up_an_account_send_the_public_link(
    settings, staff_client, officer, resident
):
    settings.PUBLIC_BASE_URL = PUBLIC
    staff_client(officer).post(
        f"/staff/customers/{resident.pk}/account/", {"email": "ann.new@example.com"}
    )
    message = OutboxMessage.objects.get(recipient="ann.new@example.com")
    assert f"{PUBLIC}/wrekin/account/link/" in message.body


def test_a_link_is_built_from_a_path(settings):
    settings.PUBLIC_BASE_URL = f"{PUBLIC}/"
    assert public_link("/wrekin/track/") == f"{PUBLIC}/wrekin/track/"
    with pytest.raises(ValueError, match="starts with a slash"):
        public_link("wrekin/track/")


# The council's own pages for an address that leads nowhere, and for a fault


def test_an_unknown_survey_shows_the_councils_page_not_found(client, council):
    response = client.get("/wrekin/feedback/place/no-such-code/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Wrekin Council" in page
    assert 'href="/wrekin/services/"' in page and 'href="/wrekin/track/"' in page
    assert "URLconf" not in page


def test_an_address_outside_any_council_shows_the_installations_page(client, council):
    response = client.get("/no-such-council-or-page/at-all/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Wrekin Council" not in response.content.decode()


def test_a_fault_shows_the_councils_error_page(council):
    client = Client(raise_request_exception=False)
    with mock.patch("civicdesk.portal.views.case_for_tracking", side_effect=RuntimeError("boom")):
        response = client.post(
            "/wrekin/track/", {"reference": "ABCD-2345", "email_or_phone": "a@example.com"}
        )
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page and "Wrekin Council" in page
    assert "boom" not in page


def test_the_error_page_does_without_the_council_when_it_cannot_find_it(council):
    client = Client(raise_request_exception=False)
    with (
        mock.patch("civicdesk.portal.views.case_for_tracking", side_effect=RuntimeError("boom")),
        mock.patch(
            "civicdesk.portal.errors.organisation_by_slug", side_effect=RuntimeError("db down")
        ),
    ):
        response = client.post(
            "/wrekin/track/", {"reference": "ABCD-2345", "email_or_phone": "a@example.com"}
        )
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"


def test_make_run_serves_with_debug_off_and_its_own_address():
    """`make run` (scripts/serve) turns DEBUG off and gives the web server and worker one
    public address; the development settings honour both."""
    serve = (ROOT / "scripts" / "serve").read_text()
    assert "export DEBUG=${DEBUG:-false}" in serve
    assert "export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://$HOST:$PORT}" in serve
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8123",
    }
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.PUBLIC_BASE_URL)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["False", "http://127.0.0.1:8123"]
