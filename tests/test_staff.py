"""Council administrators take on new staff without a developer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from civicdesk.core.audit import Actor
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.services import NewStaff, staff_create

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db


def test_a_new_member_of_staff_gets_a_sign_in_and_their_teams(council):
    waste = factories.TeamFactory(organisation=council)
    staff = staff_create(
        organisation=council,
        new=NewStaff(
            username="r.patel@wrekin",
            first_name="Ravi",
            last_name="Patel",
            email="R.Patel@Council.example",
            role=Role.OFFICER,
            teams=[waste],
        ),
        actor=Actor(label="Council administrator"),
    )
    assert (staff.organisation, staff.role, list(staff.teams.all())) == (
        council,
        "officer",
        [waste],
    )
    assert staff.user.email == "r.patel@council.example"
    assert not staff.user.has_usable_password()
    assert AuditEvent.objects.filter(subject_type="staff", subject_id=staff.pk).exists()


def test_bad_details_are_refused_and_nothing_is_created(council):
    factories.UserFactory(username="taken")
    elsewhere = factories.TeamFactory()
    with pytest.raises(ValidationFailed) as refused:
        staff_create(
            organisation=council,
            new=NewStaff(
                username="taken",
                first_name="",
                last_name="",
                email="nope",
                role="wizard",
                teams=[elsewhere],
                password="password",
            ),
            actor=Actor(label="Council administrator"),
        )
    assert set(refused.value.fields) == {
        "username",
        "last_name",
        "email",
        "role",
        "teams",
        "password",
    }
    assert not StaffMember.objects.exists()
    assert list(User.objects.values_list("username", flat=True)) == ["taken"]


def test_a_council_admin_adds_staff_through_the_admin_site(client, council):
    admin_staff = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    admin_staff.user.is_staff = True
    admin_staff.user.save()
    admin_staff.user.user_permissions.set(
        Permission.objects.filter(codename__in=["add_staffmember", "view_staffmember"])
    )
    team = factories.TeamFactory(organisation=council)
    other_council = factories.OrganisationFactory()
    sign_in_with_both_factors(client, admin_staff.user)

    form = {
        "organisation": other_council.pk,
        "username": "j.smith@wrekin",
        "first_name": "Jo",
        "last_name": "Smith",
        "email": "jo.smith@council.example",
        "password": "",
        "role": "adviser",
        "teams": [team.pk],
    }
    refused = client.post("/admin/organisations/staffmember/add/", form)
    assert refused.status_code == 200
    assert "organisation" in refused.context["adminform"].form.errors
    assert not User.objects.filter(username="j.smith@wrekin").exists()

    form["organisation"] = council.pk
    added = client.post("/admin/organisations/staffmember/add/", form)
    assert added.status_code == 302
    new = StaffMember.objects.get(user__username="j.smith@wrekin")
    assert (new.organisation, new.role, list(new.teams.all())) == (council, "adviser", [team])

    form["username"] = "J.Smith@wrekin"
    again = client.post("/admin/organisations/staffmember/add/", form)
    assert again.context["adminform"].form.errors["username"] == [
        "That sign-in name is already taken"
    ]
