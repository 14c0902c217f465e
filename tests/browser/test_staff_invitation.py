"""A new member of staff follows the link in their invitation and chooses a password, in a real
browser, with no WCAG 2.2 AA problems on the page (its mistakes and its expired state too)."""

from __future__ import annotations

import pytest

from civicdesk.organisations.choices import Role
from civicdesk.organisations.invitations import staff_invitation_token
from civicdesk.organisations.services import NewStaff, staff_create
from civicdesk.setup.commands import command_actor

from .. import factories
from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_invitation_link_sets_a_password_once(page, live_server):
    council = factories.OrganisationFactory(name="Millbrook Council", slug="millbrook")
    staff = staff_create(
        organisation=council,
        new=NewStaff(
            username="olu@millbrook.example",
            first_name="Olu",
            last_name="Adeyemi",
            email="olu@millbrook.example",
            role=Role.OFFICER,
        ),
        actor=command_actor("test"),
    )
    token = staff_invitation_token(staff.user)
    link = f"{live_server.url}/staff/sign-in/set-password/{token}/"
    page.goto(link)
    assert page.locator("h1").inner_text() == "Choose your password"
    assert axe_violations(page) == []
    page.fill("#password", "bramble-kettle-harbour")
    page.fill("#confirm", "bramble-kettle-harbur")
    page.click("button:has-text('Set password')")
    assert "Enter the same password again" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations(page) == []
    page.fill("#password", "bramble-kettle-harbour")
    page.fill("#confirm", "bramble-kettle-harbour")
    page.click("button:has-text('Set password')")
    assert page.url == f"{live_server.url}/staff/sign-in/"
    assert "Your password is set" in page.content()
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has expired or has already been used"
    assert axe_violations(page) == []
