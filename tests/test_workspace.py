"""The adviser's desktop and the officer's case work, through the staff pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from civicdesk.accounts.services import account_register
from civicdesk.cases.lifecycle import CaseRequest, case_assign, case_open
from civicdesk.cases.models import Case, CaseNote
from civicdesk.cases.selectors import slipping
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import Customer, SupportNeed
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def adviser(council):
    return factories.StaffFactory(organisation=council, role=Role.ADVISER)


@pytest.fixture
def as_adviser(staff_client, adviser):
    return staff_client(adviser)


@pytest.fixture
def as_officer(staff_client, officer):
    return staff_client(officer)


def open_case(council, resident, actor, **extra) -> Case:
    return case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            answers={"bin": "Recycling"},
            **extra,
        ),
        actor=actor,
    )


def test_one_search_box_finds_the_caller_however_they_are_described(
    as_adviser, resident, council, missed_bin, actor
):
    case = open_case(council, resident, actor)
    for query in (
        "Ann Smith",
        "smith",
        "07700 900 123",
        "ANN.SMITH@example.com",
        "TF1 1AA",
        "4 holyhead",
        "Holyhead Road",
        case.reference.lower(),
    ):
        page = as_adviser.get("/staff/", {"q": query}).content.decode()
        assert f'href="/staff/customers/{resident.pk}/"' in page, query
    nobody = as_adviser.get("/staff/", {"q": "Zebedee"}).content.decode()
    assert "Nobody matches" in nobody


def test_a_search_matching_more_customers_than_it_shows_says_so(as_adviser, council):
    factories.CustomerFactory.create_batch(26, organisation=council, first_name="Jo")
    many = as_adviser.get("/staff/", {"q": "jo"}).content.decode()
    assert "More than 25 customers found" in many
    assert many.count('class="civicdesk-search-result"') == 25
    factories.CustomerFactory(organisation=council, first_name="Zak")
    one = as_adviser.get("/staff/", {"q": "zak"}).content.decode()
    assert "1 customer found" in one and "More than" not in one


def test_the_customer_view_shows_details_cases_contacts_and_notifications_in_one_timeline(
    as_adviser, resident, council, missed_bin, actor
):
    case = open_case(council, resident, actor)
    page = as_adviser.get(f"/staff/customers/{resident.pk}/").content.decode()
    assert "07700 900123" in page and "4 Holyhead Road" in page
    assert case.reference in page
    assert "Phone contact from the customer" in page
    assert "sent:" in page  # the acknowledgement in the outbox
    assert "Report a missed bin collection opened" in page


def test_support_needs_are_counted_then_shown_on_request_and_the_viewing_is_audited(
    staff_client, as_adviser, resident, council
):
    SupportNeed.objects.create(
        customer=resident,
        kind="hearing",
        details="Uses a text relay service",
        consent_given_at=timezone.now(),
    )
    first = as_adviser.get(f"/staff/customers/{resident.pk}/").content.decode()
    assert "1 support need is recorded" in first
    assert "text relay" not in first
    shown = as_adviser.get(f"/staff/customers/{resident.pk}/?support=show").content.decode()
    assert "Uses a text relay service" in shown
    assert AuditEvent.objects.filter(action="support_needs_viewed", subject_id=resident.pk).exists()
    administrator = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    hidden = staff_client(administrator).get(f"/staff/customers/{resident.pk}/?support=show")
    assert "Support needs" not in hidden.content.decode()
    assert "text relay" not in hidden.content.decode()


def test_a_chasing_call_linked_to_the_open_case_counts_as_a_repeat_contact(
    as_adviser, resident, council, missed_bin, actor
):
    case = open_case(council, resident, actor)
    response = as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": "phone",
            "reason": "progress_chasing",
            "outcome": "linked_to_case",
            "case": case.reference,
            "summary": "Asked when the bin will be collected",
        },
    )
    assert response.status_code == 302
    chase = Contact.objects.get(summary="Asked when the bin will be collected")
    assert (chase.case, chase.is_repeat, chase.outcome) == (case, True, "linked_to_case")


def test_resolving_at_first_contact_and_missing_answers(as_adviser, resident, adviser):
    refused = as_adviser.post(f"/staff/customers/{resident.pk}/contacts/new/", {"channel": "fax"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Select how the customer got in touch" in page and 'href="#channel"' in page
    assert not Contact.objects.exists()
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": "face_to_face",
            "reason": "information",
            "outcome": "resolved_first_contact",
            "assisted": "yes",
        },
    )
    contact = Contact.objects.get()
    assert (contact.outcome, contact.assisted, contact.handled_by) == (
        "resolved_first_contact",
        True,
        adviser.user,
    )


def test_raising_a_case_asks_the_catalogue_questions_and_stores_contact_and_case_together(
    as_adviser, resident, missed_bin
):
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": "phone",
            "reason": "new_request",
            "outcome": "case",
            "summary": "Bin missed again",
        },
    )
    form = as_adviser.get(f"/staff/customers/{resident.pk}/cases/new/?service=missed-bin")
    assert "Which bin was missed?" in form.content.decode()
    missing = as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/", {"service": "missed-bin"}
    )
    assert missing.status_code == 400
    assert "Select which bin was missed" in missing.content.decode()
    assert not Case.objects.exists() and not Contact.objects.exists()
    done = as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/",
        {"service": "missed-bin", "answer-bin": "Garden waste"},
    )
    case = Case.objects.get()
    assert done["Location"] == f"/staff/cases/{case.reference}/"
    contact = Contact.objects.get()
    assert (contact.case, contact.summary, contact.outcome) == (
        case,
        "Bin missed again",
        "case_created",
    )
    assert OutboxMessage.objects.filter(case=case, template="case_acknowledgement").exists()


def test_an_adviser_who_raises_a_sensitive_case_is_told_where_it_went(
    as_adviser, resident, council
):
    housing = factories.TeamFactory(organisation=council, name="Housing options")
    factories.RequestTypeFactory(
        organisation=council,
        key="homelessness",
        name="Homelessness help",
        sensitive=True,
        service_area=factories.ServiceAreaFactory(organisation=council, team=housing),
    )
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "new_request", "outcome": "case", "summary": "No home"},
    )
    done = as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/", {"service": "homelessness"}
    )
    case = Case.objects.get()
    assert done["Location"] == f"/staff/customers/{resident.pk}/"
    page = as_adviser.get(done["Location"]).content.decode()
    assert f"Case {case.reference} has been raised and passed to Housing options" in page
    # Shown once: the adviser still may not open the case itself.
    assert case.reference not in as_adviser.get(done["Location"]).content.decode()
    assert as_adviser.get(f"/staff/cases/{case.reference}/").status_code == 404


def test_the_service_is_suggested_from_the_advisers_notes(as_adviser, resident, missed_bin):
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": "phone",
            "reason": "new_request",
            "outcome": "case",
            "summary": "The bin men did not empty our recycling bin this morning",
        },
    )
    page = as_adviser.get(f"/staff/customers/{resident.pk}/cases/new/").content.decode()
    suggested = page[page.index("Suggested from your notes") :]
    assert '<a class="govuk-link" href="?service=missed-bin">' in suggested


def test_raising_a_case_needs_the_contact_first(as_adviser, resident, missed_bin):
    response = as_adviser.get(f"/staff/customers/{resident.pk}/cases/new/")
    assert response["Location"] == f"/staff/customers/{resident.pk}/contacts/new/"


def test_an_officer_takes_updates_and_resolves_a_case(
    as_officer, officer, resident, council, missed_bin, actor
):
    case = open_case(council, resident, actor)
    as_officer.post(f"/staff/cases/{case.reference}/take/", {"version": case.version})
    case.refresh_from_db()
    assert (case.assigned_to, case.status) == (officer.user, "assigned")
    as_officer.post(
        f"/staff/cases/{case.reference}/note/",
        {"version": case.version, "visibility": "public", "body": "The crew will call tomorrow."},
    )
    case.refresh_from_db()
    assert OutboxMessage.objects.filter(case=case, template="case_public_update").exists()
    as_officer.post(
        f"/staff/cases/{case.reference}/status/",
        {"version": case.version, "status": "resolved", "note": "Collected."},
    )
    case.refresh_from_db()
    assert case.status == "resolved"
    page = as_officer.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "The crew will call tomorrow." in page and "Collected." in page
    assert f'<a class="govuk-link" href="/staff/customers/{resident.pk}/">Ann Smith</a>' in page


def test_a_stale_edit_is_refused_with_a_clear_message_and_nothing_is_overwritten(
    as_officer, resident, council, missed_bin, actor
):
    case = open_case(council, resident, actor)
    shown_version = case.version
    as_officer.post(
        f"/staff/cases/{case.reference}/note/",
        {"version": shown_version, "visibility": "internal", "body": "First officer"},
    )
    stale = as_officer.post(
        f"/staff/cases/{case.reference}/status/",
        {"version": shown_version, "status": "closed", "note": ""},
    )
    assert stale.status_code == 409
    assert "Someone else changed case" in stale.content.decode()
    case.refresh_from_db()
    assert case.status == "new"
    without_version = as_officer.post(
        f"/staff/cases/{case.reference}/status/", {"status": "closed", "note": ""}
    )
    assert without_version.status_code == 409
    assert "The page was out of date" in without_version.content.decode()
    case.refresh_from_db()
    assert case.status == "new"


def test_waiting_for_the_customer_needs_a_message_and_pauses_the_clock(
    as_officer, resident, council, missed_bin, actor
):
    case = open_case(council, resident, actor)
    refused = as_officer.post(
        f"/staff/cases/{case.reference}/status/", {"version": case.version, "status": "waiting"}
    )
    assert refused.status_code == 400
    assert 'href="#status-note"' in refused.content.decode()
    as_officer.post(
        f"/staff/cases/{case.reference}/status/",
        {"version": case.version, "status": "waiting", "note": "Which house number?"},
    )
    case.refresh_from_db()
    assert (case.status, case.clock_state) == ("waiting", "paused")


def test_templated_replies_carry_the_charter_date(as_officer, resident, council, missed_bin, actor):
    case = open_case(council, resident, actor)
    page = as_officer.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "We aim to collect your bin by" in page
    assert case.reference in page


def test_linking_a_duplicate_closes_it_pointing_at_the_original(
    as_officer, resident, council, missed_bin, actor
):
    original = open_case(council, resident, actor)
    duplicate = open_case(council, resident, actor)
    as_officer.post(
        f"/staff/cases/{duplicate.reference}/duplicate/",
        {"version": duplicate.version, "original": original.reference},
    )
    duplicate.refresh_from_db()
    assert (duplicate.duplicate_of, duplicate.status) == (original, "closed")
    missing = as_officer.post(
        f"/staff/cases/{original.reference}/duplicate/",
        {"version": original.version, "original": "nonsense"},
    )
    assert missing.status_code == 400
    third = open_case(council, resident, actor)
    stale = as_officer.post(
        f"/staff/cases/{third.reference}/duplicate/",
        {"version": third.version - 1, "original": original.reference},
    )
    assert stale.status_code == 409
    third.refresh_from_db()
    assert third.duplicate_of is None


def test_a_new_customer_is_recorded_and_duplicates_can_be_merged(as_adviser, resident):
    response = as_adviser.post(
        "/staff/customers/new/",
        {"first_name": "Ann", "last_name": "Smith", "postcode": "TF1 1AA", "phone": "07700900123"},
    )
    new = Customer.objects.exclude(pk=resident.pk).get()
    assert response["Location"] == f"/staff/customers/{new.pk}/"
    page = as_adviser.get(f"/staff/customers/{resident.pk}/").content.decode()
    assert "Possible duplicate records" in page
    asked = as_adviser.post(f"/staff/customers/{resident.pk}/merge/", {"duplicate": new.pk})
    assert "A merge cannot be undone" in asked.content.decode()
    new.refresh_from_db()
    assert new.merged_into is None
    as_adviser.post(
        f"/staff/customers/{resident.pk}/merge/", {"duplicate": new.pk, "confirm": "yes"}
    )
    new.refresh_from_db()
    assert new.merged_into == resident
    moved = as_adviser.get(f"/staff/customers/{new.pk}/")
    assert moved["Location"] == f"/staff/customers/{resident.pk}/"


def test_an_adviser_sets_up_an_online_account_for_the_customer(as_adviser, resident, adviser):
    as_adviser.post(f"/staff/customers/{resident.pk}/account/", {"email": "ann.smith@example.com"})
    resident.refresh_from_db()
    assert resident.user is not None and resident.account_created_by == adviser.user
    assert Contact.objects.filter(customer=resident, assisted=True).exists()


def test_the_account_goes_on_the_record_the_adviser_has_open(as_adviser, resident, council, actor):
    # Two records share the address (the resident's duplicate, not yet merged): the account
    # must still go on the one the adviser is looking at, not on a new third record.
    twin = customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="A", last_name="Smith", emails=["ann.smith@example.com"]
        ),
        actor=actor,
    )
    response = as_adviser.post(
        f"/staff/customers/{resident.pk}/account/",
        {"email": "ann.smith@example.com", "channel": "face_to_face"},
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    twin.refresh_from_db()
    assert resident.user is not None and twin.user is None
    assert Customer.objects.count() == 2
    contact = Contact.objects.get(customer=resident, assisted=True)
    assert contact.channel == "face_to_face"


def test_an_email_on_someone_elses_account_is_refused_not_joined(
    as_adviser, resident, council, actor
):
    other = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Bob", last_name="Jones", emails=["shared@example.com"]),
        actor=actor,
    )
    account_register(
        organisation=council,
        email="shared@example.com",
        first_name="Bob",
        last_name="Jones",
        actor=actor,
    )
    response = as_adviser.post(
        f"/staff/customers/{resident.pk}/account/", {"email": "shared@example.com"}
    )
    assert response.status_code == 400
    assert "already used by another customer" in response.content.decode()
    resident.refresh_from_db()
    assert resident.user is None
    assert not Contact.objects.filter(assisted=True).exists()
    assert Customer.objects.get(pk=other.pk).user.email == "shared@example.com"


def test_internal_notes_never_go_to_the_customer(as_officer, resident, council, missed_bin, actor):
    case = open_case(council, resident, actor)
    before = OutboxMessage.objects.count()
    as_officer.post(
        f"/staff/cases/{case.reference}/note/",
        {"version": case.version, "visibility": "internal", "body": "Crew short today"},
    )
    assert OutboxMessage.objects.count() == before
    assert CaseNote.objects.get(body="Crew short today").visibility == "internal"


def test_queues_filter_sort_by_due_date_and_flag_what_is_slipping(
    staff_client, officer, resident, council, missed_bin, actor
):
    from datetime import timedelta

    late = open_case(council, resident, actor)
    soon = open_case(council, resident, actor)
    Case.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - timedelta(hours=1), clock_state="overdue", priority="urgent"
    )
    Case.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(days=3))
    as_officer = staff_client(officer)
    page = as_officer.get("/staff/queue/").content.decode()
    assert page.index(late.reference) < page.index(soon.reference)
    assert "Overdue" in page
    overdue_only = as_officer.get("/staff/queue/", {"due": "overdue"}).content.decode()
    assert late.reference in overdue_only and soon.reference not in overdue_only
    urgent = as_officer.get("/staff/queue/", {"priority": "urgent", "team": ""}).content.decode()
    assert late.reference in urgent and soon.reference not in urgent
    by_area = as_officer.get("/staff/queue/", {"area": "TF1", "team": ""}).content.decode()
    assert late.reference in by_area
    elsewhere = as_officer.get("/staff/queue/", {"area": "SY3", "team": ""}).content.decode()
    assert late.reference not in elsewhere
    # TF1 is its own district: not TF10 to TF13. A full postcode works typed either way.
    neighbour = as_officer.get("/staff/queue/", {"area": "tf11", "team": ""}).content.decode()
    assert late.reference not in neighbour
    for typed in ("TF1 1AA", "tf11aa"):
        exact = as_officer.get("/staff/queue/", {"area": typed, "team": ""}).content.decode()
        assert late.reference in exact, typed


def test_the_due_filter_finds_what_the_flags_show_before_the_charter_sweep_has_run(
    staff_client, officer, resident, council, missed_bin, actor
):
    from datetime import timedelta

    now = timezone.now()
    fell_due = open_case(council, resident, actor)
    nearly_due = open_case(council, resident, actor)
    # Both were on track when last swept; one is now past its date, the other near it.
    Case.objects.filter(pk=fell_due.pk).update(
        clock_state="on_track", due_soon_at=now - timedelta(days=2), due_at=now - timedelta(hours=1)
    )
    Case.objects.filter(pk=nearly_due.pk).update(
        clock_state="on_track", due_soon_at=now - timedelta(hours=1), due_at=now + timedelta(days=1)
    )
    as_officer = staff_client(officer)
    overdue = as_officer.get("/staff/queue/", {"due": "overdue"}).content.decode()
    due_soon = as_officer.get("/staff/queue/", {"due": "due_soon"}).content.decode()
    on_track = as_officer.get("/staff/queue/", {"due": "on_track"}).content.decode()
    assert fell_due.reference in overdue and nearly_due.reference not in overdue
    assert nearly_due.reference in due_soon and fell_due.reference not in due_soon
    assert fell_due.reference not in on_track and nearly_due.reference not in on_track


def test_an_officer_takes_from_the_queue_and_a_team_lead_assigns_in_bulk(
    staff_client, officer, council, resident, missed_bin, actor
):
    cases = [open_case(council, resident, actor) for _ in range(3)]
    as_officer = staff_client(officer)
    as_officer.post(
        "/staff/queue/assign/",
        {"take": cases[0].reference, f"version-{cases[0].reference}": cases[0].version},
    )
    cases[0].refresh_from_db()
    assert cases[0].assigned_to == officer.user
    without_version = as_officer.post("/staff/queue/assign/", {"take": cases[1].reference})
    assert without_version.status_code == 400
    assert "the page was out of date" in without_version.content.decode()
    refused = as_officer.post(
        "/staff/queue/assign/", {"case": [cases[1].reference], "officer": officer.user_id}
    )
    assert refused.status_code == 400
    assert "Only team leads and managers" in refused.content.decode()
    lead = factories.StaffFactory(
        organisation=council, role=Role.TEAM_LEAD, teams=[missed_bin.service_area.team]
    )
    as_lead = staff_client(lead)
    stale = {
        f"version-{cases[1].reference}": cases[1].version,
        f"version-{cases[2].reference}": cases[2].version - 1,
    }
    result = as_lead.post(
        "/staff/queue/assign/",
        {"case": [cases[1].reference, cases[2].reference], "officer": officer.user_id, **stale},
    )
    assert result.status_code == 400
    assert "Someone else changed case" in result.content.decode()
    cases[1].refresh_from_db()
    cases[2].refresh_from_db()
    assert (cases[1].assigned_to, cases[2].assigned_to) == (officer.user, None)


def test_a_case_cannot_be_given_to_a_councillor_even_one_listed_in_the_team(
    staff_client, officer, council, resident, missed_bin, actor
):
    case = open_case(council, resident, actor)
    councillor = factories.StaffFactory(
        organisation=council, role=Role.COUNCILLOR, teams=[missed_bin.service_area.team]
    )
    response = staff_client(officer).post(
        f"/staff/cases/{case.reference}/assign/",
        {"officer": councillor.user_id, "version": case.version},
    )
    assert response.status_code == 400
    assert "does not work on this council&#39;s cases" in response.content.decode()
    case.refresh_from_db()
    assert case.assigned_to is None


def test_the_team_lead_view_counts_what_is_overdue_by_officer_and_service(
    staff_client, officer, council, resident, missed_bin, actor
):
    case = open_case(council, resident, actor)
    Case.objects.filter(pk=case.pk).update(clock_state="overdue", assigned_to=officer.user)
    lead = factories.StaffFactory(
        organisation=council, role=Role.TEAM_LEAD, teams=[missed_bin.service_area.team]
    )
    page = staff_client(lead).get("/staff/team-lead/").content.decode()
    assert officer.user.get_full_name() in page
    assert missed_bin.service_area.name in page
    assert 'govuk-tag--red">1<' in page
    assert staff_client(officer).get("/staff/team-lead/").status_code == 403


def test_the_team_lead_sees_a_case_overdue_before_the_charter_sweep_has_run(
    staff_client, officer, council, resident, missed_bin, actor
):
    from datetime import timedelta

    case = open_case(council, resident, actor)
    # Fell due a minute ago; the sweep has not yet stored it as overdue.
    Case.objects.filter(pk=case.pk).update(
        clock_state="on_track",
        due_at=timezone.now() - timedelta(minutes=1),
        due_soon_at=timezone.now() - timedelta(hours=4),
        assigned_to=officer.user,
    )
    lead = factories.StaffFactory(
        organisation=council, role=Role.TEAM_LEAD, teams=[missed_bin.service_area.team]
    )
    page = staff_client(lead).get("/staff/team-lead/").content.decode()
    assert 'govuk-tag--red">1<' in page


def test_messages_nobody_could_match_are_sorted_into_a_case_or_closed(
    as_adviser, council, missed_bin, resident
):
    from civicdesk.channels.models import InboundMessage

    def arrived(number: int) -> InboundMessage:
        return InboundMessage.objects.create(
            organisation=council,
            channel="email",
            message_id=f"<m{number}@example.com>",
            sender="ann.smith@example.com",
            subject=f"Bins again {number}",
            body="The green bin was not emptied.",
            received_at=timezone.now(),
            outcome="triage",
            customer=resident,
        )

    first, second = arrived(1), arrived(2)
    listing = as_adviser.get("/staff/messages/").content.decode()
    assert "Bins again 1" in listing and "Bins again 2" in listing
    missing = as_adviser.post(f"/staff/messages/{first.pk}/", {"service": "missed-bin"})
    assert "Select which bin was missed" in missing.content.decode()
    opened = as_adviser.post(
        f"/staff/messages/{first.pk}/", {"service": "missed-bin", "answer-bin": "Garden waste"}
    )
    case = Case.objects.get()
    assert opened["Location"] == f"/staff/cases/{case.reference}/"
    assert (case.customer, case.channel) == (resident, "email")
    refused = as_adviser.post(f"/staff/messages/{second.pk}/", {"close": "yes", "note": ""})
    assert "Enter a note" in refused.content.decode()
    as_adviser.post(f"/staff/messages/{second.pk}/", {"close": "yes", "note": "Answered by phone"})
    assert "There are no messages to sort" in as_adviser.get("/staff/messages/").content.decode()


def test_feedback_the_customer_gave_is_in_their_timeline(
    as_adviser, resident, council, missed_bin, actor
):
    from civicdesk.feedback.models import ContactRating

    case = open_case(council, resident, actor)
    ContactRating.objects.create(
        organisation=council,
        case=case,
        channel="web",
        source="portal",
        rating="good",
        friendliness=True,
        comment="Quick and polite",
        created_at=timezone.now(),
    )
    page = as_adviser.get(f"/staff/customers/{resident.pk}/").content.decode()
    assert "Rated the service good" in page
    assert "Good for friendliness. They said: Quick and polite" in page


def test_staff_open_case_documents_only_through_the_case_they_may_see(
    as_officer, staff_client, resident, council, missed_bin, actor
):
    from civicdesk.cases.attachments import case_attach
    from civicdesk.cases.documents import Upload

    case = open_case(council, resident, actor)
    from .sample_files import PNG

    document = case_attach(case=case, upload=Upload(name="bin.png", content=PNG), actor=actor)
    url = f"/staff/cases/{case.reference}/documents/{document.pk}/"
    assert f'href="{url}"' in as_officer.get(f"/staff/cases/{case.reference}/").content.decode()
    response = as_officer.get(url)
    assert b"".join(response.streaming_content) == document.file.open("rb").read()
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    elsewhere = factories.StaffFactory(role=Role.MANAGER)
    assert staff_client(elsewhere).get(url).status_code == 404
    other_case = open_case(council, resident, actor)
    wrong_case = f"/staff/cases/{other_case.reference}/documents/{document.pk}/"
    assert as_officer.get(wrong_case).status_code == 404


def test_a_case_raised_a_week_after_an_enquiry_about_the_same_service_is_a_repeat(
    as_adviser, resident, missed_bin, council
):
    """The repeat rule is the same on every path: the call that raises a missed-bin case a week
    after the resident asked about their missed bin is a repeat, like any other contact."""
    contact_log(
        organisation=council,
        customer=resident,
        request_type=missed_bin,
        details=ContactDetails(
            channel="phone",
            reason="information",
            outcome="resolved_first_contact",
            started_at=timezone.now() - timedelta(days=7),
        ),
    )
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "new_request", "outcome": "case", "summary": "Missed"},
    )
    as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/",
        {"service": "missed-bin", "answer-bin": "Garden waste"},
    )
    raising = Contact.objects.get(case__isnull=False)
    assert (raising.outcome, raising.request_type, raising.is_repeat) == (
        "case_created",
        missed_bin,
        True,
    )


def test_take_is_offered_only_on_cases_nobody_has_and_only_case_officers_are_listed(
    staff_client, officer, council, resident, missed_bin, actor
):
    colleague = factories.StaffFactory(
        organisation=council, role=Role.OFFICER, teams=[missed_bin.service_area.team]
    )
    adviser = factories.StaffFactory(
        organisation=council,
        role=Role.ADVISER,
        teams=[missed_bin.service_area.team],
        user__first_name="Adele",
        user__last_name="Adviser",
    )
    free, theirs = open_case(council, resident, actor), open_case(council, resident, actor)
    theirs = case_assign(case=theirs, actor=actor, officer=colleague.user)
    as_officer = staff_client(officer)

    page = as_officer.get("/staff/queue/", {"team": ""}).content.decode()
    assert f'name="take" value="{free.reference}"' in page
    assert f'name="take" value="{theirs.reference}"' not in page
    lead = factories.StaffFactory(
        organisation=council, role=Role.TEAM_LEAD, teams=[missed_bin.service_area.team]
    )
    assignees = staff_client(lead).get("/staff/queue/", {"team": ""}).content.decode()
    assert colleague.user.get_full_name() in assignees
    assert adviser.user.get_full_name() not in assignees

    taken = as_officer.post(
        "/staff/queue/assign/",
        {"take": theirs.reference, f"version-{theirs.reference}": theirs.version},
    )
    assert taken.status_code == 400
    assert "a colleague already has this case" in taken.content.decode()
    theirs.refresh_from_db()
    assert theirs.assigned_to == colleague.user


def test_a_call_is_about_a_case_only_when_the_adviser_says_so(
    as_adviser, adviser, resident, missed_bin, council, actor
):
    """With an open case on the record, a resolved call asking for information is not put on
    it (nor counted as chasing it): only "about an existing case" links a case."""
    open_case(council, resident, actor)
    form = as_adviser.get(f"/staff/customers/{resident.pk}/contacts/new/").content.decode()
    assert '<option value="">Not about an existing case</option>' in form
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {
            "channel": "phone",
            "reason": "information",
            "outcome": "resolved_first_contact",
            "case": Case.objects.get().reference,
            "service": "",
        },
    )
    call = Contact.objects.get(handled_by=adviser.user)
    assert (call.case, call.is_repeat) == (None, False)


def test_the_service_a_call_was_about_is_recorded_and_a_second_call_is_a_repeat(
    as_adviser, resident, missed_bin
):
    def call(outcome: str) -> None:
        as_adviser.post(
            f"/staff/customers/{resident.pk}/contacts/new/",
            {
                "channel": "phone",
                "reason": "information",
                "outcome": outcome,
                "service": "missed-bin",
            },
        )

    call("resolved_first_contact")
    call("transferred")
    first, second = Contact.objects.order_by("started_at", "pk")
    assert (first.request_type, first.is_repeat) == (missed_bin, False)
    assert (second.request_type, second.outcome, second.is_repeat) == (
        missed_bin,
        "transferred",
        True,
    )
    unknown = as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "information", "outcome": "transferred", "service": "x"},
    )
    assert unknown.status_code == 400
    assert "Select a service from the list" in unknown.content.decode()
    assert Contact.objects.count() == 2


def test_raising_a_case_from_a_call_carries_its_service_to_the_case_form(
    as_adviser, resident, missed_bin
):
    response = as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "new_request", "outcome": "case", "service": "missed-bin"},
    )
    assert response["Location"] == f"/staff/customers/{resident.pk}/cases/new/?service=missed-bin"


def test_the_case_form_fills_in_the_customers_address_where_the_service_asks_where(
    as_adviser, resident, council
):
    pothole = factories.RequestTypeFactory(
        organisation=council, key="pothole", name="Report a pothole"
    )
    factories.QuestionFactory(
        request_type=pothole, key="where", label="Where is the pothole?", kind="location"
    )
    as_adviser.post(
        f"/staff/customers/{resident.pk}/contacts/new/",
        {"channel": "phone", "reason": "new_request", "outcome": "case", "summary": "Pothole"},
    )
    form = as_adviser.get(f"/staff/customers/{resident.pk}/cases/new/?service=pothole")
    page = form.content.decode()
    textarea = page[page.index('id="answer-where"') :].split("</textarea>")[0]
    assert textarea.endswith(">4 Holyhead Road, Wellington, TF1 1AA")
    assert "We have filled in the customer&#39;s address. Change it if" in page

    # The adviser changes it: the case is where they said, not at the customer's home.
    as_adviser.post(
        f"/staff/customers/{resident.pk}/cases/new/",
        {"service": "pothole", "answer-where": "Outside the library on Walker Street"},
    )
    assert Case.objects.get().location_text == "Outside the library on Walker Street"


def test_the_team_lead_view_adds_up_to_the_cases_table_in_one_query_however_many_cases(
    staff_client, officer, council, resident, missed_bin, actor
):
    team = missed_bin.service_area.team
    factories.RequestTypeFactory(
        organisation=council,
        key="graffiti",
        service_area=factories.ServiceAreaFactory(organisation=council, team=team, name="Streets"),
    )
    second = factories.StaffFactory(organisation=council, role=Role.OFFICER, teams=[team])
    lead = factories.StaffFactory(organisation=council, role=Role.TEAM_LEAD, teams=[team])
    client = staff_client(lead)

    def open_some(count: int) -> None:
        for number in range(count):
            key = "graffiti" if number % 2 else "missed-bin"
            answers = {} if number % 2 else {"bin": "Recycling"}
            case = case_open(
                organisation=council,
                request=CaseRequest(
                    request_type_key=key, channel="phone", customer=resident, answers=answers
                ),
                actor=actor,
            )
            who = [officer.user, second.user, None][number % 3]
            state = ["overdue", "paused", "on_track"][number % 4 % 3]
            Case.objects.filter(pk=case.pk).update(assigned_to=who, clock_state=state)

    def shown() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]], int]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/staff/team-lead/")
        assert page.status_code == 200
        figures = slipping(staff=lead)
        for row in [*figures.by_officer, *figures.by_service]:
            assert escape(row.label) in page.content.decode()
        return (
            {row.label: (row.overdue, row.waiting, row.open) for row in figures.by_officer},
            {row.label: (row.overdue, row.waiting, row.open) for row in figures.by_service},
            len(queries),
        )

    def from_the_table(field: str) -> dict[object, tuple[int, int, int]]:
        found: dict[object, list[int]] = {}
        for value, state in Case.objects.filter(team=team).values_list(field, "clock_state"):
            counts = found.setdefault(value, [0, 0, 0])
            counts[0] += state == "overdue"
            counts[1] += state == "paused"
            counts[2] += 1
        return {value: tuple(counts) for value, counts in found.items()}

    open_some(3)
    _, _, few = shown()
    open_some(24)
    by_officer, by_service, many = shown()
    assert many == few
    names = {
        officer.user_id: officer.user.get_full_name(),
        second.user_id: second.user.get_full_name(),
    }
    assert by_officer == {
        names.get(key, "Not assigned to an officer"): counts
        for key, counts in from_the_table("assigned_to_id").items()
    }
    assert by_service == from_the_table("request_type__service_area__name")
    assert set(by_service) == {missed_bin.service_area.name, "Streets"}
