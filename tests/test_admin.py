"""Council administrators manage their own organisation's configuration, and nothing else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from civicdesk.cases.services import CaseRequest, case_open
from civicdesk.core.audit import Actor
from civicdesk.organisations.models import Role

from . import factories

pytestmark = pytest.mark.django_db


def council_admin(organisation):
    staff = factories.StaffFactory(organisation=organisation, role=Role.ADMIN)
    user = staff.user
    user.is_staff = True
    user.save()
    codenames = ["view_case", "view_requesttype", "change_requesttype", "view_team", "change_team"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def two_councils():
    ours = factories.OrganisationFactory(name="Wrekin Council")
    theirs = factories.OrganisationFactory(name="Severn Council")
    for organisation, key in ((ours, "our-potholes"), (theirs, "their-potholes")):
        factories.RequestTypeFactory(organisation=organisation, key=key, name=f"Service {key}")
        case_open(
            organisation=organisation,
            request=CaseRequest(request_type_key=key, channel="phone"),
            actor=Actor(label="Contact centre"),
        )
    return ours, theirs


def test_an_admin_sees_only_their_own_councils_records(client, two_councils):
    ours, theirs = two_councils
    client.force_login(council_admin(ours))

    page = client.get("/admin/catalogue/requesttype/")
    assert page.status_code == 200
    assert b"Service our-potholes" in page.content
    assert b"Service their-potholes" not in page.content

    cases = client.get("/admin/cases/case/")
    assert cases.status_code == 200
    their_case = theirs.cases.get()
    our_case = ours.cases.get()
    assert our_case.reference.encode() in cases.content
    assert their_case.reference.encode() not in cases.content
    assert client.get(f"/admin/cases/case/{their_case.pk}/change/").status_code == 302


def test_drop_downs_offer_only_the_admins_own_teams(client, two_councils):
    ours, _ = two_councils
    client.force_login(council_admin(ours))
    request_type = ours.request_types.get()
    page = client.get(f"/admin/catalogue/requesttype/{request_type.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields["service_area"].queryset) == set(ours.service_areas.all())
    assert set(form.fields["organisation"].queryset) == {ours}


def test_cases_cannot_be_edited_in_admin_bypassing_the_audit_trail(client, two_councils):
    ours, _ = two_councils
    user = council_admin(ours)
    user.user_permissions.add(Permission.objects.get(codename="change_case"))
    client.force_login(user)
    case = ours.cases.get()
    response = client.post(f"/admin/cases/case/{case.pk}/change/", {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "new"
    assert response.status_code == 403
