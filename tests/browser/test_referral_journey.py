"""A referral in a real browser: a Telford & Wrekin adviser refers a case to the NHS trust, the
trust accepts it, the resident gets one message, and the adviser sees the outcome; every page
on the way, errors included, without WCAG 2.2 AA problems."""

from __future__ import annotations

import pyotp
import pytest
from django.core.cache import cache
from django.utils import timezone

from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.referrals.models import Referral

from .. import factories
from ..referral_support import PRIVATE_ANSWER, referral_world
from .test_workspace_journeys import PASSWORD, Checker, follow, press, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def can_sign_in(*members) -> None:
    for member in members:
        member.user.set_password(PASSWORD)
        member.user.save()
        member.totp_secret = pyotp.random_base32()
        member.totp_confirmed_at = timezone.now()
        member.save()


def test_an_adviser_refers_a_case_to_the_nhs_trust_which_accepts_it(page, browser, live_server):
    world = referral_world()
    manager = factories.StaffFactory(organisation=world.council, role=Role.MANAGER)
    can_sign_in(world.adviser, world.trust_officer, manager)
    check = Checker(page)

    sign_in(page, live_server, world.adviser)
    page.goto(f"{live_server.url}/staff/cases/{world.case.reference}/")
    follow(page, "Refer this case to another organisation")
    check("refer")
    press(page, "Send the referral")
    check("refer, errors")
    assert page.get_by_role("link", name="Select the organisation and team").is_visible()
    page.get_by_label("Organisation and team").select_option(
        label="Shropshire Community Health NHS Trust: Community therapy"
    )
    page.get_by_label("Why you are referring it").fill("Please assess for a stair rail.")
    page.get_by_label("What help is needed?: A rail by the stairs").check()
    page.get_by_label("stairs.png").check()
    page.get_by_label("The resident agreed to us sharing them").check()
    press(page, "Send the referral")
    check("referral, sent")
    assert page.get_by_text("Waiting for them to decide").first.is_visible()
    follow(page, "Back to referrals")
    check("referrals")
    before = OutboxMessage.objects.filter(customer__isnull=False).count()

    trust_context = browser.new_context(locale="en-GB")
    trust = trust_context.new_page()
    trust_check = Checker(trust)
    sign_in(trust, live_server, world.trust_officer)
    trust.goto(f"{live_server.url}/staff/referrals/")
    follow(trust, "Adult social care assessment")
    trust_check("referral, to decide")
    assert PRIVATE_ANSWER not in trust.content()
    press(trust, "Decline the referral")
    trust_check("referral, decline errors")
    trust.get_by_label("Which of your services is it?").select_option(
        label="Occupational therapy at home"
    )
    press(trust, "Choose service")
    press(trust, "Accept the referral")
    trust_check("referral, accepted")
    accepted = Referral.objects.get().accepted_case
    assert trust.get_by_role("link", name=f"case {accepted.reference}").is_visible()
    follow(trust, f"case {accepted.reference}")
    trust_check("the trust's case")
    assert trust.get_by_text("Referred to you by Telford & Wrekin Council").is_visible()
    trust_context.close()

    told = OutboxMessage.objects.filter(customer__isnull=False).order_by("pk")[before:]
    assert [message.template for message in told] == ["referral_accepted"]

    page.goto(f"{live_server.url}/staff/cases/{world.case.reference}/")
    assert page.get_by_text(f"their reference {accepted.reference}").is_visible()
    follow(page, "Shropshire Community Health NHS Trust, Community therapy")
    assert page.get_by_text(accepted.reference).first.is_visible()
    check("referral, outcome")

    manager_context = browser.new_context(locale="en-GB")
    figures = manager_context.new_page()
    sign_in(figures, live_server, manager)
    figures.goto(f"{live_server.url}/staff/insight/referrals/")
    Checker(figures)("referral figures")
    assert figures.get_by_role("cell", name="Adult social care assessment").is_visible()
    manager_context.close()
    check.assert_clean()
    trust_check.assert_clean()
