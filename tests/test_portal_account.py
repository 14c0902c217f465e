"""Residents' accounts through Django's test client: signing up and in, their own cases only,
adding information, confirming a fix, preferences, and staff setting up accounts at reception."""

from __future__ import annotations

import base64
import re
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from civicdesk.accounts import services
from civicdesk.accounts.services import account_link_token, account_register, account_use_link
from civicdesk.cases.attachments import case_attach
from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.documents import Upload
from civicdesk.cases.lifecycle import CaseRequest, case_open, case_transition
from civicdesk.cases.models import Case, CaseNote
from civicdesk.cases.resident_actions import case_resident_confirm
from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor
from civicdesk.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from civicdesk.customers.choices import DetailKind
from civicdesk.customers.models import AccountSignIn, ContactDetail, Customer
from civicdesk.customers.selectors import accounts_total, active_accounts
from civicdesk.customers.services import RESIDENT, CustomerDetails, customer_create
from civicdesk.demo.catalogue_spec import SPEC
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.organisations.selectors import is_staff_of, is_staff_user
from civicdesk.portal import account_urls, account_views
from civicdesk.web.staff import mark_two_factors_passed

from . import factories
from .sample_files import PDF

pytestmark = pytest.mark.django_db

# Links in messages start with the site's public address, whichever host the request came to.
LINK = re.compile(r"http://localhost:8000(/wrekin/account/link/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def last_link(email: str) -> str:
    message = OutboxMessage.objects.filter(template="account_sign_in_link", recipient=email).latest(
        "id"
    )
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def with_account(customer: Customer) -> Customer:
    email = customer.details.get(kind=DetailKind.EMAIL, is_primary=True).value
    return account_register(
        organisation=customer.organisation,
        email=email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        actor=RESIDENT,
    ).customer


def signed_in(customer: Customer) -> Client:
    client = Client()
    assert customer.user is not None
    client.force_login(customer.user)
    return client


def open_case(customer: Customer, actor: Actor) -> Case:
    return case_open(
        organisation=customer.organisation,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            answers={"bin": "Recycling"},
            customer=customer,
        ),
        actor=actor,
    )


@pytest.fixture
def neighbour(council, actor) -> Customer:
    return customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Bob", last_name="Jones", emails=["bob@example.com"]),
        actor=actor,
    )


# Signing up and in


def test_signing_up_links_the_customer_record_with_that_email_and_sends_a_link(
    client, council, resident
):
    response = client.post(
        "/wrekin/account/create/",
        {"first_name": "Ann", "last_name": "Smith", "email": "Ann.Smith@example.com"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/wrekin/account/check-your-email/"
    page = client.get(response["Location"]).content.decode()
    assert "We have sent a sign-in link to <strong>Ann.Smith@example.com</strong> if" in page
    resident.refresh_from_db()
    assert resident.user is not None
    assert not resident.user.is_staff and not resident.user.has_usable_password()
    assert Customer.objects.count() == 1
    path = last_link("ann.smith@example.com")
    token = path.rsplit("/", 2)[1]
    padded = token.split(":")[0] + "=="
    assert "ann" not in path.lower()
    assert b"ann" not in base64.urlsafe_b64decode(padded.encode()).lower()


def test_signing_up_with_a_new_email_creates_a_customer(client, council, resident):
    client.post(
        "/wrekin/account/create/",
        {"first_name": "Cara", "last_name": "New", "email": "cara@example.com"},
    )
    customer = Customer.objects.get(user__email="cara@example.com")
    assert customer.display_name == "Cara New"
    assert customer.organisation == council
    assert customer.details.get().value == "cara@example.com"


def test_an_email_shared_by_two_customers_gets_a_record_of_its_own(
    client, council, resident, actor
):
    customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="A", last_name="Smith", emails=["ann.smith@example.com"]
        ),
        actor=actor,
    )
    client.post(
        "/wrekin/account/create/",
        {"first_name": "Ann", "last_name": "Smith", "email": "ann.smith@example.com"},
    )
    assert Customer.objects.count() == 3
    assert Customer.objects.filter(user__isnull=False).count() == 1


