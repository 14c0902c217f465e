"""Referrals between organisations, through the staff pages: a council refers a case to an NHS
trust, the trust accepts or declines, the resident hears once, and the council sees the outcome
and nothing of the trust's own working."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicdesk.cases.lifecycle import case_add_note, case_transition
from civicdesk.cases.models import Case, CaseNote
from civicdesk.channels.models import InboundMessage
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor
from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import Customer
from civicdesk.notifications.models import OutboxMessage
from civicdesk.referrals.figures import referral_figures
from civicdesk.referrals.models import Referral
from civicdesk.referrals.services import ReferralChoice, referral_send

from . import factories
from .referral_support import PRIVATE_ANSWER, SECRET_NOTE, referral_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return referral_world()


def refer(client, world, **overrides):
    data = {
        "team": str(world.trust_team.pk),
        "reason": "Please assess for a stair rail.",
        "description": "Struggling with the stairs since a fall.",
        "answers": ["need"],
        "documents": [str(world.document.pk)],
        "contact_sharing": "consent",
        **overrides,
    }
    return client.post(f"/staff/cases/{world.case.reference}/refer/", data)


def accept(client, referral, service="home-therapy"):
    return client.post(f"/staff/referrals/{referral.pk}/accept/", {"service": service})


def test_a_referral_accepted_becomes_the_partners_case_and_the_resident_hears_once(
    staff_client, world
):
    council, trust = staff_client(world.adviser), staff_client(world.trust_officer)
    page = council.get(f"/staff/cases/{world.case.reference}/refer/")
    assert page.status_code == 200
    assert "Shropshire Community Health NHS Trust: Community therapy" in page.content.decode()
    # A team that does not take referrals is not offered.
    assert "Podiatry" not in page.content.decode()

    sent = refer(council, world)
    referral = Referral.objects.get()
    assert sent["Location"] == f"/staff/referrals/{referral.pk}/"
    before = OutboxMessage.objects.filter(customer__isnull=False).count()

    inbox = trust.get("/staff/referrals/").content.decode()
    assert "Adult social care assessment" in inbox
    detail = trust.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "A rail by the stairs" in detail and "Ada" in detail
    # Only the answers the adviser ticked go with it.
    assert PRIVATE_ANSWER not in detail

    chosen = trust.get(f"/staff/referrals/{referral.pk}/?service=home-therapy")
    assert "Accept the referral" in chosen.content.decode()
    assert accept(trust, referral).status_code == 302

    referral.refresh_from_db()
    accepted = referral.accepted_case
    assert accepted.organisation == world.partner
    assert accepted.reference != world.case.reference
    assert accepted.due_at is not None and accepted.target_summary == "visit you"
    assert accepted.customer.organisation == world.partner
    assert accepted.customer.details.filter(value="ada.lovelock@example.com").exists()
    assert [doc.original_name for doc in accepted.attachments.all()] == ["stairs.png"]
    assert "Please assess for a stair rail." in accepted.description
    assert PRIVATE_ANSWER not in accepted.description

    to_resident = OutboxMessage.objects.filter(customer__isnull=False).order_by("pk")[before:]
    assert [(m.template, m.organisation_id) for m in to_resident] == [
        ("referral_accepted", world.council.pk)
    ]
    assert accepted.reference in to_resident[0].body
    assert "Shropshire Community Health NHS Trust" in to_resident[0].body

    # The trust works on it with an internal note; the council sees status, not the note.
    case_add_note(
        case=accepted,
        body=SECRET_NOTE,
        visibility="internal",
        actor=Actor.for_user(world.trust_officer.user),
    )
    case_transition(
        case=Case.objects.get(pk=accepted.pk),
        to_status="resolved",
        actor=Actor.for_user(world.trust_officer.user),
    )
    outcome = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert accepted.reference in outcome and "Resolved" in outcome
    assert SECRET_NOTE not in outcome
    case_page = council.get(f"/staff/cases/{world.case.reference}/").content.decode()
    assert accepted.reference in case_page and SECRET_NOTE not in case_page
    # Neither side can open the other's case page.
    assert council.get(f"/staff/cases/{accepted.reference}/").status_code == 404
    assert trust.get(f"/staff/cases/{world.case.reference}/").status_code == 404
    assert set(
        AuditEvent.objects.filter(subject_type="referral").values_list("action", flat=True)
    ) == {"sent", "accepted"}


def test_without_consent_the_partner_gets_the_request_and_not_the_person(staff_client, world):
    council, trust = staff_client(world.adviser), staff_client(world.trust_officer)
    refer(council, world, contact_sharing="not_shared")
    referral = Referral.objects.get()
    detail = trust.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "Lovelock" not in detail and "ada.lovelock@example.com" not in detail
    accept(trust, referral)
    accepted = Referral.objects.get().accepted_case
    assert accepted.customer is None
    assert not Customer.objects.filter(organisation=world.partner).exists()
    message = OutboxMessage.objects.get(template="referral_accepted")
    assert "have not given them your contact details" in message.body
    assert "01632 960400" in message.body


def test_sharing_without_consent_needs_the_lawful_basis_recorded(staff_client, world):
    council = staff_client(world.adviser)
    refused = refer(council, world, contact_sharing="lawful_basis")
    assert refused.status_code == 400
    assert "Record the lawful basis" in refused.content.decode()
    assert not Referral.objects.exists()
    refer(council, world, contact_sharing="lawful_basis", sharing_basis="Vital interests")
    assert Referral.objects.get().sharing_basis == "Vital interests"


def test_nothing_is_sent_to_a_team_that_takes_no_referrals_or_to_our_own(staff_client, world):
    council = staff_client(world.adviser)
    for team in (world.trust_other_team, world.care_team):
        assert refer(council, world, team=str(team.pk)).status_code == 400
    assert refer(council, world, reason="").status_code == 400
    assert not Referral.objects.exists()


def test_a_declined_referral_tells_the_sender_why_and_the_resident_nothing(staff_client, world):
    council, trust = staff_client(world.adviser), staff_client(world.trust_officer)
    refer(council, world)
    referral = Referral.objects.get()
    before = OutboxMessage.objects.filter(customer__isnull=False).count()
    refused = trust.post(f"/staff/referrals/{referral.pk}/decline/", {"reason": "other"})
    assert refused.status_code == 400 and "Say why you cannot take it" in refused.content.decode()
    trust.post(
        f"/staff/referrals/{referral.pk}/decline/",
        {"reason": "not_eligible", "note": "Already has a rail fitted by us."},
    )
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.accepted_case is None
    outcome = council.get(f"/staff/referrals/{referral.pk}/").content.decode()
    assert "The resident does not meet our criteria" in outcome
    assert "Already has a rail fitted by us." in outcome
    assert OutboxMessage.objects.filter(customer__isnull=False).count() == before
    # The sender hears of the decision by email, without the detail.
    assert OutboxMessage.objects.filter(
        template="referral_decided", recipient=world.adviser.user.email
    ).exists()
    # A decided referral cannot be decided again.
    assert accept(trust, referral).status_code == 404
    assert CaseNote.objects.filter(case=world.case, body__contains="declined").exists()


def test_only_the_receiving_team_and_its_manager_decide(staff_client, world):
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    other_team = staff_client(world.trust_other_officer)
    assert other_team.get(f"/staff/referrals/{referral.pk}/").status_code == 404
    assert accept(other_team, referral).status_code == 404
    assert "Adult social care" not in other_team.get("/staff/referrals/").content.decode()
    manager = staff_client(world.trust_manager)
    assert manager.get(f"/staff/referrals/{referral.pk}/").status_code == 200
    assert Referral.objects.get().status == "sent"


def test_the_sender_withdraws_a_referral_not_yet_decided(staff_client, world):
    council, trust = staff_client(world.adviser), staff_client(world.trust_officer)
    refer(council, world)
    referral = Referral.objects.get()
    assert trust.post(f"/staff/referrals/{referral.pk}/withdraw/").status_code == 404
    council.post(f"/staff/referrals/{referral.pk}/withdraw/")
    assert Referral.objects.get().status == "withdrawn"
    assert trust.get(f"/staff/referrals/{referral.pk}/").status_code == 404


def test_a_case_waits_on_one_referral_to_an_organisation_at_a_time(staff_client, world):
    council = staff_client(world.adviser)
    refer(council, world)
    again = refer(council, world)
    assert again.status_code == 400 and "already waiting" in again.content.decode()


def test_an_email_that_reached_the_wrong_organisation_is_referred_not_bounced(staff_client, world):
    contact = factories.ContactFactory(
        organisation=world.council, customer=world.resident, channel="email"
    )
    message = InboundMessage.objects.create(
        organisation=world.council,
        channel="email",
        message_id="<wrong-door@example.com>",
        sender="ada.lovelock@example.com",
        subject="Community nurse visit",
        body="When is the nurse coming to change my dressing?",
        received_at=timezone.now(),
        outcome="triage",
        contact=contact,
        customer=world.resident,
    )
    council = staff_client(world.adviser)
    sorting = council.get(f"/staff/messages/{message.pk}/").content.decode()
    assert f"/staff/contacts/{contact.pk}/refer/?message={message.pk}" in sorting
    form = council.get(f"/staff/contacts/{contact.pk}/refer/?message={message.pk}")
    assert "When is the nurse coming" in form.content.decode()
    council.post(
        f"/staff/contacts/{contact.pk}/refer/",
        {
            "message": str(message.pk),
            "team": str(world.trust_team.pk),
            "reason": "District nursing query",
            "description": "When is the nurse coming to change my dressing?",
            "contact_sharing": "consent",
        },
    )
    referral = Referral.objects.get()
    assert referral.contact == contact and referral.case is None
    message.refresh_from_db()
    assert message.outcome == "triaged"
    accept(staff_client(world.trust_officer), referral)
    told = OutboxMessage.objects.get(template="referral_accepted")
    assert "your enquiry about" in told.body


def test_a_call_logged_for_the_wrong_organisation_goes_on_to_the_referral(staff_client, world):
    council = staff_client(world.adviser)
    logged = council.post(
        f"/staff/customers/{world.resident.pk}/contacts/new/",
        {
            "channel": "phone",
            "reason": "information",
            "outcome": "signposted",
            "signposted_to": "NHS trust",
            "summary": "Asked about her physiotherapy appointment",
            "refer": "yes",
        },
    )
    contact = Contact.objects.filter(customer=world.resident).latest("pk")
    assert logged["Location"] == f"/staff/contacts/{contact.pk}/refer/"


def test_referral_figures_count_from_the_tables_in_a_fixed_number_of_queries(
    world, record_property
):
    actor = Actor.for_user(world.adviser.user)

    def send_some(count: int) -> None:
        for _ in range(count):
            referral_send(
                sender=world.adviser,
                contact=factories.ContactFactory(organisation=world.council),
                choice=ReferralChoice(to_team=world.trust_team, reason="Please help"),
                actor=actor,
            )

    since = timezone.now() - timedelta(days=1)
    send_some(2)
    with CaptureQueriesContext(connection) as few:
        figures = referral_figures(organisation_id=world.council.pk, since=since)
    send_some(8)
    with CaptureQueriesContext(connection) as many:
        figures = referral_figures(organisation_id=world.council.pk, since=since)
    assert len(few) == len(many)
    record_property("measured: referral figures, queries for 2 and for 10 referrals", len(many))
    assert [(row.organisation, row.total, row.waiting) for row in figures.sent] == [
        ("Shropshire Community Health NHS Trust", 10, 10)
    ]
    received = referral_figures(organisation_id=world.partner.pk, since=since)
    assert received.received[0].organisation == "Telford & Wrekin Council"


def test_the_referral_figures_page_shows_acceptance_and_declines(staff_client, world):
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    accept(staff_client(world.trust_officer), referral)
    lead = factories.StaffFactory(organisation=world.council, role="manager")
    page = staff_client(lead).get("/staff/insight/referrals/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Shropshire Community Health NHS Trust" in body and "100%" in body
    adviser_view = staff_client(world.adviser).get("/staff/insight/referrals/")
    assert adviser_view.status_code == 403


def test_a_partner_administrator_chooses_which_of_their_own_teams_take_referrals(client, world):
    from django.contrib.auth.models import Permission

    from .conftest import sign_in_with_both_factors

    admin = factories.StaffFactory(organisation=world.partner, role="admin")
    admin.user.is_staff = True
    admin.user.save()
    admin.user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_team", "change_team"])
    )
    sign_in_with_both_factors(client, admin.user)
    teams = client.get("/admin/organisations/team/")
    assert b"Podiatry" in teams.content and b"Adult social care" not in teams.content
    assert client.get(f"/admin/organisations/team/{world.care_team.pk}/change/").status_code == 302
    change = f"/admin/organisations/team/{world.trust_other_team.pk}/change/"
    form = client.get(change).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name != "accepts_referrals"
    }
    data |= {"organisation": world.partner.pk, "accepts_referrals": "on"}
    assert client.post(change, data).status_code == 302
    world.trust_other_team.refresh_from_db()
    assert world.trust_other_team.accepts_referrals


def test_long_lists_of_referrals_come_a_page_at_a_time_newest_first(staff_client, world):
    actor = Actor.for_user(world.adviser.user)
    reasons = [f"Referral number {number:02d}" for number in range(57)]
    for reason in reasons:
        referral_send(
            sender=world.adviser,
            contact=factories.ContactFactory(organisation=world.council),
            choice=ReferralChoice(to_team=world.trust_team, reason=reason),
            actor=actor,
        )
    newest_first = list(Referral.objects.values_list("pk", flat=True))
    trust = staff_client(world.trust_officer)

    def listed(page) -> list[int]:
        links = re.findall(r'href="/staff/referrals/(\d+)/"', page.content.decode())
        return [int(pk) for pk in links]

    with CaptureQueriesContext(connection) as first_queries:
        first = trust.get("/staff/referrals/")
    page = first.content.decode()
    assert listed(first) == newest_first[:50]
    assert "1 to 50 of 57, newest first" in page
    assert 'href="?received=2#received"' in page and "Older referrals" in page

    with CaptureQueriesContext(connection) as second_queries:
        second = trust.get("/staff/referrals/?received=2")
    assert listed(second) == newest_first[50:]
    assert "51 to 57 of 57, newest first" in second.content.decode()
    assert 'href="?received=1#received"' in second.content.decode()
    assert len(second_queries) == len(first_queries)

    # The status filter is kept from page to page, and a page past the end shows the last.
    waiting = trust.get("/staff/referrals/?status=sent&received=9").content.decode()
    assert "51 to 57 of 57, newest first" in waiting
    assert 'href="?status=sent&amp;received=1#received"' in waiting
    assert listed(trust.get("/staff/referrals/?status=accepted")) == []
