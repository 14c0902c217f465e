"""Council administrators manage their own organisation's configuration, and nothing else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor
from civicdesk.core.models import AuditEvent
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db


def council_admin(organisation, *extra_codenames, teams=()):
    staff = factories.StaffFactory(organisation=organisation, role=Role.ADMIN, teams=teams)
    user = staff.user
    user.is_staff = True
    user.save()
    codenames = ["view_case", "view_requesttype", "change_requesttype", "view_team", "change_team"]
    codenames += extra_codenames
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def listed(client, url):
    """The rows an admin change list shows."""
    page = client.get(url)
    assert page.status_code == 200
    return list(page.context["cl"].result_list)


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
    sign_in_with_both_factors(client, council_admin(ours))

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
    sign_in_with_both_factors(client, council_admin(ours))
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
    sign_in_with_both_factors(client, user)
    case = ours.cases.get()
    response = client.post(f"/admin/cases/case/{case.pk}/change/", {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "new"
    assert response.status_code == 403


@pytest.fixture
def sensitive_case(two_councils):
    """A homelessness case at our council, and an ordinary one, for the same resident."""
    ours, _ = two_councils
    homelessness = factories.RequestTypeFactory(
        organisation=ours, key="homelessness", sensitive=True
    )
    factories.RequestTypeFactory(organisation=ours, key="street-lights")
    actor = Actor(label="Contact centre")
    resident = customer_create(
        organisation=ours,
        details=CustomerDetails(
            first_name="Ann", last_name="Smith", emails=["ann.smith@example.com"]
        ),
        actor=actor,
    )
    for key in ("homelessness", "street-lights"):
        case_open(
            organisation=ours,
            request=CaseRequest(request_type_key=key, channel="phone", customer=resident),
            actor=actor,
        )
    return homelessness.cases.get()


AUDIT_READER = ("view_outboxmessage", "view_contact", "view_auditevent")


def case_ids_in_admin(client):
    outbox = {m.case_id for m in listed(client, "/admin/notifications/outboxmessage/")}
    contacts = {c.case_id for c in listed(client, "/admin/contacts/contact/")}
    audit = {
        e.subject_id for e in listed(client, "/admin/core/auditevent/") if e.subject_type == "case"
    }
    return outbox, contacts, audit


def test_sensitive_cases_stay_hidden_in_the_outbox_contacts_and_audit_trail(
    client, two_councils, sensitive_case
):
    ours, _ = two_councils
    sign_in_with_both_factors(client, council_admin(ours, *AUDIT_READER))
    visible = set(ours.cases.exclude(pk=sensitive_case.pk).values_list("pk", flat=True))

    outbox, contacts, audit = case_ids_in_admin(client)
    assert outbox == visible & set(OutboxMessage.objects.values_list("case_id", flat=True))
    assert contacts == visible
    assert audit == visible
    assert set(listed(client, "/admin/core/auditevent/?subject_type=customer")) != set()

    hidden = OutboxMessage.objects.get(case=sensitive_case)
    assert client.get(f"/admin/notifications/outboxmessage/{hidden.pk}/change/").status_code == 302
    hidden_contact = Contact.objects.get(case=sensitive_case)
    assert client.get(f"/admin/contacts/contact/{hidden_contact.pk}/change/").status_code == 302
    hidden_event = AuditEvent.objects.get(subject_type="case", subject_id=sensitive_case.pk)
    assert client.get(f"/admin/core/auditevent/{hidden_event.pk}/change/").status_code == 302


def test_the_handling_team_and_superusers_see_sensitive_cases_rows(
    client, two_councils, sensitive_case, django_user_model
):
    ours, _ = two_councils
    sign_in_with_both_factors(
        client, council_admin(ours, *AUDIT_READER, teams=[sensitive_case.team])
    )
    outbox, contacts, audit = case_ids_in_admin(client)
    assert sensitive_case.pk in outbox & contacts & audit

    sign_in_with_both_factors(client, django_user_model.objects.create_superuser("root", "", "pw"))
    outbox, contacts, audit = case_ids_in_admin(client)
    assert sensitive_case.pk in outbox & contacts & audit
    assert contacts == set(Contact.objects.values_list("case_id", flat=True))


@pytest.fixture
def staff_admin_scene(client, two_councils):
    """Our admin at the staff change form, with a colleague, another council's officer and a
    resident's account about."""
    ours, theirs = two_councils
    our_team = factories.TeamFactory(organisation=ours)
    their_team = factories.TeamFactory(organisation=theirs)
    colleague = factories.StaffFactory(organisation=ours, teams=[our_team])
    outsider = factories.StaffFactory(organisation=theirs, teams=[their_team])
    resident_account = factories.UserFactory()
    admin_user = council_admin(ours, "view_staffmember", "change_staffmember")
    sign_in_with_both_factors(client, admin_user)
    return {
        "ours": ours,
        "theirs": theirs,
        "our_team": our_team,
        "their_team": their_team,
        "colleague": colleague,
        "outsider": outsider,
        "resident_account": resident_account,
        "admin_user": admin_user,
    }


