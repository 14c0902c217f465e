"""The demo's NHS trust partner and the referrals in its history, made by the real services."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import transaction

from civicdesk.core.calendar import LONDON
from civicdesk.demo.loader import demo_load, demo_sign_ins
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.models import Organisation, StaffMember
from civicdesk.referrals.models import Referral

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 11, 0, tzinfo=LONDON)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(scale=0.05, now=NOW)
        transaction.set_rollback(True)


def test_the_demo_has_an_nhs_trust_with_referrals_from_telford_in_every_state(demo, staff_client):
    trust = Organisation.objects.get(slug="shropcom")
    assert trust.kind == "partner"
    referrals = Referral.objects.filter(to_organisation=trust)
    statuses = set(referrals.values_list("status", flat=True))
    assert statuses == {"sent", "accepted", "declined"}
    accepted = referrals.filter(status="accepted")
    assert all(r.accepted_case.organisation_id == trust.pk for r in accepted)
    # One message to the resident per accepted referral with a resident, from the council.
    telford_messages = OutboxMessage.objects.filter(
        template="referral_accepted", organisation__slug="telford-wrekin"
    )
    assert telford_messages.count() == accepted.filter(customer__isnull=False).count()
    officer = StaffMember.objects.get(user__username="officer.therapy@shropcom")
    page = staff_client(officer).get("/staff/referrals/").content.decode()
    assert "Telford &amp; Wrekin Council" in page
    manager = StaffMember.objects.get(user__username="manager@shropcom")
    figures = staff_client(manager).get("/staff/insight/referrals/").content.decode()
    assert "Received by us" in figures and "Median hours to accept" in figures
    assert "officer.therapy@shropcom" in [sign_in.username for sign_in in demo_sign_ins()]
