"""Who sees what of a referral: every role of the referring council, a neighbouring council and
the NHS trust partner, on every referral route. Nothing crosses between organisations without a
referral, and nothing beyond what the referral shares."""

from __future__ import annotations

from typing import Any

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_add_note, case_open
from civicdesk.core.audit import Actor
from civicdesk.organisations.choices import Role
from civicdesk.referrals.models import Referral
from civicdesk.referrals.services import Acceptance, ReferralChoice, referral_accept, referral_send

from . import factories
from .referral_support import PRIVATE_ANSWER, SECRET_NOTE, referral_world

pytestmark = pytest.mark.django_db

UNSHARED_DESCRIPTION = "Struggling with the stairs since a fall."
OTHER_CASE_STORY = "A second request the trust was never sent"

# Roles: the referring council's, a neighbouring council's and the trust's.
# The referred service is sensitive: its team refers; the council's manager outside the team
# sees neither the case nor its referrals.
SENDERS = {"council_adviser", "council_lead"}
COUNCIL = SENDERS | {
    "council_manager",
    "council_waste_officer",
    "council_admin",
    "council_dpo",
    "council_councillor",
}
RECEIVERS = {"trust_officer", "trust_manager"}
EVERYONE = COUNCIL | RECEIVERS | {"trust_other_officer", "trust_admin", "neighbour_manager"}


def statuses(allowed: set[str], *, refused: int = 404, **special: int) -> dict[str, int]:
    table = {role: 200 if role in allowed else refused for role in EVERYONE}
    # A councillor's role reaches the insight pages only.
    table["council_councillor"] = 403
    return table | special


@pytest.fixture
def world() -> dict[str, Any]:
    built = referral_world()
    council, partner = built.council, built.partner
    waste_team = factories.TeamFactory(organisation=council, name="Waste")
    staff = {
        "council_adviser": built.adviser,
        "council_lead": factories.StaffFactory(
            organisation=council, role=Role.TEAM_LEAD, teams=[built.care_team]
        ),
        "council_manager": factories.StaffFactory(organisation=council, role=Role.MANAGER),
        "council_waste_officer": factories.StaffFactory(
            organisation=council, role=Role.OFFICER, teams=[waste_team]
        ),
        "council_admin": factories.StaffFactory(organisation=council, role=Role.ADMIN),
        "council_dpo": factories.StaffFactory(organisation=council, role=Role.DATA_PROTECTION),
        "council_councillor": factories.StaffFactory(organisation=council, role=Role.COUNCILLOR),
        "neighbour_manager": factories.StaffFactory(
            organisation=factories.OrganisationFactory(name="Shropshire Council"),
            role=Role.MANAGER,
        ),
        "trust_officer": built.trust_officer,
        "trust_other_officer": built.trust_other_officer,
        "trust_manager": built.trust_manager,
        "trust_admin": factories.StaffFactory(organisation=partner, role=Role.ADMIN),
    }
    # The adult care service is sensitive: only its team sees the council's case.
    built.case.request_type.__class__.objects.filter(pk=built.case.request_type_id).update(
        sensitive=True
    )
    actor = Actor.for_user(built.adviser.user)
    accepted = referral_send(
        sender=built.adviser,
        case=built.case,
        choice=ReferralChoice(
            to_team=built.trust_team,
            reason="Please assess for a stair rail",
            answer_keys=["need"],
            document_ids=[built.document.pk],
            contact_sharing="consent",
        ),
        actor=actor,
    )
    referral_accept(
        referral=accepted,
        staff=built.trust_officer,
        acceptance=Acceptance(service_key="home-therapy"),
        actor=Actor.for_user(built.trust_officer.user),
    )
    accepted.refresh_from_db()
    case_add_note(
        case=accepted.accepted_case,
        body=SECRET_NOTE,
        visibility="internal",
        actor=Actor.for_user(built.trust_officer.user),
    )
    other_case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="adult-care",
            channel="phone",
            customer=built.resident,
            description=OTHER_CASE_STORY,
            answers={"need": "Meals"},
        ),
        actor=actor,
    )
    waiting = referral_send(
        sender=built.adviser,
        case=other_case,
        choice=ReferralChoice(to_team=built.trust_team, reason="Please help with meals"),
        actor=actor,
    )
    return {
        "built": built,
        "staff": staff,
        "accepted": accepted,
        "waiting": waiting,
        "other_case": other_case,
    }


