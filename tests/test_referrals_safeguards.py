"""Referrals kept honest at their edges: each organisation's erasure and retention reach only
its own records, a referral is sent once however often the button is pressed, accepting never
fails on a document gone from storage, both sides' reading of a sensitive referral is logged,
and the messages about referrals use the shared wording and links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from civicdesk.cases.models import Case
from civicdesk.catalogue.models import RequestType
from civicdesk.core.audit import Actor
from civicdesk.notifications.models import OutboxMessage
from civicdesk.privacy.choices import AccessKind
from civicdesk.privacy.models import AccessEntry
from civicdesk.privacy.registry import PLACEHOLDER
from civicdesk.privacy.retention import retention_apply
from civicdesk.privacy.services import customer_erase
from civicdesk.referrals import services as referral_services
from civicdesk.referrals.models import Referral

from . import factories
from .referral_support import referral_world

pytestmark = pytest.mark.django_db

BASIS = "Safeguarding: Care Act 2014 section 42"


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
        "contact_sharing": "lawful_basis",
        "sharing_basis": BASIS,
        **overrides,
    }
    return client.post(f"/staff/cases/{world.case.reference}/refer/", data)


def accept(client, referral, service="home-therapy"):
    return client.post(f"/staff/referrals/{referral.pk}/accept/", {"service": service})


def close_long_ago(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=365 * 12)
    )


def sent_and_accepted(staff_client, world) -> Referral:
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    assert accept(staff_client(world.trust_officer), referral).status_code == 302
    referral.refresh_from_db()
    return referral


def assert_sender_record_whole(referral: Referral) -> None:
    referral.refresh_from_db()
    assert referral.reason == "Please assess for a stair rail."
    assert referral.sharing_basis == BASIS
    assert referral.shared_contact["last_name"] == "Lovelock"
    assert referral.shared_description == "Struggling with the stairs since a fall."


# Erasure and retention: each side erases only what it holds


def test_the_receivers_erasure_reaches_its_own_case_and_not_the_senders_record(staff_client, world):
    referral = sent_and_accepted(staff_client, world)
    accepted = referral.accepted_case
    close_long_ago(accepted)

    customer_erase(customer=accepted.customer, actor=Actor(label="Trust data protection"))

    accepted.refresh_from_db()
    assert "stair rail" not in accepted.description
    # What the council disclosed, and on what basis, stays in the council's record.
    assert_sender_record_whole(referral)


def test_the_receivers_retention_leaves_the_senders_record_alone(staff_client, world):
    referral = sent_and_accepted(staff_client, world)
    close_long_ago(referral.accepted_case)

    retention_apply()

    accepted = Case.objects.get(pk=referral.accepted_case_id)
    assert "stair rail" not in accepted.description
    assert_sender_record_whole(referral)


def test_the_senders_erasure_blanks_its_own_record_and_not_the_receivers_case(staff_client, world):
    referral = sent_and_accepted(staff_client, world)
    close_long_ago(world.case)

    customer_erase(customer=world.resident, actor=Actor(label="Council data protection"))

    referral.refresh_from_db()
    assert referral.reason == PLACEHOLDER
    assert (referral.sharing_basis, referral.shared_contact, referral.shared_description) == (
        "",
        {},
        "",
    )
    accepted = Case.objects.select_related("customer").get(pk=referral.accepted_case_id)
    assert "Please assess for a stair rail." in accepted.description
    assert accepted.customer.last_name == "Lovelock"


def test_the_senders_retention_and_erasure_wait_for_a_referral_still_undecided(staff_client, world):
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    close_long_ago(world.case)

    retention_apply()
    assert_sender_record_whole(referral)
    with pytest.raises(Exception, match="still waiting for them to decide"):
        customer_erase(customer=world.resident, actor=Actor(label="Council data protection"))
    assert_sender_record_whole(referral)

    # Once decided, it goes the way of the rest of the case.
    assert accept(staff_client(world.trust_officer), referral).status_code == 302
    retention_apply()
    referral.refresh_from_db()
    assert referral.reason == PLACEHOLDER and referral.shared_contact == {}


# Sending twice


def test_sending_the_same_referral_twice_makes_one(staff_client, world):
    council = staff_client(world.adviser)
    assert refer(council, world).status_code == 302
    again = refer(council, world)
    assert again.status_code == 400
    assert "already waiting for Shropshire Community Health NHS Trust" in again.content.decode()
    assert Referral.objects.count() == 1


def test_two_sends_at_the_same_moment_make_one(staff_client, world, monkeypatch):
    """Both sends pass the friendly check before either is saved: the database turns the second
    away, and the adviser reads the same message, not an error page."""
    monkeypatch.setattr(referral_services, "_open_referral_exists", lambda **_: False)
    council = staff_client(world.adviser)
    assert refer(council, world).status_code == 302
    again = refer(council, world)
    assert again.status_code == 400
    page = again.content.decode()
    assert "govuk-error-summary" in page and "already waiting for" in page
    assert Referral.objects.count() == 1


def test_a_contact_waits_on_one_referral_to_an_organisation_at_a_time(
    staff_client, world, monkeypatch
):
    contact = factories.ContactFactory(
        organisation=world.council, customer=world.resident, summary="Asked about a rail."
    )
    council = staff_client(world.adviser)
    form = {
        "team": str(world.trust_team.pk),
        "reason": "Not ours: please take it.",
        "description": "Asked about a rail.",
        "contact_sharing": "not_shared",
    }
    assert council.post(f"/staff/contacts/{contact.pk}/refer/", form).status_code == 302
    again = council.post(f"/staff/contacts/{contact.pk}/refer/", form)
    assert again.status_code == 400 and "already waiting" in again.content.decode()
    monkeypatch.setattr(referral_services, "_open_referral_exists", lambda **_: False)
    raced = council.post(f"/staff/contacts/{contact.pk}/refer/", form)
    assert raced.status_code == 400 and "already waiting" in raced.content.decode()
    assert Referral.objects.filter(contact=contact).count() == 1


# Accepting with a document gone


def test_accepting_when_a_shared_document_has_gone_says_so_and_changes_nothing(staff_client, world):
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    default_storage.delete(world.document.file.name)
    cases_before = Case.objects.count()

    answer = accept(staff_client(world.trust_officer), referral)

    assert answer.status_code == 400
    page = answer.content.decode()
    assert "govuk-error-summary" in page
    assert "A shared document is no longer available: stairs.png" in page
    assert Case.objects.count() == cases_before
    referral.refresh_from_db()
    assert referral.status == "sent" and referral.accepted_case is None
    assert not OutboxMessage.objects.filter(template="referral_accepted").exists()


# The access log


def test_both_sides_reading_a_sensitive_referral_are_logged(staff_client, world):
    RequestType.objects.filter(pk=world.case.request_type_id).update(sensitive=True)
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    trust = staff_client(world.trust_officer)

    assert trust.get(f"/staff/referrals/{referral.pk}/").status_code == 200
    before = AccessEntry.objects.get(staff=world.trust_officer)
    # The receiver's entry names none of the sender's records.
    assert (before.organisation_id, before.what) == (world.partner.pk, AccessKind.SENSITIVE_CASE)
    assert (before.customer_id, before.case_id) == (None, None)
    assert before.page == "workspace:referral"

    accept(trust, referral)
    referral.refresh_from_db()
    trust.get(f"/staff/referrals/{referral.pk}/")
    after = AccessEntry.objects.filter(staff=world.trust_officer).latest("pk")
    accepted = referral.accepted_case
    assert (after.customer_id, after.case_id) == (accepted.customer_id, accepted.pk)

    staff_client(world.adviser).get(f"/staff/referrals/{referral.pk}/")
    sender = AccessEntry.objects.get(staff=world.adviser)
    assert (sender.customer_id, sender.case_id) == (world.resident.pk, world.case.pk)


def test_a_referral_of_an_ordinary_service_is_not_logged_as_sensitive(staff_client, world):
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    staff_client(world.trust_officer).get(f"/staff/referrals/{referral.pk}/")
    assert not AccessEntry.objects.filter(what=AccessKind.SENSITIVE_CASE).exists()


def test_a_shared_document_is_logged_for_the_reader_and_gone_files_are_not_found(
    staff_client, world
):
    refer(staff_client(world.adviser), world)
    referral = Referral.objects.get()
    trust = staff_client(world.trust_officer)
    address = f"/staff/referrals/{referral.pk}/documents/{world.document.pk}/"
    download = trust.get(address)
    assert download.status_code == 200
    assert "no-store" in download["Cache-Control"]
    entry = AccessEntry.objects.get(staff=world.trust_officer)
    assert (entry.what, entry.document_id, entry.case_id) == (
        AccessKind.DOCUMENT,
        world.document.pk,
        None,
    )
    default_storage.delete(world.document.file.name)
    assert trust.get(address).status_code == 404


# Messages


def test_messages_about_a_referral_use_the_shared_wording_and_public_links(
    staff_client, world, settings
):
    settings.PUBLIC_BASE_URL = "https://services.example.gov.uk/"
    referral = sent_and_accepted(staff_client, world)
    to_team = OutboxMessage.objects.get(template="referral_received")
    assert f"https://services.example.gov.uk/staff/referrals/{referral.pk}/" in to_team.body
    assert "adult social care assessment" in to_team.body
    to_resident = OutboxMessage.objects.get(template="referral_accepted")
    assert "your request about adult social care assessment" in to_resident.body