def test_staff_drop_downs_offer_only_the_admins_own_teams_and_staff(client, staff_admin_scene):
    scene = staff_admin_scene
    colleague = scene["colleague"]
    page = client.get(f"/admin/organisations/staffmember/{colleague.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields["teams"].queryset) == set(scene["ours"].teams.all())
    assert set(form.fields["organisation"].queryset) == {scene["ours"]}
    assert set(form.fields["user"].queryset) == {colleague.user, scene["admin_user"]}


def staff_post(staff: StaffMember, **changes):
    data = {
        "user": staff.user_id,
        "organisation": staff.organisation_id,
        "role": staff.role,
        "teams": [team.pk for team in staff.teams.all()],
        "active": "on",
    }
    return {**data, **changes}


def test_staff_cannot_be_pointed_at_another_councils_team_organisation_or_user(
    client, staff_admin_scene
):
    scene = staff_admin_scene
    colleague = scene["colleague"]
    url = f"/admin/organisations/staffmember/{colleague.pk}/change/"
    for field, value in (
        ("teams", [scene["their_team"].pk]),
        ("organisation", scene["theirs"].pk),
        ("user", scene["outsider"].user_id),
        ("user", scene["resident_account"].pk),
    ):
        response = client.post(url, staff_post(colleague, **{field: value}))
        assert response.status_code == 200, field
        assert field in response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.organisation == scene["ours"]
    assert set(colleague.teams.all()) == {scene["our_team"]}
    assert colleague.user_id != scene["resident_account"].pk

    response = client.post(url, staff_post(colleague, role=Role.TEAM_LEAD))
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.role == Role.TEAM_LEAD


def test_an_is_staff_account_without_a_staff_record_sees_no_cases(
    client, two_councils, django_user_model
):
    user = django_user_model.objects.create_user("former", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_case"))
    sign_in_with_both_factors(client, user)
    assert listed(client, "/admin/cases/case/") == []


def test_admin_search_does_not_take_personal_data(client, two_councils, sensitive_case):
    ours, _ = two_councils
    sign_in_with_both_factors(client, council_admin(ours, "view_outboxmessage", "view_customer"))
    ordinary = ours.cases.get(request_type__key="street-lights")

    assert listed(client, "/admin/notifications/outboxmessage/?q=ann.smith@example.com") == []
    found = listed(client, f"/admin/notifications/outboxmessage/?q={ordinary.reference}")
    assert {message.case for message in found} == {ordinary}

    page = client.get("/admin/customers/customer/")
    assert page.status_code == 200
    assert b'id="searchbar"' not in page.content


def test_list_filters_name_only_the_admins_own_teams_and_service_areas(client, two_councils):
    ours, theirs = two_councils
    sign_in_with_both_factors(client, council_admin(ours))
    their_area = theirs.request_types.get().service_area
    page = client.get("/admin/catalogue/requesttype/")
    assert page.status_code == 200
    assert ours.request_types.get().service_area.name.encode() in page.content
    assert their_area.name.encode() not in page.content

    page = client.get("/admin/organisations/team/")
    assert page.status_code == 200
    assert theirs.name.encode() not in page.content


def test_staff_can_read_messages_but_never_a_residents_sign_in_link(client, two_councils):
    ours, _ = two_councils
    user = council_admin(ours, "view_outboxmessage")
    sign_in_with_both_factors(client, user)
    case_message = OutboxMessage.objects.create(
        organisation=ours,
        template="case_public_update",
        channel="email",
        recipient="ann@example.com",
        subject="Update",
        body="The crew will come back on Friday.",
        next_attempt_at="2026-11-23T10:00:00Z",
    )
    link = OutboxMessage.objects.create(
        organisation=ours,
        template="account_sign_in_link",
        channel="email",
        recipient="ann@example.com",
        subject="Sign in",
        body="Use this link to sign in: https://council.example/wrekin/account/link/SECRET-TOKEN/",
        next_attempt_at="2026-11-23T10:00:00Z",
    )
    readable = client.get(f"/admin/notifications/outboxmessage/{case_message.pk}/change/")
    assert b"The crew will come back on Friday." in readable.content
    hidden = client.get(f"/admin/notifications/outboxmessage/{link.pk}/change/")
    assert hidden.status_code == 200
    assert b"SECRET-TOKEN" not in hidden.content
    assert b"Hidden: this message holds a sign-in link" in hidden.content