def routes(world: dict[str, Any]) -> list[tuple[str, str, dict[str, str] | None, dict[str, int]]]:
    built, accepted, waiting = world["built"], world["accepted"], world["waiting"]
    theirs = accepted.accepted_case.reference
    sender_side = statuses(SENDERS)
    both_sides = statuses(SENDERS | RECEIVERS)
    return [
        # The list: every case worker, each seeing only their own side's (the bodies are
        # checked below); administrators and data protection officers do not refer (403).
        (
            "/staff/referrals/",
            None,
            statuses(
                SENDERS
                | RECEIVERS
                | {
                    "council_manager",
                    "trust_other_officer",
                    "council_waste_officer",
                    "neighbour_manager",
                },
                refused=403,
            ),
        ),
        (f"/staff/referrals/{accepted.pk}/", None, both_sides),
        (f"/staff/referrals/{waiting.pk}/", None, both_sides),
        (
            f"/staff/referrals/{accepted.pk}/documents/{built.document.pk}/",
            None,
            both_sides,
        ),
        # The sender's own case and the receiver's own case: never the other side's.
        (
            f"/staff/cases/{built.case.reference}/",
            None,
            sender_side | {"council_admin": 404, "council_dpo": 404},
        ),
        (
            f"/staff/cases/{theirs}/",
            None,
            statuses({"trust_officer", "trust_manager", "trust_other_officer", "trust_admin"}),
        ),
        (f"/staff/cases/{built.case.reference}/refer/", None, sender_side),
        # Deciding and withdrawing: the receiving team decides, the sender withdraws. Each post
        # is refused (404) to everyone else, and a decided referral cannot be decided again.
        (f"/staff/referrals/{accepted.pk}/accept/", {"service": "home-therapy"}, statuses(set())),
        (
            f"/staff/referrals/{waiting.pk}/decline/",
            {"reason": "other"},
            statuses(set(), trust_officer=400, trust_manager=400),
        ),
        # The first sender to press the button withdraws it; after that it is decided.
        (
            f"/staff/referrals/{waiting.pk}/withdraw/",
            {},
            statuses(set(), council_adviser=302, council_lead=400),
        ),
    ]


def test_every_role_on_every_referral_route(staff_client, world):
    problems = []
    clients = {role: staff_client(member) for role, member in world["staff"].items()}
    for url, data, expected in routes(world):
        for role, client in clients.items():
            response = client.get(url) if data is None else client.post(url, data)
            if response.status_code != expected[role]:
                problems.append(f"{role} {url}: {response.status_code}, not {expected[role]}")
            body = (
                b"".join(response.streaming_content) if response.streaming else response.content
            ).decode(errors="replace")
            if role.startswith("trust") or role == "neighbour_manager":
                # Only what the referral shares ever reaches the trust.
                for unshared in (PRIVATE_ANSWER, OTHER_CASE_STORY, UNSHARED_DESCRIPTION):
                    if unshared in body:
                        problems.append(f"{role} {url} shows {unshared!r}")
            if not role.startswith("trust") and SECRET_NOTE in body:
                problems.append(f"{role} {url} shows the trust's internal note")
            if role == "neighbour_manager" and "Lovelock" in body:
                problems.append(f"{role} {url} shows the resident's name")
    assert not problems, "\n".join(problems)
    # The refused posts changed nothing; the one withdrawal is the sender's.
    assert sorted(Referral.objects.values_list("status", flat=True)) == ["accepted", "withdrawn"]
