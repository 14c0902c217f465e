"""Subject access and erasure requests as cases, and the data protection officer's pages: the
one-month clock and its one extension, residents asking from their account, staff and other
systems raising them, the disclosure downloaded once, and erasure checked before it is done."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from civicdesk.accounts.services import account_register
from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open, case_transition
from civicdesk.cases.models import Case, CaseNote
from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.core.audit import Actor
from civicdesk.core.calendar import LONDON, TimeUnit, add_months
from civicdesk.core.errors import TransitionNotAllowed
from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create, customer_merge
from civicdesk.demo.catalogue_spec import SPEC
from civicdesk.integrations.choices import Scope
from civicdesk.integrations.models import Open311Jurisdiction
from civicdesk.integrations.services import api_client_create
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.privacy.choices import ERASURE_SERVICE, SUBJECT_ACCESS_SERVICE
from civicdesk.privacy.models import Disclosure, Erasure
from civicdesk.privacy.requests import privacy_request_raise, subject_access_extend

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db

PRIVACY_SERVICES = (SUBJECT_ACCESS_SERVICE, ERASURE_SERVICE)


@pytest.fixture
def governance(council):
    return factories.TeamFactory(organisation=council, name="Information governance")


@pytest.fixture
def privacy_services(council, governance):
    """The two services as the starter catalogue has them, answered by information governance."""
    rows = [row for row in catalogue_rows_read() if row["key"] in PRIVACY_SERVICES]
    catalogue_import(
        organisation=council,
        rows=rows,
        spec={key: SPEC[key] for key in PRIVACY_SERVICES},
        teams={"Information governance": governance},
    )


@pytest.fixture
def dpo(council, governance):
    return factories.StaffFactory(
        organisation=council, role=Role.DATA_PROTECTION, teams=[governance]
    )


@pytest.fixture
def as_dpo(staff_client, dpo):
    return staff_client(dpo)


@pytest.fixture
def account(resident) -> Customer:
    return account_register(
        organisation=resident.organisation,
        email="ann.smith@example.com",
        first_name="Ann",
        last_name="Smith",
        actor=Actor(label="resident"),
    ).customer


@pytest.fixture
def signed_in(account) -> Client:
    client = Client()
    client.force_login(account.user)
    return client


def one_month_after(moment: datetime, months: int = 1) -> datetime:
    local = moment.astimezone(LONDON)
    return datetime.combine(add_months(local.date(), months), local.time(), tzinfo=LONDON)


def request(council, customer, service=SUBJECT_ACCESS_SERVICE, **extra) -> Case:
    return case_open(
        organisation=council,
        request=CaseRequest(request_type_key=service, channel="web", customer=customer),
        actor=Actor(label="resident"),
        **extra,
    )


def text(response) -> str:
    return response.content.decode()


# --- The request types and their clock -------------------------------------------------------


@pytest.mark.parametrize("service", PRIVACY_SERVICES)
def test_a_request_made_on_31_january_is_due_on_the_last_day_of_february(
    council, resident, privacy_services, governance, service
):
    case = request(council, resident, service, now=london(2026, 1, 31, 10, 15))
    assert case.due_at == london(2026, 2, 28, 10, 15)
    assert (case.target_amount, case.target_unit) == (1, TimeUnit.CALENDAR_MONTHS)
    assert case.team == governance


def test_the_extension_counts_months_from_the_request_not_from_the_shortened_month(
    council, resident, privacy_services, dpo
):
    case = request(council, resident, now=london(2026, 1, 31, 10))
    extended = subject_access_extend(
        case=case,
        months=2,
        reason="You have asked for records from several services.",
        actor=Actor.for_user(dpo.user),
        now=london(2026, 2, 10, 9),
    )
    # Three months from 31 January is 30 April, not two months from 28 February.
    assert extended.due_at == london(2026, 4, 30, 10)


def test_time_spent_waiting_for_the_resident_still_counts_after_an_extension(
    council, resident, privacy_services, dpo
):
    case = request(council, resident, now=london(2026, 3, 2, 10))
    actor = Actor.for_user(dpo.user)
    case = case_transition(
        case=case,
        to_status="waiting",
        note="Please send proof of your identity.",
        actor=actor,
        now=london(2026, 3, 5, 10),
    )
    case = case_transition(
        case=case, to_status="in_progress", actor=actor, now=london(2026, 3, 12, 10)
    )
    assert case.due_at == london(2026, 4, 9, 10)  # 2 April, and the week it waited
    extended = subject_access_extend(
        case=case, months=1, reason="Many records.", actor=actor, now=london(2026, 3, 20, 9)
    )
    assert extended.due_at == london(2026, 5, 9, 10)


def test_an_extension_once_the_month_has_run_out_is_refused_and_changes_nothing(
    council, resident, privacy_services, dpo
):
    case = request(council, resident, now=london(2026, 1, 5, 10))
    with pytest.raises(TransitionNotAllowed, match=r"ran out on .* Nothing was changed"):
        subject_access_extend(
            case=case,
            months=1,
            reason="Late.",
            actor=Actor.for_user(dpo.user),
            now=london(2026, 2, 6, 9),
        )
    assert Case.objects.get(pk=case.pk).due_at == london(2026, 2, 5, 10)
    assert not AuditEvent.objects.filter(action="timescale_extended").exists()


# --- Raised by the resident from their account -----------------------------------------------


def test_a_resident_asks_for_a_copy_of_their_information_from_their_account(
    signed_in, account, privacy_services
):
    home = text(signed_in.get("/wrekin/account/"))
    assert "Ask for a copy of your information" in home
    assert "Delete my account and my details" in home
    page = signed_in.get("/wrekin/account/your-information/copy/")
    expected = one_month_after(timezone.now())
    assert "We must reply within one month: by " in text(page)
    assert f"{expected.day} {expected:%B %Y}" in text(page)

    asked = signed_in.post("/wrekin/account/your-information/copy/")
    case = Case.objects.get()
    assert asked["Location"] == f"/wrekin/account/requests/{case.reference}/"
    assert (case.request_type.key, case.customer, case.channel) == (
        SUBJECT_ACCESS_SERVICE,
        account,
        "web",
    )
    shown = text(signed_in.get(asked["Location"]))
    assert "We have your request. We aim to send you a copy of your information by" in shown
    assert OutboxMessage.objects.filter(case=case, template="case_acknowledgement").exists()

    again = signed_in.post("/wrekin/account/your-information/copy/")
    assert again["Location"] == asked["Location"]
    assert Case.objects.count() == 1
    assert "You have already asked us." in text(signed_in.get(again["Location"]))
    assert case.reference in text(signed_in.get("/wrekin/account/your-information/copy/"))


def test_a_resident_asks_us_to_delete_their_account_and_details(
    signed_in, account, privacy_services
):
    page = text(signed_in.get("/wrekin/account/your-information/delete/"))
    assert "We will reply within one month: by" in page
    assert "Ask us to delete my account and details" in page
    asked = signed_in.post("/wrekin/account/your-information/delete/")
    case = Case.objects.get(request_type__key=ERASURE_SERVICE)
    assert case.customer == account
    assert asked["Location"] == f"/wrekin/account/requests/{case.reference}/"
    assert "We aim to delete your information or tell you why we must keep it by" in text(
        signed_in.get(asked["Location"])
    )
    # The account stays until the officer has done it.
    assert Customer.objects.get(pk=account.pk).user_id is not None


def test_the_requests_need_a_signed_in_resident_and_a_council_that_takes_them(
    client, signed_in, council
):
    for path in (
        "/wrekin/account/your-information/copy/",
        "/wrekin/account/your-information/delete/",
    ):
        assert client.get(path)["Location"] == "/wrekin/account/sign-in/"
        assert client.post(path)["Location"] == "/wrekin/account/sign-in/"
        # A council whose catalogue does not have the service does not offer it.
        assert signed_in.get(path).status_code == 404
    assert "Ask for a copy of your information" not in text(signed_in.get("/wrekin/account/"))
    assert not Case.objects.exists()


# --- Raised by staff and through the APIs ----------------------------------------------------


def test_an_adviser_raises_a_subject_access_request_with_the_case_form(
    staff_client, council, resident, privacy_services
):
    adviser = staff_client(factories.StaffFactory(organisation=council, role=Role.ADVISER))
    adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "new_request", "outcome": "case", "summary": "Wants a SAR"},
    )
    done = adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/",
        {"service": SUBJECT_ACCESS_SERVICE, "answer-format": "By email"},
    )
    case = Case.objects.get()
    assert done["Location"] == f"/staff/cases/{case.reference}/"
    assert case.due_at == one_month_after(case.opened_at)
    assert case.answers == {"format": "By email"}


def test_other_systems_raise_them_through_the_rest_api_and_open311(
    client, council, privacy_services
):
    _, key = api_client_create(
        organisation=council, name="Web forms", scopes=[Scope.CASES_CREATE, Scope.OPEN311]
    )
    made = client.post(
        "/api/v1/cases",
        data=json.dumps(
            {
                "service": SUBJECT_ACCESS_SERVICE,
                "channel": "web",
                "customer": {"name": "Pat Jones", "email": "pat@example.com"},
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    case = Case.objects.get(reference=body["reference"])
    assert body["service"] == SUBJECT_ACCESS_SERVICE
    assert datetime.fromisoformat(body["due_at"]) == one_month_after(case.opened_at)

    Open311Jurisdiction.objects.create(organisation=council, jurisdiction_id="wrekin.example")
    posted = client.post(
        "/open311/v2/requests.json",
        {
            "jurisdiction_id": "wrekin.example",
            "api_key": key,
            "service_code": ERASURE_SERVICE,
            "address_string": "4 Holyhead Road, Wellington",
            "email": "sam@example.com",
            "first_name": "Sam",
            "last_name": "Jones",
        },
    )
    assert posted.status_code == 200, posted.content
    reference = posted.json()[0]["service_request_id"]
    erasure = Case.objects.get(reference=reference)
    assert erasure.request_type.key == ERASURE_SERVICE
    assert erasure.due_at == one_month_after(erasure.opened_at)


# --- Extending the month ---------------------------------------------------------------------


def test_a_data_protection_officer_extends_the_month_once_with_a_reason(
    as_dpo, dpo, council, resident, privacy_services
):
    opened = timezone.now() - timedelta(days=10)
    case = request(council, resident, now=opened)
    case_page = text(as_dpo.get(f"/staff/cases/{case.reference}/"))
    assert "Extend the time limit" in case_page and "Produce the disclosure" in case_page
    path = f"/staff/privacy/requests/{case.reference}/extend/"
    assert "How much more time do you need?" in text(as_dpo.get(path))

    missing = as_dpo.post(path, {"version": case.version})
    assert missing.status_code == 400
    assert "Select how many more months you need" in text(missing)
    assert "Enter the reason for the extension" in text(missing)
    assert 'href="#months"' in text(missing) and 'href="#reason"' in text(missing)
    assert Case.objects.get(pk=case.pk).due_at == one_month_after(opened)

    reason = "You asked for records from five services, so we need more time to collect them."
    done = as_dpo.post(path, {"version": case.version, "months": "2", "reason": reason})
    assert done["Location"] == f"/staff/cases/{case.reference}/#updated"
    case = Case.objects.get(pk=case.pk)
    assert case.due_at == one_month_after(opened, 3)
    update = CaseNote.objects.get(case=case, visibility="public")
    assert update.body.startswith(reason) and "We now aim to finish by" in update.body
    assert OutboxMessage.objects.filter(case=case, template="case_public_update").exists()
    entry = AuditEvent.objects.get(subject_id=case.pk, action="timescale_extended")
    assert (entry.after["reason"], entry.actor) == (reason, dpo.user)
    assert "Timescale extended" in text(as_dpo.get(f"/staff/cases/{case.reference}/"))

    again = as_dpo.post(path, {"version": case.version, "months": "1", "reason": "More."})
    assert again.status_code == 400
    assert "already extended" in text(again) and "only once" in text(again)
    assert Case.objects.get(pk=case.pk).due_at == case.due_at


def test_only_a_subject_access_request_is_extended_here(
    as_dpo, council, resident, privacy_services, missed_bin
):
    other = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=Actor(label="adviser"),
    )
    assert as_dpo.get(f"/staff/privacy/requests/{other.reference}/extend/").status_code == 404
    page = text(as_dpo.get(f"/staff/cases/{other.reference}/"))
    assert "Extend the time limit" not in page and "Produce the disclosure" not in page


# --- The disclosure, downloaded once ---------------------------------------------------------


@pytest.fixture
def history(council, resident, missed_bin, officer):
    """Ann's missed bin, with an officer's note, and her subject access request."""
    bin_case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            description="Bin left on the pavement by the gate",
            answers={"bin": "Recycling"},
        ),
        actor=Actor.for_user(officer.user),
    )
    case_add_note(
        case=bin_case, body="Crew told", visibility="internal", actor=Actor.for_user(officer.user)
    )
    return bin_case


def uploads() -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def test_a_data_protection_officer_produces_a_disclosure_and_downloads_it_once(
    as_dpo, dpo, staff_client, council, resident, officer, history, privacy_services
):
    sar = request(council, resident)
    customer_page = text(as_dpo.get(f"/staff/customers/{resident.pk}/"))
    assert "Produce disclosure" in customer_page and "Erase this person" in customer_page
    adviser = staff_client(factories.StaffFactory(organisation=council, role=Role.ADVISER))
    adviser_page = text(adviser.get(f"/staff/customers/{resident.pk}/"))
    assert "Produce disclosure" not in adviser_page and "Erase this person" not in adviser_page

    form = as_dpo.get(f"/staff/privacy/customers/{resident.pk}/disclosure/?case={sar.reference}")
    assert "For subject access request" in text(form) and sar.reference in text(form)
    produced = as_dpo.post(
        f"/staff/privacy/customers/{resident.pk}/disclosure/", {"case": sar.reference}
    )
    disclosure = Disclosure.objects.get()
    assert produced["Location"] == f"/staff/privacy/disclosures/{disclosure.pk}/"
    assert (disclosure.customer, disclosure.case, disclosure.produced_by) == (
        resident,
        sar,
        dpo.user,
    )
    assert disclosure.bundle.name.startswith(f"privacy/{council.pk}/")
    stored = uploads() / disclosure.bundle.name
    assert stored.exists()

    page = text(as_dpo.get(produced["Location"]))
    assert "Other people named in it" in page
    assert officer.user.get_full_name() in page  # the officer who wrote the note
    assert "Download the disclosure (zip)" in page
    exported = AuditEvent.objects.get(action="subject_access_exported")
    assert (exported.subject_id, exported.after["disclosure"]) == (resident.pk, disclosure.pk)
    assert AuditEvent.objects.filter(subject_id=sar.pk, action="disclosure_produced").exists()

    download = as_dpo.post(f"/staff/privacy/disclosures/{disclosure.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert f'filename="subject-access-{resident.pk}-' in download["Content-Disposition"]
    # Reading the response to its end closes it, as the server does once it has sent it.
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = bundle.namelist()
    assert {"subject-access.json", "subject-access.html"} <= set(names)
    assert "redact-before-release.json" not in names
    data = json.loads(bundle.read("subject-access.json"))
    assert data["customer"] == resident.pk
    assert "Bin left on the pavement by the gate" in bundle.read("subject-access.json").decode()
    assert not stored.exists()  # nothing is left waiting on the server
    disclosure.refresh_from_db()
    assert (disclosure.downloaded_by, disclosure.bundle.name) == (dpo.user, "")
    downloaded = AuditEvent.objects.get(action="subject_access_downloaded")
    assert (downloaded.subject_id, downloaded.actor) == (resident.pk, dpo.user)

    second = as_dpo.post(f"/staff/privacy/disclosures/{disclosure.pk}/download/")
    assert second.status_code == 410
    refused = text(second)
    assert "There is a problem" in refused
    assert f"already downloaded, by {dpo.user.get_full_name()} at" in refused
    assert AuditEvent.objects.filter(action="subject_access_downloaded").count() == 1

    colleague = staff_client(
        factories.StaffFactory(organisation=council, role=Role.DATA_PROTECTION)
    )
    assert colleague.get(f"/staff/privacy/disclosures/{disclosure.pk}/").status_code == 404
    listed = text(colleague.get(f"/staff/privacy/customers/{resident.pk}/disclosure/"))
    assert dpo.user.get_full_name() in listed  # who produced the earlier one, without a link
    assert f"/staff/privacy/disclosures/{disclosure.pk}/" not in listed


def test_only_the_customers_own_subject_access_request_can_be_named(
    as_dpo, council, resident, history, privacy_services
):
    page = as_dpo.get(
        f"/staff/privacy/customers/{resident.pk}/disclosure/?case={history.reference}"
    )
    assert page.status_code == 400
    assert "is not a subject access request of Ann Smith" in text(page)
    refused = as_dpo.post(
        f"/staff/privacy/customers/{resident.pk}/disclosure/", {"case": history.reference}
    )
    assert refused.status_code == 400
    assert not Disclosure.objects.exists()


# --- Erasure ---------------------------------------------------------------------------------


def test_erasure_shows_what_it_will_do_and_erases_on_confirmation(
    as_dpo, dpo, council, account, privacy_services, missed_bin
):
    closed = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            customer=account,
            description="Bin left by the gate at 4 Holyhead Road",
            answers={"bin": "Recycling"},
        ),
        actor=Actor(label="resident"),
    )
    case_transition(case=closed, to_status="closed", actor=Actor.for_user(dpo.user))
    asked = privacy_request_raise(
        customer=account, service_key=ERASURE_SERVICE, actor=Actor(label="resident")
    ).case
    case_page = text(as_dpo.get(f"/staff/cases/{asked.reference}/"))
    assert f'href="/staff/privacy/customers/{account.pk}/erase/"' in case_page

    path = f"/staff/privacy/customers/{account.pk}/erase/"
    plan = text(as_dpo.get(path))
    assert "It cannot be erased yet" not in plan  # the request to erase is not a hold
    assert "Your requests, reports and applications" in plan
    assert (
        "description, answers, location_text, latitude, longitude, public_description blanked"
        in plan
    )
    records = re.search(r'name="records" value="([^"]*)"', plan).group(1)
    assert records == str(account.pk)

    done = as_dpo.post(path, {"records": records})
    assert done["Location"] == path
    erased = Customer.objects.get(pk=account.pk)
    assert (erased.last_name, erased.user_id) == ("[erased]", None)
    assert Case.objects.get(pk=closed.pk).description == ""
    assert Case.objects.get(pk=asked.pk).status == "closed"
    assert Erasure.objects.get(customer=account).finished_at is not None
    assert AuditEvent.objects.filter(subject_id=account.pk, action="personal_data_erased").exists()
    assert "Their personal data was erased at" in text(as_dpo.get(done["Location"]))

    twice = as_dpo.post(path, {"records": records})
    assert twice.status_code == 400
    assert "already erased on" in text(twice) and "Nothing was changed" in text(twice)


def test_a_legal_hold_is_shown_and_erasing_anyway_changes_nothing(
    as_dpo, council, resident, history, privacy_services
):
    path = f"/staff/privacy/customers/{resident.pk}/erase/"
    plan = text(as_dpo.get(path))
    assert "It cannot be erased yet" in plan
    assert f"Case {history.reference} is still open." in plan
    assert "Erase their personal data" not in plan
    refused = as_dpo.post(path, {"records": str(resident.pk)})
    assert refused.status_code == 400
    assert "cannot be erased yet. Nothing was changed." in text(refused)
    assert Customer.objects.get(pk=resident.pk).last_name == "Smith"
    assert not Erasure.objects.exists()


def test_an_erasure_confirmed_after_a_merge_changes_nothing(
    as_dpo, dpo, council, resident, privacy_services
):
    path = f"/staff/privacy/customers/{resident.pk}/erase/"
    unchecked = as_dpo.post(path, {})
    assert unchecked.status_code == 400
    assert "Check what erasure will do" in text(unchecked)
    shown = re.search(r'name="records" value="([^"]*)"', text(as_dpo.get(path))).group(1)
    duplicate = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smyth", emails=["ann@example.org"]),
        actor=Actor(label="adviser"),
    )
    customer_merge(duplicate=duplicate, into=resident, actor=Actor.for_user(dpo.user))
    refused = as_dpo.post(path, {"records": shown})
    assert refused.status_code == 400
    assert "merged into this one since you checked" in text(refused)
    assert "Nothing was changed" in text(refused)
    assert not Erasure.objects.exists()
    assert Customer.objects.get(pk=resident.pk).last_name == "Smith"

    # And the other way: the record shown has since been merged into another.
    survivor = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith-Jones"),
        actor=Actor(label="adviser"),
    )
    customer_merge(duplicate=resident, into=survivor, actor=Actor.for_user(dpo.user))
    moved = as_dpo.post(path, {"records": f"{resident.pk},{duplicate.pk}"})
    assert moved.status_code == 400
    assert f"was merged into customer {survivor.pk}" in text(moved)
    assert not Erasure.objects.exists()
    assert Customer.objects.get(pk=survivor.pk).last_name == "Smith-Jones"
