"""Who may see every workspace page, walked for every role, another team and another council.

The pages are enumerated from the URL resolver, so a new workspace page fails this test until
it is added to EXPECTED. Every response is also searched for the personal data of a sensitive
case (homelessness, handled by the housing team): nobody outside that team may see any of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from civicdesk.appointments.services import venue_create, walk_in_record
from civicdesk.assistant.services import (
    conversation_callback,
    conversation_hand_over,
    conversation_start,
)
from civicdesk.cases.attachments import case_attach
from civicdesk.cases.documents import Upload
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case, CaseNote
from civicdesk.complaints.models import Complaint, ComplaintReason
from civicdesk.complaints.services import complaint_record
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.choices import Role
from civicdesk.planning.services import RotaLine, rota_entry_add
from civicdesk.privacy.choices import SUBJECT_ACCESS_SERVICE
from civicdesk.privacy.disclosures import disclosure_produce
from civicdesk.quality.models import QualityCriterion
from civicdesk.quality.services import quality_assess
from civicdesk.referrals.services import ReferralChoice, referral_send

from . import factories
from .sample_files import PNG

pytestmark = pytest.mark.django_db

SECRET_STORY = "Sleeping in the car park behind the leisure centre"
SECRET_ANSWER = "Sofa-surfing at a friend's flat"
SECRET_NAME = "Verity Hiddenhouse"

# Who gets what for each page: a role's status code, "other team" meaning the waste officer
# looking at housing's sensitive case. 302 = sent to sign in; 405 = the page only takes forms.
ANYONE = {
    "adviser": 200,
    "waste_officer": 200,
    "housing_officer": 200,
    "team_lead": 200,
    "manager": 200,
    "admin": 200,
    "other_council": 200,
    "councillor": 200,
    "data_protection": 200,
}
SIGNED_OUT = 302


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ANYONE, status)


def only(allowed: set[str], *, refused: int, other_council: int | None = None) -> dict[str, int]:
    statuses = {role: 200 if role in allowed else refused for role in ANYONE}
    if other_council is not None:
        statuses["other_council"] = other_council
    return statuses


HOUSING_ONLY = only({"housing_officer"}, refused=404)
LEADS = {"team_lead", "manager"}
PLANNERS = only(LEADS | {"admin", "other_council"}, refused=403)
# The forecast's CSV export names its channel; asked for none, a planner is told so (400).
PLANNER_CSV_NO_CHANNEL = dict.fromkeys(("team_lead", "manager", "admin", "other_council"), 400)
# Subject access disclosures, erasure and extending a subject access request: the data
# protection officer alone; every other role is refused before anything is looked up.
DATA_PROTECTION_ONLY = only({"data_protection"}, refused=403)
# Who refers work to another organisation: case workers, not administrators or data
# protection officers.
REFERRAL_ROLES = {"adviser", "waste_officer", "housing_officer", "team_lead", "manager"}
REFERRERS = only(REFERRAL_ROLES, refused=403, other_council=404)


@dataclass(frozen=True)
class Visit:
    name: str
    kwargs: dict[str, str]
    statuses: dict[str, int]
    method: str = "get"
    # What a post sends; None sends a note (the case-action form's fields).
    data: dict[str, str] | None = None


def councillor_refused(visit: Visit) -> Visit:
    """A councillor reads the insight dashboard only: the search sends them there, and every
    other workspace page they reach signed in refuses them (405 and the sign-in pages answer
    before anyone is looked at)."""
    before_role_check = visit.statuses["adviser"] == 405 or visit.name.startswith("sign-")
    if before_role_check:
        status = visit.statuses["adviser"]
    else:
        status = 302 if visit.name == "home" else 403
    return Visit(
        visit.name, visit.kwargs, {**visit.statuses, "councillor": status}, visit.method, visit.data
    )


def visits(world: dict[str, Any]) -> list[Visit]:
    """Every workspace page with the records it is asked about."""
    sensitive, ordinary = world["sensitive"].reference, world["ordinary"].reference
    complaint = world["complaint"].reference
    customer, hidden = str(world["customer"].pk), str(world["hidden"].pk)
    table = [
        Visit("home", {}, everyone(200)),
        Visit("sign-in", {}, everyone(302)),  # already signed in: sent on to the workspace
        Visit("sign-in-code", {}, everyone(302)),
        Visit("sign-in-set-up", {}, everyone(302)),
        # An invitation's link to set a password: one that is not genuine is refused.
        Visit("sign-in-set-password", {"token": "not-a-token"}, everyone(400)),
        Visit("sign-out", {}, everyone(405)),
        Visit("customer-new", {}, everyone(200)),
        Visit(
            "customer",
            {"customer_id": customer},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit(
            "customer",
            {"customer_id": hidden},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit(
            "contact-new",
            {"customer_id": customer},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit("case-new", {"customer_id": customer}, {**everyone(302), "other_council": 404}),
        Visit("customer-merge", {"customer_id": customer}, everyone(405)),
        Visit("account-assisted", {"customer_id": customer}, everyone(405)),
        Visit("account-confirm", {"customer_id": customer}, everyone(405)),
        Visit("case", {"reference": sensitive}, HOUSING_ONLY),
        Visit(
            "case",
            {"reference": ordinary},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit(
            "case-document",
            {"reference": sensitive, "document_id": str(world["document"].pk)},
            HOUSING_ONLY,
        ),
        Visit("case-action", {"reference": sensitive, "action": "note"}, everyone(405)),
        Visit(
            "case-action",
            {"reference": sensitive, "action": "note"},
            HOUSING_ONLY | {"housing_officer": 302},
            method="post",
        ),
        Visit(
            "appointment-new",
            {"customer_id": customer},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit("reception", {}, everyone(200)),
        Visit("walk-in", {}, everyone(405)),
        Visit(
            "visit-action", {"visit_id": str(world["visit"].pk), "action": "arrived"}, everyone(405)
        ),
        Visit("queue", {}, everyone(200)),
        Visit("messages", {}, everyone(200)),
        Visit(
            "message",
            {"message_id": str(world["message"].pk)},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit("message", {"message_id": str(world["sensitive_message"].pk)}, HOUSING_ONLY),
        Visit("queue-assign", {}, everyone(405)),
        # Taking the sensitive case from the queue: only its team can; anyone else is told it
        # cannot be found (400, the queue with the error), and nothing changes.
        Visit(
            "queue-assign",
            {},
            only({"housing_officer"}, refused=400) | {"housing_officer": 302},
            method="post",
            data={"take": sensitive, "version-" + sensitive: "{version}"},
        ),
        Visit(
            "complaint-action",
            {"reference": sensitive, "action": "record"},
            everyone(404),
            method="post",
            data={"reasons": "1"},
        ),
        Visit("team-lead", {}, only(LEADS | {"admin", "other_council"}, refused=403)),
        Visit("complaints", {}, everyone(200)),
        Visit(
            "complaint",
            {"reference": complaint},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit("complaint", {"reference": sensitive}, everyone(404)),
        Visit("complaint-action", {"reference": complaint, "action": "respond"}, everyone(405)),
        Visit("quality", {}, everyone(200)),
        Visit("quality-mystery", {}, only(LEADS | {"other_council"}, refused=403)),
        Visit(
            "quality-check",
            {"contact_id": str(world["sensitive_contact"].pk)},
            # Only team leads and managers check quality, and these two cannot see the case.
            only(set(), refused=403) | {"team_lead": 404, "manager": 404, "other_council": 404},
        ),
        Visit(
            "quality-check",
            {"contact_id": str(world["ordinary_contact"].pk)},
            only(LEADS, refused=403, other_council=404),
        ),
        Visit(
            "quality-assessment",
            {"assessment_id": str(world["assessment"].pk)},
            only(LEADS | {"adviser"}, refused=404),
        ),
        # A check of the homelessness call: the adviser who took it, not other teams' leads.
        Visit(
            "quality-assessment",
            {"assessment_id": str(world["sensitive_assessment"].pk)},
            only({"adviser"}, refused=404),
        ),
        # Ask's hand-over queue and answers: any member of the council's staff, nobody else's.
        Visit("ask-queue", {}, everyone(200)),
        Visit(
            "ask-conversation",
            {"conversation": str(world["conversation"].pk)},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit("ask-articles", {}, everyone(200)),
        Visit("ask-article-new", {}, everyone(200)),
        Visit(
            "ask-article",
            {"article": str(world["article"].pk)},
            only(set(ANYONE) - {"other_council"}, refused=404, other_council=404),
        ),
        Visit("ask-article-move", {"article": str(world["article"].pk)}, everyone(405)),
        Visit("ask-log", {}, everyone(200)),
        # Contact-centre planning: team leads, managers and administrators, each of their own
        # council; a rota entry of another council is not found.
        Visit("planning", {}, PLANNERS),
        Visit("planning-export", {}, PLANNERS),
        Visit("planning-forecast", {}, PLANNERS),
        Visit("planning-forecast-export", {}, only(set(), refused=403) | PLANNER_CSV_NO_CHANNEL),
        Visit("planning-written", {}, PLANNERS),
        Visit("planning-written-export", {}, PLANNERS),
        Visit("planning-rota", {}, PLANNERS),
        Visit("planning-definitions", {}, PLANNERS),
        Visit("planning-rota-remove", {"entry_id": str(world["rota_entry"].pk)}, everyone(405)),
        Visit(
            "planning-rota-remove",
            {"entry_id": str(world["rota_entry"].pk)},
            # The first lead to press the button removes it; after that it is gone.
            only(set(), refused=403)
            | {"team_lead": 302, "manager": 404, "admin": 404, "other_council": 404},
            method="post",
            data={},
        ),
        Visit("privacy-disclosure-new", {"customer_id": customer}, DATA_PROTECTION_ONLY),
        Visit(
            "privacy-disclosure",
            {"disclosure_id": str(world["disclosure"].pk)},
            DATA_PROTECTION_ONLY,
        ),
        Visit(
            "privacy-disclosure-download",
            {"disclosure_id": str(world["disclosure"].pk)},
            everyone(405),
        ),
        Visit(
            "privacy-disclosure-download",
            {"disclosure_id": str(world["disclosure"].pk)},
            DATA_PROTECTION_ONLY,
            method="post",
            data={},
        ),
        Visit("privacy-erase", {"customer_id": customer}, DATA_PROTECTION_ONLY),
        Visit(
            "privacy-extend", {"reference": world["subject_access"].reference}, DATA_PROTECTION_ONLY
        ),
        # Who read what: the data protection officer alone, refused before anyone is looked up.
        Visit("privacy-access-log", {}, DATA_PROTECTION_ONLY),
        Visit("privacy-access-log-customer", {"customer_id": hidden}, DATA_PROTECTION_ONLY),
        Visit(
            "privacy-access-log-staff",
            {"staff_id": str(world["staff"]["housing_officer"].pk)},
            DATA_PROTECTION_ONLY,
        ),
        # The retention report: data protection officers and the administrators who set it.
        Visit("privacy-retention", {}, only({"data_protection", "admin"}, refused=403)),
        # Referrals to another organisation (ADR 45): case workers who may see the work refer
        # it; administrators and data protection officers do not (403). A referral is seen
        # by those who may see the case it came from, and a sensitive one by its team alone.
        Visit("case-refer", {"reference": ordinary}, REFERRERS),
        Visit("case-refer", {"reference": sensitive}, HOUSING_ONLY),
        Visit("contact-refer", {"contact_id": str(world["ordinary_contact"].pk)}, REFERRERS),
        Visit("contact-refer", {"contact_id": str(world["sensitive_contact"].pk)}, HOUSING_ONLY),
        Visit("referrals", {}, only(REFERRAL_ROLES | {"other_council"}, refused=403)),
        Visit(
            "referral",
            {"referral_id": str(world["referral"].pk)},
            only(REFERRAL_ROLES, refused=404),
        ),
        Visit("referral", {"referral_id": str(world["sensitive_referral"].pk)}, HOUSING_ONLY),
        Visit(
            "referral-document",
            {
                "referral_id": str(world["sensitive_referral"].pk),
                "document_id": str(world["document"].pk),
            },
            HOUSING_ONLY,
        ),
        Visit(
            "referral-action",
            {"referral_id": str(world["sensitive_referral"].pk), "action": "accept"},
            everyone(405),
        ),
        # Only the organisation it was sent to decides: nobody here can accept it.
        Visit(
            "referral-action",
            {"referral_id": str(world["sensitive_referral"].pk), "action": "accept"},
            everyone(404),
            method="post",
            data={"service": "missed-bin"},
        ),
    ]
    return [councillor_refused(visit) for visit in table]


@pytest.fixture
def world(council, missed_bin, actor) -> dict[str, Any]:
    housing = factories.TeamFactory(organisation=council, name="Housing options")
    homelessness = factories.RequestTypeFactory(
        organisation=council,
        key="homelessness",
        name="Homelessness help",
        sensitive=True,
        service_area=factories.ServiceAreaFactory(organisation=council, team=housing),
    )
    factories.QuestionFactory(
        request_type=homelessness, key="where", label="Where are you staying?"
    )
    complaint_type = factories.RequestTypeFactory(
        organisation=council, key="complaint", kind="complaint"
    )
    customer = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Ann", last_name="Smith", emails=["ann@example.com"]),
        actor=actor,
    )
    hidden = customer_create(
        organisation=council,
        details=CustomerDetails(first_name="Verity", last_name="Hiddenhouse"),
        actor=actor,
    )
    adviser = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    sensitive = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="homelessness",
            channel="phone",
            customer=hidden,
            description=SECRET_STORY,
            answers={"where": SECRET_ANSWER},
        ),
        actor=Actor.for_user(adviser.user),
    )
    Contact.objects.filter(case=sensitive).update(handled_by=adviser.user, summary=SECRET_STORY)
    document = case_attach(
        case=sensitive,
        upload=Upload(name="tenancy.png", content=PNG),
        actor=Actor.for_user(adviser.user),
    )
    ordinary = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=customer,
            answers={"bin": "Recycling"},
        ),
        actor=Actor.for_user(adviser.user),
    )
    Contact.objects.filter(case=ordinary).update(handled_by=adviser.user)
    complaint = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key=complaint_type.key, channel="email", customer=customer
        ),
        actor=actor,
    )
    complaint_record(
        case=complaint,
        reasons=[ComplaintReason.objects.create(organisation=council, name="Delay")],
        about_service_area=None,
        actor=actor,
    )
    criterion = QualityCriterion.objects.create(organisation=council, name="Greeting")
    assessment = quality_assess(
        organisation=council,
        kind="spot_check",
        contact=Contact.objects.get(case=ordinary),
        scores={criterion.pk: "2"},
        comments="Good",
        actor=actor,
    )
    sensitive_assessment = quality_assess(
        organisation=council,
        kind="spot_check",
        contact=Contact.objects.get(case=sensitive),
        scores={criterion.pk: "1"},
        comments="Needed more care",
        actor=actor,
    )
    from civicdesk.channels.models import InboundMessage

    message = InboundMessage.objects.create(
        organisation=council,
        channel="sms",
        message_id="sms-1",
        sender="07700900999",
        body="Where do I take old paint?",
        received_at=timezone.now(),
        outcome="triage",
    )
    # An email from the resident that was threaded onto the homelessness case.
    sensitive_message = InboundMessage.objects.create(
        organisation=council,
        channel="email",
        message_id="<chase-1@example.com>",
        sender="verity@example.com",
        subject=f"Re: {sensitive.reference}",
        body=SECRET_STORY,
        received_at=timezone.now(),
        outcome="threaded",
        case=sensitive,
    )
    venue = venue_create(organisation=council, name="Civic Offices", kind="reception")
    visit = walk_in_record(
        venue=venue, customer=customer, name_given="", reason="Council tax bill", actor=actor
    )
    other_council = factories.OrganisationFactory()
    staff = {
        "adviser": adviser,
        "waste_officer": factories.StaffFactory(
            organisation=council, role=Role.OFFICER, teams=[missed_bin.service_area.team]
        ),
        "housing_officer": factories.StaffFactory(
            organisation=council, role=Role.OFFICER, teams=[housing]
        ),
        "team_lead": factories.StaffFactory(
            organisation=council, role=Role.TEAM_LEAD, teams=[missed_bin.service_area.team]
        ),
        "manager": factories.StaffFactory(organisation=council, role=Role.MANAGER),
        "admin": factories.StaffFactory(organisation=council, role=Role.ADMIN),
        "other_council": factories.StaffFactory(organisation=other_council, role=Role.MANAGER),
        "councillor": factories.StaffFactory(organisation=council, role=Role.COUNCILLOR),
        "data_protection": factories.StaffFactory(organisation=council, role=Role.DATA_PROTECTION),
    }
    subject_access_type = factories.RequestTypeFactory(
        organisation=council, key=SUBJECT_ACCESS_SERVICE, name="Ask for a copy of your information"
    )
    factories.CharterTargetFactory(
        request_type=subject_access_type, amount=1, unit="calendar_months", summary="send it"
    )
    subject_access = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key=SUBJECT_ACCESS_SERVICE, channel="web", customer=customer
        ),
        actor=actor,
    )
    disclosure = disclosure_produce(
        customer=customer, officer=staff["data_protection"].user, case=subject_access
    )
    rota_entry = rota_entry_add(
        organisation=council,
        line=RotaLine("Sam Patel", "phone", "Monday", "09:00", "13:00"),
    )
    # A partner on the installation, and referrals to it of the ordinary and sensitive cases.
    partner_team = factories.TeamFactory(
        organisation=factories.OrganisationFactory(kind="partner"), accepts_referrals=True
    )
    referral = referral_send(
        sender=adviser,
        case=ordinary,
        choice=ReferralChoice(to_team=partner_team, reason="Please collect it"),
        actor=Actor.for_user(adviser.user),
    )
    sensitive_referral = referral_send(
        sender=adviser,
        case=sensitive,
        choice=ReferralChoice(
            to_team=partner_team,
            reason="Needs somewhere to stay",
            description=SECRET_STORY,
            answer_keys=["where"],
            document_ids=[document.pk],
        ),
        actor=Actor.for_user(adviser.user),
    )
    conversation = conversation_start(organisation=council)
    conversation_hand_over(conversation=conversation)
    # Out of working hours the hand-over only offers a callback: ask for one, so the chat is in
    # the advisers' queue whatever the time of day the tests run.
    conversation_callback(conversation=conversation, name="Sam Jones", phone="07700 900456")
    return {
        "conversation": conversation,
        "referral": referral,
        "sensitive_referral": sensitive_referral,
        "rota_entry": rota_entry,
        "article": factories.ArticleFactory(organisation=council),
        "staff": staff,
        "customer": customer,
        "hidden": hidden,
        "sensitive": sensitive,
        "ordinary": ordinary,
        "complaint": complaint,
        "sensitive_contact": Contact.objects.get(case=sensitive),
        "ordinary_contact": Contact.objects.get(case=ordinary),
        "assessment": assessment,
        "sensitive_assessment": sensitive_assessment,
        "message": message,
        "sensitive_message": sensitive_message,
        "visit": visit,
        "document": document,
        "subject_access": subject_access,
        "disclosure": disclosure,
    }


def workspace_url_names() -> set[str]:
    resolver = get_resolver()
    workspace = next(
        pattern
        for pattern in resolver.url_patterns
        if getattr(pattern, "namespace", None) == "workspace"
    )
    return {pattern.name for pattern in workspace.url_patterns if isinstance(pattern, URLPattern)}


def test_every_workspace_page_is_in_the_table(world):
    assert {visit.name for visit in visits(world)} == workspace_url_names()


def test_every_workspace_page_sends_people_who_are_not_signed_in_to_the_sign_in(client, world):
    for visit in visits(world):
        if visit.name.startswith("sign-"):
            continue
        response = getattr(client, visit.method)(
            reverse(f"workspace:{visit.name}", kwargs=visit.kwargs)
        )
        expected = 405 if visit.statuses["adviser"] == 405 else SIGNED_OUT
        assert response.status_code == expected, visit
        if expected == SIGNED_OUT:
            assert response["Location"].startswith("/staff/sign-in/?next=")


def test_who_may_see_each_workspace_page_and_nothing_sensitive_leaks(staff_client, world):
    secrets = [SECRET_STORY, SECRET_ANSWER, world["sensitive"].reference]
    problems = []
    for role, member in world["staff"].items():
        client = staff_client(member)
        for visit in visits(world):
            url = reverse(f"workspace:{visit.name}", kwargs=visit.kwargs)
            version = str(Case.objects.get(pk=world["sensitive"].pk).version)
            data = (
                {key: value.replace("{version}", version) for key, value in visit.data.items()}
                if visit.data is not None
                else {"version": version, "visibility": "internal", "body": "Checked"}
            )
            response = (
                getattr(client, visit.method)(url, data)
                if visit.method == "post"
                else client.get(url)
            )
            if response.status_code != visit.statuses[role]:
                expected = visit.statuses[role]
                problems.append(
                    f"{role} {visit.method} {url}: {response.status_code}, not {expected}"
                )
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
            body = content.decode(errors="replace")
            if role != "housing_officer":
                # A refused post may repeat the reference it was sent, and nothing more.
                shown = secrets if visit.data is None else [SECRET_STORY, SECRET_ANSWER]
                problems += [f"{role} {url} shows {secret!r}" for secret in shown if secret in body]
            if role in ("other_council", "councillor"):
                problems += [
                    f"{role} {url} shows a customer's name"
                    for name in (SECRET_NAME, "Ann Smith")
                    if name in body
                ]
    assert not problems, "\n".join(problems)
    # The one note added is the housing officer's on their own team's case, and only they
    # took it from the queue.
    assert list(CaseNote.objects.values_list("case__reference", flat=True)) == [
        world["sensitive"].reference
    ]
    sensitive = Case.objects.get(pk=world["sensitive"].pk)
    assert sensitive.assigned_to == world["staff"]["housing_officer"].user
    assert not Complaint.objects.filter(case=sensitive).exists()


def test_search_by_a_sensitive_reference_finds_nobody_outside_the_team(staff_client, world):
    reference = world["sensitive"].reference
    for role, member in world["staff"].items():
        page = staff_client(member).get("/staff/", {"q": reference}).content.decode()
        found = f"/staff/customers/{world['hidden'].pk}/" in page
        assert found is (role == "housing_officer"), role


def test_a_councillor_signs_in_to_the_insight_dashboard_and_no_further(staff_client, council):
    councillor = factories.StaffFactory(organisation=council, role=Role.COUNCILLOR)
    client = staff_client(councillor)
    landing = client.get("/staff/", follow=True)
    assert landing.redirect_chain[-1][0] == reverse("insight:dashboard")
    assert landing.status_code == 200
    navigation = landing.content.decode()
    assert "Find a customer" not in navigation and "Queues" not in navigation
    for refused in ("workspace:ask-queue", "insight:rating-record"):
        response = client.get(reverse(refused))
        assert response.status_code == 403, refused
        assert "Your role does not include case work" in response.content.decode()


# Reaching a case through the resident side: an online account set up by staff


# Links in messages start with the site's public address, whichever host the request came to.
SIGN_IN_LINK = re.compile(r"http://localhost:8000(/wrekin/account/link/[^/\s]+/)")
ADVISERS_OWN_ADDRESS = "my.own.inbox@example.com"


def signed_in_with_emailed_link(address: str) -> Client:
    """A browser that opens the sign-in link emailed to ``address`` and presses its button."""
    message = OutboxMessage.objects.filter(
        template="account_sign_in_link", recipient=address
    ).latest("id")
    found = SIGN_IN_LINK.search(message.body)
    assert found, message.body
    browser = Client()
    assert browser.post(found.group(1))["Location"] == "/wrekin/account/"
    return browser


def resident_pages_of_the_sensitive_case(world: dict[str, Any]) -> list[str]:
    reference = world["sensitive"].reference
    return [
        f"/wrekin/account/requests/{reference}/",
        f"/wrekin/account/requests/{reference}/documents/{world['document'].pk}/",
        f"/wrekin/account/requests/{reference}/add/",
    ]


def test_an_adviser_cannot_read_a_case_they_may_not_see_through_an_account_they_set_up(
    staff_client, world
):
    adviser, hidden = world["staff"]["adviser"], world["hidden"]
    workspace = staff_client(adviser)
    assert workspace.get(f"/staff/cases/{world['sensitive'].reference}/").status_code == 404
    set_up = workspace.post(
        f"/staff/customers/{hidden.pk}/account/",
        {"email": ADVISERS_OWN_ADDRESS, "channel": "phone"},
    )
    assert set_up.status_code == 302

    account = signed_in_with_emailed_link(ADVISERS_OWN_ADDRESS)
    home = account.get("/wrekin/account/").content.decode()
    assert world["sensitive"].reference not in home
    assert "shows requests from" in home
    for path in resident_pages_of_the_sensitive_case(world):
        response = account.get(path)
        assert response.status_code == 404, path
        assert SECRET_STORY not in response.content.decode()
    # The address typed in is not the customer's until proven, so no update goes to it.
    customer_page = workspace.get(f"/staff/customers/{hidden.pk}/").content.decode()
    assert ADVISERS_OWN_ADDRESS not in customer_page
    assert "Yes, not confirmed" in customer_page
    preferences = account.get("/wrekin/account/preferences/").content.decode()
    assert "once we have confirmed your account" in preferences
    refused = account.post(
        "/wrekin/account/preferences/", {"preferred_channel": "sms", "phone": "07700 900555"}
    )
    assert refused.status_code == 400
    assert "07700 900555" not in workspace.get(f"/staff/customers/{hidden.pk}/").content.decode()

    # Nor can the adviser vouch for the account at the desk: the record has a case they may
    # not see. The team handling it can, once they have seen the resident's proof.
    vouched = workspace.post(
        f"/staff/customers/{hidden.pk}/account/confirm/", {"evidence": "photo_id"}
    )
    assert vouched.status_code == 403
    assert "cases you cannot see" in vouched.content.decode()
    assert account.get(resident_pages_of_the_sensitive_case(world)[0]).status_code == 404
    housing = staff_client(world["staff"]["housing_officer"])
    confirmed = housing.post(
        f"/staff/customers/{hidden.pk}/account/confirm/", {"evidence": "photo_id"}
    )
    assert confirmed.status_code == 302
    assert (
        "Yes, not confirmed" not in housing.get(f"/staff/customers/{hidden.pk}/").content.decode()
    )
    case_page = account.get(resident_pages_of_the_sensitive_case(world)[0])
    assert case_page.status_code == 200


def test_desk_confirmation_asks_what_proof_was_seen(staff_client, world):
    housing, hidden = staff_client(world["staff"]["housing_officer"]), world["hidden"]
    housing.post(f"/staff/customers/{hidden.pk}/account/", {"email": "verity@example.com"})
    response = housing.post(f"/staff/customers/{hidden.pk}/account/confirm/", {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#evidence"' in page
    assert "Select the proof of identity you have seen" in page


def test_an_adviser_cannot_merge_a_record_with_cases_they_may_not_see_into_their_account(
    staff_client, world, council
):
    # The adviser signs up as a resident with their own address, then tries to fold the
    # customer with the sensitive case into that record.
    browser = Client()
    browser.post(
        "/wrekin/account/create/",
        {"first_name": "Verity", "last_name": "Hiddenhouse", "email": ADVISERS_OWN_ADDRESS},
    )
    account = signed_in_with_emailed_link(ADVISERS_OWN_ADDRESS)
    workspace = staff_client(world["staff"]["adviser"])
    own_record = Customer.objects.get(user__email=ADVISERS_OWN_ADDRESS).pk
    for survivor, duplicate in ((own_record, world["hidden"].pk), (world["hidden"].pk, own_record)):
        response = workspace.post(
            f"/staff/customers/{survivor}/merge/", {"duplicate": duplicate, "confirm": "yes"}
        )
        assert response.status_code == 400
        assert "cases you cannot see" in response.content.decode()
    assert world["sensitive"].reference not in account.get("/wrekin/account/").content.decode()
    for path in resident_pages_of_the_sensitive_case(world):
        assert account.get(path).status_code == 404, path