def test_nobody_can_tell_whether_an_email_has_an_account(client, council, resident):
    with_account(resident)
    answers = []
    for email in ("ann.smith@example.com", "stranger@example.com"):
        response = client.post("/wrekin/account/sign-in/", {"email": email})
        page = client.get(response["Location"]).content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.replace(email, "X"))
        answers.append((response.status_code, response["Location"], page))
    assert answers[0] == answers[1]
    assert OutboxMessage.objects.filter(template="account_sign_in_link").count() == 1
    users = User.objects.count()
    response = client.post(
        "/wrekin/account/create/",
        {"first_name": "Someone", "last_name": "Else", "email": "ann.smith@example.com"},
    )
    assert response["Location"] == "/wrekin/account/check-your-email/"
    assert User.objects.count() == users
    resident.refresh_from_db()
    assert resident.user is not None and resident.user.first_name == "Ann"


def test_sign_up_and_sign_in_errors_say_what_to_do(client, council):
    response = client.post("/wrekin/account/create/", {"email": "not-an-email"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#first_name">Enter your name' in page
    assert "Enter an email address in the correct format" in page
    response = client.post("/wrekin/account/sign-in/", {"email": ""})
    assert response.status_code == 400
    assert "Enter your email address" in response.content.decode()


def test_a_sign_in_link_works_once(client, council, resident):
    client.post("/wrekin/account/sign-in/", {"email": "x@example.com"})
    with_account(resident)
    client.post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    path = last_link("ann.smith@example.com")
    opened = client.get(path)
    assert opened.status_code == 200
    assert "Continue to your account" in opened.content.decode()
    assert not AccountSignIn.objects.exists()
    response = client.post(path)
    assert response["Location"] == "/wrekin/account/"
    assert client.get("/wrekin/account/").status_code == 200
    sign_in = AccountSignIn.objects.get()
    assert (sign_in.customer, sign_in.method) == (resident, "email_link")
    client.post("/wrekin/account/sign-out/")
    assert client.get("/wrekin/account/")["Location"] == "/wrekin/account/sign-in/"
    again = client.post(path)
    assert again.status_code == 400
    assert "expired or has already been used" in again.content.decode()
    assert AccountSignIn.objects.count() == 1


def test_a_link_pressed_twice_at_once_signs_in_only_once(council, resident):
    """The second press arrives while the first is still signing in (after the link was
    checked, before the session exists). Checking the link and moving the last sign-in on are
    one locked step, so the second press finds the link used and signs nobody in."""
    with_account(resident)
    Client().post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    path = last_link("ann.smith@example.com")
    first, second = Client(), Client()
    answers: list = []
    pressed_again = []
    real_login = account_views.login

    def login_while_pressed_again(request, user, backend=None):
        if not pressed_again:
            pressed_again.append(True)
            answers.append(second.post(path))
        real_login(request, user, backend=backend)

    with mock.patch.object(account_views, "login", login_while_pressed_again):
        response = first.post(path)
    assert response["Location"] == "/wrekin/account/"
    assert answers[0].status_code == 400
    assert "expired or has already been used" in answers[0].content.decode()
    assert AccountSignIn.objects.count() == 1
    assert first.get("/wrekin/account/").status_code == 200
    assert second.get("/wrekin/account/")["Location"] == "/wrekin/account/sign-in/"
    # And one after the other: the same link used from another browser does nothing.
    assert Client().post(path).status_code == 400
    assert AccountSignIn.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks; the test above covers it"
)
def test_two_presses_at_once_on_postgresql_sign_in_once(council, resident):
    """Two real transactions at once: the first holds the user row while it records the
    sign-in (made slow here); the second waits for it, then finds the link used."""
    customer = with_account(resident)
    token = account_link_token(customer)
    start = threading.Barrier(2)
    results: list[str] = []
    real_record = services.account_record_sign_in

    def slow_record(**kwargs):
        time.sleep(0.5)
        return real_record(**kwargs)

    def press() -> None:
        try:
            start.wait()
            account_use_link(organisation=council, token=token)
            results.append("signed in")
        except ValidationFailed:
            results.append("link used")
        finally:
            connection.close()

    with mock.patch.object(services, "account_record_sign_in", slow_record):
        threads = [threading.Thread(target=press) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(results) == ["link used", "signed in"]
    assert AccountSignIn.objects.filter(customer=customer).count() == 1


def test_no_more_than_five_links_an_hour_go_to_one_account(client, council, resident):
    with_account(resident)
    for _ in range(7):
        response = client.post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
        assert response["Location"] == "/wrekin/account/check-your-email/"
    assert OutboxMessage.objects.filter(template="account_sign_in_link").count() == 5


def test_a_sign_in_link_expires_after_30_minutes(client, council, resident):
    with_account(resident)
    client.post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    path = last_link("ann.smith@example.com")
    later = time.time() + 31 * 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(path)
    assert response.status_code == 400
    assert not AccountSignIn.objects.exists()


def test_a_link_is_only_good_on_its_own_councils_pages(client, council, resident):
    factories.OrganisationFactory(slug="severn")
    with_account(resident)
    client.post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    path = last_link("ann.smith@example.com").replace("/wrekin/", "/severn/")
    assert client.post(path).status_code == 400
    assert client.post("/wrekin/account/link/not-a-token/").status_code == 400


def test_password_sign_in_and_lock_out(client, council, resident):
    customer = with_account(resident)
    resident_client = signed_in(customer)
    weak = resident_client.post(
        "/wrekin/account/password/", {"password": "12345678", "confirm": "12345678"}
    )
    assert weak.status_code == 400
    assert "This password is too common" in weak.content.decode()
    saved = resident_client.post(
        "/wrekin/account/password/",
        {"password": "bin day on tuesday", "confirm": "bin day on tuesday"},
    )
    assert saved["Location"] == "/wrekin/account/"
    assert resident_client.get("/wrekin/account/").status_code == 200

    good = {"email": "ann.smith@example.com", "password": "bin day on tuesday"}
    response = client.post("/wrekin/account/sign-in/password/", good)
    assert response["Location"] == "/wrekin/account/"
    assert AccountSignIn.objects.get().method == "password"
    client.post("/wrekin/account/sign-out/")

    for _ in range(5):
        wrong = client.post("/wrekin/account/sign-in/password/", {**good, "password": "wrong"})
        assert wrong.status_code == 400
        assert "Enter the email address and password of your account" in wrong.content.decode()
    locked = client.post("/wrekin/account/sign-in/password/", good)
    assert locked.status_code == 429
    assert "Too many attempts to sign in. Wait 15 minutes" in locked.content.decode()
    assert AccountSignIn.objects.count() == 1


def test_password_failures_from_one_address_are_limited_across_accounts(client, council):
    for number in range(20):
        client.post(
            "/wrekin/account/sign-in/password/",
            {"email": f"guess{number}@example.com", "password": "guess"},
        )
    response = client.post(
        "/wrekin/account/sign-in/password/", {"email": "other@example.com", "password": "x"}
    )
    assert response.status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.9")
    response = other.post(
        "/wrekin/account/sign-in/password/", {"email": "other@example.com", "password": "x"}
    )
    assert response.status_code == 400


def test_an_account_without_a_password_cannot_sign_in_with_one(client, council, resident):
    with_account(resident)
    response = client.post(
        "/wrekin/account/sign-in/password/",
        {"email": "ann.smith@example.com", "password": ""},
    )
    assert response.status_code == 400


def test_active_accounts_count_sign_ins_in_the_last_n_days(council, resident, neighbour, actor):
    third = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Cy", emails=["cy@example.com"]),
        actor=actor,
    )
    for customer in (resident, neighbour, third):
        with_account(customer)
    now = timezone.now()
    for customer, days_ago in ((resident, 3), (resident, 10), (neighbour, 60), (third, 120)):
        AccountSignIn.objects.create(
            customer=customer, method="email_link", at=now - timedelta(days=days_ago)
        )
    other = factories.CustomerFactory()
    AccountSignIn.objects.create(customer=other, method="password", at=now)
    assert active_accounts(organisation_id=council.pk, days=30) == 1
    assert active_accounts(organisation_id=council.pk, days=90) == 2
    assert accounts_total(organisation_id=council.pk) == 3


def test_staff_are_never_residents(council, resident, officer):
    customer = with_account(resident)
    staff_client = Client()
    staff_client.force_login(officer.user)
    assert staff_client.get("/wrekin/account/")["Location"] == "/wrekin/account/sign-in/"
    Client().post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    response = staff_client.post(last_link("ann.smith@example.com"))
    assert response.status_code == 403
    assert not AccountSignIn.objects.exists()
    assert customer.user is not None and not customer.user.is_staff


# Their own cases only


def test_residents_see_only_their_own_cases_and_documents(council, resident, neighbour, actor):
    ann, bob = with_account(resident), with_account(neighbour)
    ann_case, bob_case = open_case(ann, actor), open_case(bob, actor)
    ann_document = case_attach(case=ann_case, upload=Upload("letter.pdf", PDF), actor=actor)
    internal = case_attach(
        case=ann_case, upload=Upload("notes.pdf", PDF), actor=actor, public=False
    )
    bob_document = case_attach(case=bob_case, upload=Upload("bob.pdf", PDF), actor=actor)
    client = signed_in(ann)

    home = client.get("/wrekin/account/").content.decode()
    assert ann_case.reference in home and bob_case.reference not in home
    page = client.get(f"/wrekin/account/requests/{ann_case.reference}/").content.decode()
    assert "letter.pdf" in page and "notes.pdf" not in page

    download = client.get(
        f"/wrekin/account/requests/{ann_case.reference}/documents/{ann_document.pk}/"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert "no-store" in download["Cache-Control"]

    for path in (
        f"/wrekin/account/requests/{bob_case.reference}/",
        "/wrekin/account/requests/ZZZZ-ZZZZ/",
        f"/wrekin/account/requests/{bob_case.reference}/documents/{bob_document.pk}/",
        f"/wrekin/account/requests/{ann_case.reference}/documents/{bob_document.pk}/",
        f"/wrekin/account/requests/{ann_case.reference}/documents/{internal.pk}/",
        f"/wrekin/account/requests/{bob_case.reference}/add/",
        f"/wrekin/account/requests/{bob_case.reference}/fixed/",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(
        f"/wrekin/account/requests/{bob_case.reference}/add/", {"information": "hello"}
    )
    assert response.status_code == 404
    assert not CaseNote.objects.filter(case=bob_case).exists()


def test_a_document_missing_from_storage_is_not_found(council, resident, actor):
    customer = with_account(resident)
    case = open_case(customer, actor)
    attachment = case_attach(case=case, upload=Upload("letter.pdf", PDF), actor=actor)
    attachment.file.storage.delete(attachment.file.name)
    response = signed_in(customer).get(
        f"/wrekin/account/requests/{case.reference}/documents/{attachment.pk}/"
    )
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, council, resident, actor):
    case = open_case(with_account(resident), actor)
    for path in (
        "/wrekin/account/",
        f"/wrekin/account/requests/{case.reference}/",
        "/wrekin/account/preferences/",
    ):
        assert client.get(path)["Location"] == "/wrekin/account/sign-in/"


def test_signing_out_on_another_councils_pages_signs_out(council, resident):
    factories.OrganisationFactory(slug="severn")
    client = signed_in(with_account(resident))
    response = client.post("/severn/account/sign-out/")
    assert response["Location"] == "/severn/account/signed-out/"
    assert client.get("/wrekin/account/")["Location"] == "/wrekin/account/sign-in/"


def test_an_account_is_only_for_its_own_council(council, resident):
    factories.OrganisationFactory(slug="severn")
    client = signed_in(with_account(resident))
    assert client.get("/severn/account/")["Location"] == "/severn/account/sign-in/"


# Adding information and confirming a fix


def test_adding_information_restarts_a_case_waiting_for_the_resident(council, resident, actor):
    customer = with_account(resident)
    case = open_case(customer, actor)
    case = case_transition(
        case=case, to_status=CaseStatus.WAITING, actor=actor, note="Which bin was it?"
    )
    client = signed_in(customer)
    page = client.get(f"/wrekin/account/requests/{case.reference}/").content.decode()
    assert "We need more from you" in page and "Which bin was it?" in page
    path = f"/wrekin/account/requests/{case.reference}/add/"
    empty = client.post(path, {"information": " "})
    assert empty.status_code == 400
    assert 'href="#information"' in empty.content.decode()
    bad = client.post(
        path,
        {"information": "x", "document": SimpleUploadedFile("a.pdf", b"not really a pdf")},
    )
    assert bad.status_code == 400
    assert "must be a PDF, JPG or PNG" in bad.content.decode()
    response = client.post(
        path,
        {"information": "The green one", "document": SimpleUploadedFile("photo.pdf", PDF)},
    )
    assert response["Location"] == f"/wrekin/account/requests/{case.reference}/"
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.paused_at is None
    assert case.notes.filter(visibility="public", body="The green one").exists()
    assert case.attachments.get().original_name == "photo.pdf"
    contact = Contact.objects.filter(case=case, channel="web").latest("id")
    assert (contact.customer, contact.direction) == (customer, "inbound")
    page = client.get(response["Location"]).content.decode()
    assert "We have added your information" in page
    assert "The green one" in page


def test_too_much_information_is_refused_not_cut_short(council, resident, actor):
    customer = with_account(resident)
    case = open_case(customer, actor)
    client = signed_in(customer)
    path = f"/wrekin/account/requests/{case.reference}/add/"
    assert "up to 5,000 characters" in client.get(path).content.decode()
    response = client.post(path, {"information": "x" * 5001})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#information">Information must be 5,000 characters or less' in page
    assert "x" * 5001 in page
    assert not case.notes.filter(visibility="public").exists()
    assert client.post(path, {"information": "y" * 5000}).status_code == 302
    assert case.notes.get(visibility="public").body == "y" * 5000


def test_a_document_can_be_added_without_writing_anything(council, resident, actor):
    customer = with_account(resident)
    case = open_case(customer, actor)
    client = signed_in(customer)
    path = f"/wrekin/account/requests/{case.reference}/add/"
    response = client.post(
        path, {"information": "", "document": SimpleUploadedFile("photo.pdf", PDF)}
    )
    assert response["Location"] == f"/wrekin/account/requests/{case.reference}/"
    assert case.attachments.get().original_name == "photo.pdf"
    neither = client.post(path, {"information": " "})
    assert neither.status_code == 400
    assert "or choose a document" in neither.content.decode()


def test_information_cannot_be_added_to_a_closed_case(council, resident, actor):
    customer = with_account(resident)
    case = case_transition(case=open_case(customer, actor), to_status="closed", actor=actor)
    response = signed_in(customer).post(
        f"/wrekin/account/requests/{case.reference}/add/", {"information": "More"}
    )
    assert response.status_code == 400
    assert "can no longer be added" in response.content.decode()


def resolved(customer: Customer, actor: Actor, days_ago: int) -> Case:
    return case_transition(
        case=open_case(customer, actor),
        to_status=CaseStatus.RESOLVED,
        actor=actor,
        now=timezone.now() - timedelta(days=days_ago),
    )


def test_confirming_a_fix_closes_the_case(council, resident, actor):
    customer = with_account(resident)
    case = resolved(customer, actor, days_ago=1)
    client = signed_in(customer)
    path = f"/wrekin/account/requests/{case.reference}/fixed/"
    assert "Tell us whether it is fixed" in client.get(path[: -len("fixed/")]).content.decode()
    missing = client.post(path, {})
    assert missing.status_code == 400
    assert "Select yes if the problem is fixed" in missing.content.decode()
    assert client.post(path, {"fixed": "yes"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_saying_it_is_not_fixed_reopens_the_case_within_the_window(council, resident, actor):
    customer = with_account(resident)
    case = resolved(customer, actor, days_ago=27)
    client = signed_in(customer)
    path = f"/wrekin/account/requests/{case.reference}/fixed/"
    unsaid = client.post(path, {"fixed": "no", "still_wrong": "  "})
    assert unsaid.status_code == 400
    assert 'href="#still_wrong"' in unsaid.content.decode()
    assert "Tell us what is still wrong" in unsaid.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    response = client.post(
        path, {"fixed": "no", "still_wrong": "The hole has opened up again after the rain."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert Contact.objects.filter(case=case, reason="failure_demand").exists()
    note = CaseNote.objects.filter(case=case).latest("id")
    assert note.body == "What is still wrong: The hole has opened up again after the rain."
    assert note.visibility == "public"


def test_answering_twice_says_what_already_happened(council, resident, actor):
    customer = with_account(resident)
    client = signed_in(customer)
    for answer, heading in (("no", "already been reopened"), ("yes", "already been closed")):
        case = resolved(customer, actor, days_ago=1)
        path = f"/wrekin/account/requests/{case.reference}/fixed/"
        assert (
            client.post(path, {"fixed": answer, "still_wrong": "Still broken"}).status_code == 302
        )
        contacts = Contact.objects.filter(case=case).count()
        again = client.post(path, {"fixed": answer})
        assert again.status_code == 200
        page = again.content.decode()
        assert f"Your request has {heading}" in page
        assert "govuk-error-summary" not in page and 'href="#fixed"' not in page
        assert Contact.objects.filter(case=case).count() == contacts


def test_after_the_window_the_resident_is_told_to_report_it_again(
    council, resident, actor, settings
):
    settings.REOPEN_WINDOW_DAYS = 10
    customer = with_account(resident)
    case = resolved(customer, actor, days_ago=11)
    response = signed_in(customer).post(
        f"/wrekin/account/requests/{case.reference}/fixed/", {"fixed": "no"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Report the problem again" in page
    assert "more than 10 days" in page
    assert 'href="#fixed"' not in page
    assert 'href="/wrekin/services/missed-bin/"' in page
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_confirm_service_checks_the_case_is_the_residents(council, resident, neighbour, actor):
    case = resolved(with_account(resident), actor, days_ago=1)
    with pytest.raises(NotFound):
        case_resident_confirm(case=case, customer=neighbour, fixed=True, actor=actor)
    other = open_case(resident, actor)
    with pytest.raises(TransitionNotAllowed):
        case_resident_confirm(case=other, customer=resident, fixed=False, actor=actor)


# Preferences


def test_residents_change_how_we_contact_them(council, resident):
    customer = with_account(resident)
    client = signed_in(customer)
    bad = client.post("/wrekin/account/preferences/", {"preferred_channel": "sms", "phone": "no"})
    assert bad.status_code == 400
    assert 'href="#phone"' in bad.content.decode()
    customer.refresh_from_db()
    assert customer.preferred_channel == "email"
    response = client.post(
        "/wrekin/account/preferences/", {"preferred_channel": "sms", "phone": "07700 900456"}
    )
    assert response["Location"] == "/wrekin/account/"
    customer.refresh_from_db()
    assert customer.preferred_channel == "sms"
    assert "07700 900456" in customer.details.values_list("value", flat=True)
    page = client.get("/wrekin/account/preferences/").content.decode()
    assert "We send sign-in links to ann.smith@example.com" in page
    assert 'name="email"' not in page


def test_a_number_or_address_the_record_has_is_not_added_twice(council, resident):
    customer = with_account(resident)
    client = signed_in(customer)
    before = customer.details.count()
    for phone in ("07700 900123", "+44 7700 900123"):
        client.post("/wrekin/account/preferences/", {"preferred_channel": "email", "phone": phone})
    client.post(
        "/wrekin/account/preferences/",
        {"preferred_channel": "email", "email": "ANN.SMITH@example.com"},
    )
    assert customer.details.count() == before


def test_preferences_never_add_an_unproved_email_address(client, council, resident, actor):
    """Adding someone else's address must not capture their sign-in links or their sign-up."""
    attacker = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Mal", last_name="Lory", emails=["mal@example.com"]),
        actor=actor,
    )
    attacker = with_account(attacker)
    signed_in(attacker).post(
        "/wrekin/account/preferences/",
        {"preferred_channel": "email", "email": "victim@example.com", "phone": ""},
    )
    assert not attacker.details.filter(normalised="victim@example.com").exists()


def test_an_email_on_another_account_never_leads_into_it(client, council, resident, actor):
    """An address recorded on a record that already has an account (by staff, or from before
    addresses had to be proved) is not the account's: its owner gets an account of their own."""
    attacker = with_account(
        customer_create(
            organisation=council,
            details=CustomerDetails(first_name="Mal", last_name="Lory", emails=["mal@example.com"]),
            actor=actor,
        )
    )
    ContactDetail.objects.create(
        customer=attacker,
        kind=DetailKind.EMAIL,
        value="victim@example.com",
        normalised="victim@example.com",
    )
    client.post("/wrekin/account/sign-in/", {"email": "victim@example.com"})
    assert not OutboxMessage.objects.filter(recipient="victim@example.com").exists()
    response = client.post(
        "/wrekin/account/create/",
        {"first_name": "Vic", "last_name": "Tim", "email": "victim@example.com"},
    )
    assert response["Location"] == "/wrekin/account/check-your-email/"
    victim = Customer.objects.get(user__email="victim@example.com")
    assert victim.pk != attacker.pk
    assert client.post(last_link("victim@example.com"))["Location"] == "/wrekin/account/"
    assert AccountSignIn.objects.get().customer == victim
    assert not OutboxMessage.objects.filter(recipient="mal@example.com").exists()


def test_every_form_needs_its_csrf_token(council, resident, officer, actor):
    """Every account page that takes a POST refuses one without the form's CSRF token, and
    every page showing such a form puts the token in it."""
    customer = with_account(resident)
    case = resolved(customer, actor, days_ago=1)
    request = f"/wrekin/account/requests/{case.reference}"
    anyone, resident_client, staff_client = (Client(enforce_csrf_checks=True) for _ in range(3))
    assert customer.user is not None
    resident_client.force_login(customer.user)
    staff_client.force_login(officer.user)
    session = staff_client.session
    mark_two_factors_passed(session, officer.user)
    session.save()
    Client().post("/wrekin/account/sign-in/", {"email": "ann.smith@example.com"})
    link = last_link("ann.smith@example.com")
    privacy = [row for row in catalogue_rows_read() if row["key"] in ("subject-access", "erasure")]
    catalogue_import(
        organisation=council, rows=privacy, spec={row["key"]: SPEC[row["key"]] for row in privacy}
    )
    forms = {
        "account-sign-in": (anyone, "/wrekin/account/sign-in/", {"email": "a@example.com"}),
        "account-sign-in-password": (
            anyone,
            "/wrekin/account/sign-in/password/",
            {"email": "ann.smith@example.com", "password": "x"},
        ),
        "account-create": (
            anyone,
            "/wrekin/account/create/",
            {"first_name": "A", "last_name": "B", "email": "ab@example.com"},
        ),
        "account-link": (anyone, link, {}),
        "account-sign-out": (resident_client, "/wrekin/account/sign-out/", {}),
        "account-preferences": (
            resident_client,
            "/wrekin/account/preferences/",
            {"preferred_channel": "sms", "phone": ""},
        ),
        "account-password": (
            resident_client,
            "/wrekin/account/password/",
            {"password": "a long new passphrase", "confirm": "a long new passphrase"},
        ),
        "account-add-information": (resident_client, f"{request}/add/", {"information": "Hi"}),
        "account-fixed": (resident_client, f"{request}/fixed/", {"fixed": "yes"}),
        "account-copy": (resident_client, "/wrekin/account/your-information/copy/", {}),
        "account-delete": (resident_client, "/wrekin/account/your-information/delete/", {}),
        "account-assisted": (
            staff_client,
            "/wrekin/account/assisted/",
            {"first_name": "Dee", "last_name": "Visitor", "email": "dee@example.com"},
        ),
    }
    no_forms = {"account", "account-check-email", "account-signed-out", "account-case"}
    no_forms |= {"account-document"}
    assert {pattern.name for pattern in account_urls.urlpatterns} == set(forms) | no_forms
    outbox = OutboxMessage.objects.count()
    for name, (client, path, data) in forms.items():
        assert client.post(path, data).status_code == 403, name
        if name != "account-sign-out":
            assert 'name="csrfmiddlewaretoken"' in client.get(path).content.decode(), name
    customer.refresh_from_db()
    case.refresh_from_db()
    assert customer.user is not None and not customer.user.has_usable_password()
    assert (customer.preferred_channel, case.status) == ("email", CaseStatus.RESOLVED)
    assert not AccountSignIn.objects.exists()
    assert OutboxMessage.objects.count() == outbox
    assert resident_client.get("/wrekin/account/").status_code == 200
    assert 'name="csrfmiddlewaretoken"' in resident_client.get("/wrekin/account/").content.decode()


# Staff-assisted registration


def test_only_this_councils_staff_can_set_up_accounts_for_residents(
    client, council, resident, officer
):
    assert client.get("/wrekin/account/assisted/")["Location"] == (
        "/wrekin/staff/sign-in/?next=/wrekin/account/assisted/"
    )
    resident_client = signed_in(with_account(resident))
    assert resident_client.get("/wrekin/account/assisted/").status_code == 403
    elsewhere = factories.StaffFactory(role=Role.ADVISER)
    other_client = Client()
    other_client.force_login(elsewhere.user)
    assert other_client.get("/wrekin/account/assisted/").status_code == 403
    response = other_client.post(
        "/wrekin/account/assisted/",
        {"first_name": "Dee", "last_name": "Visitor", "email": "dee@example.com"},
    )
    assert response.status_code == 403
    assert not Customer.objects.filter(user__email="dee@example.com").exists()


def test_one_check_says_who_is_staff_of_a_council(council, resident, officer):
    other = factories.StaffFactory(role=Role.ADVISER)
    left = factories.StaffFactory(organisation=council, role=Role.ADVISER, active=False)
    assert is_staff_of(officer.user, council)
    assert not is_staff_of(other.user, council)
    assert not is_staff_of(left.user, council)
    account = with_account(resident).user
    assert account is not None
    assert not is_staff_of(account, council)
    assert not is_staff_of(AnonymousUser(), council)
    assert is_staff_user(officer.user) and is_staff_user(left.user)
    assert not is_staff_user(account) and not is_staff_user(AnonymousUser())


def test_reception_staff_sign_in_with_both_factors_and_come_back(client, council, officer):
    import pyotp

    officer.user.set_password("reception-desk-2026")
    officer.user.save()
    officer.totp_secret = pyotp.random_base32()
    officer.save()
    assert client.get("/wrekin/account/assisted/")["Location"] == (
        "/wrekin/staff/sign-in/?next=/wrekin/account/assisted/"
    )
    sign_in = client.get("/wrekin/staff/sign-in/?next=/wrekin/account/assisted/")["Location"]
    client.post(sign_in, {"username": officer.user.username, "password": "reception-desk-2026"})
    # A password alone is not enough.
    assert client.get("/wrekin/account/assisted/").status_code == 302
    code = pyotp.TOTP(officer.totp_secret).now()
    signed_in = client.post("/staff/sign-in/set-up/", {"code": code})
    assert signed_in["Location"] == "/wrekin/account/assisted/"
    assert client.get("/wrekin/account/assisted/").status_code == 200


def test_staff_set_up_an_account_with_a_resident_at_reception(staff_client, council, officer):
    client = staff_client(officer)
    response = client.post(
        "/wrekin/account/assisted/",
        {"first_name": "Dee", "last_name": "Visitor", "email": "dee@example.com"},
    )
    assert response.status_code == 200
    assert "Account set up" in response.content.decode()
    customer = Customer.objects.get(user__email="dee@example.com")
    assert customer.account_created_by == officer.user
    contact = Contact.objects.get(customer=customer)
    assert (contact.channel, contact.assisted, contact.handled_by) == (
        "face_to_face",
        True,
        officer.user,
    )
    path = last_link("dee@example.com")
    resident_client = Client()
    assert resident_client.post(path)["Location"] == "/wrekin/account/"
    assert AccountSignIn.objects.get().customer == customer
    # The member of staff is still signed in as themselves, not as the resident.
    assert client.get("/wrekin/account/")["Location"] == "/wrekin/account/sign-in/"


def test_an_account_staff_set_up_with_a_new_address_shows_only_what_came_after_until_checked(
    staff_client, council, officer, resident, actor
):
    earlier = open_case(resident, actor)
    workspace = staff_client(officer)
    workspace.post(f"/staff/customers/{resident.pk}/account/", {"email": "ann.new@example.com"})
    client = Client()
    client.post(last_link("ann.new@example.com"))
    later = open_case(resident, actor)

    home = client.get("/wrekin/account/").content.decode()
    assert later.reference in home and earlier.reference not in home
    assert client.get(f"/wrekin/account/requests/{earlier.reference}/").status_code == 404
    assert client.get(f"/wrekin/account/requests/{later.reference}/").status_code == 200
    preferences = client.get("/wrekin/account/preferences/").content.decode()
    assert "07700 900123" not in preferences and "4 Holyhead Road" not in preferences

    confirmed = workspace.post(
        f"/staff/customers/{resident.pk}/account/confirm/", {"evidence": "council_letter"}
    )
    assert confirmed.status_code == 302
    home = client.get("/wrekin/account/").content.decode()
    assert earlier.reference in home and "shows requests from" not in home
    assert (
        "ann.new@example.com" in workspace.get(f"/staff/customers/{resident.pk}/").content.decode()
    )
    resident.refresh_from_db()
    assert resident.account_confirmed_by == officer.user
    assert "A letter we sent to them" in resident.account_confirmation
