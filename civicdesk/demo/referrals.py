"""The demo's partner organisation, an NHS community trust, and referrals in the history
(ADR 45): Telford & Wrekin's advisers refer care and support requests to the trust, which
accepts most, declines a few with a reason and has some still to decide; the two councils also
refer to each other. Every referral goes through the referral services, so the figures and
pages show what the real steps would have left."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import Group, User

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import case_transition
from civicdesk.cases.models import Case
from civicdesk.catalogue.importing import (
    QuestionSpec,
    RequestTypeSpec,
    TargetSpec,
    catalogue_import,
)
from civicdesk.core.audit import Actor
from civicdesk.organisations.choices import OrganisationKind, Role
from civicdesk.organisations.models import Organisation, StaffMember, Team
from civicdesk.referrals.choices import ContactSharing, DeclineReason
from civicdesk.referrals.services import (
    Acceptance,
    ReferralChoice,
    referral_accept,
    referral_decline,
    referral_send,
)

PARTNER_NAME = "Shropshire Community Health NHS Trust"
PARTNER_SLUG = "shropcom"
PARTNER_HANDLE = "shropcom"
PARTNER_DOMAIN = "shropcom.example"
THERAPY, NURSING = "Community therapy", "District nursing"
# The trust's accounts listed on the demo's welcome page.
PARTNER_SIGN_INS = [
    f"officer.therapy@{PARTNER_HANDLE}",
    f"manager@{PARTNER_HANDLE}",
    f"admin@{PARTNER_HANDLE}",
]
# The council teams other organisations may refer to.
COUNCIL_TEAMS_TAKING_REFERRALS = ("Adult social care", "Housing")
# The services a referral from a council most often becomes at the trust.
PARTNER_CATALOGUE = (
    {
        "key": "home-therapy",
        "name": "Occupational therapy assessment at home",
        "service_area": THERAPY,
        "provider_tier": "any",
        "kind": "request",
        "description": "Equipment and adaptations to stay safe and independent at home.",
    },
    {
        "key": "district-nursing",
        "name": "District nursing visit",
        "service_area": NURSING,
        "provider_tier": "any",
        "kind": "request",
        "description": "Nursing care at home for people who cannot get to a clinic.",
    },
)
PARTNER_SPEC = {
    "home-therapy": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "hard-at-home",
                "What does the person find hard at home?",
                "text",
                required=False,
            ),
        ),
        targets=(TargetSpec(10, "working_days", "visit you"),),
    ),
    "district-nursing": RequestTypeSpec(
        questions=(
            QuestionSpec("care-needed", "What nursing care is needed?", "text", required=False),
        ),
        targets=(TargetSpec(2, "working_days", "visit you"),),
    ),
}
REFERRED_SERVICES = ("adult-care", "care-line", "blue-badge")
REFERRALS_FROM_TELFORD = 24
REASONS = (
    "Resident finding the stairs hard after a fall: please assess for equipment.",
    "Needs help at home after leaving hospital; asked us for care and support.",
    "Asked about a wound dressing at home; this is nursing, not social care.",
)


def demo_partner_create(*, password: str, group: Group) -> Organisation:
    """The trust, its two teams that take referrals, a small catalogue and its staff: a lead and
    an officer in each team, a manager and an administrator, with the demo password. A partner
    has no contact centre: its work reaches it by referral."""
    partner = Organisation.objects.create(
        name=PARTNER_NAME,
        slug=PARTNER_SLUG,
        kind=OrganisationKind.PARTNER,
        phone="01632 960400",
        website="https://www.shropscommunityhealth.nhs.uk",
        email_from=f"referrals@{PARTNER_DOMAIN}",
    )
    teams = {
        name: Team.objects.create(
            organisation=partner,
            name=name,
            slug=handle,
            email=f"{handle}@{PARTNER_DOMAIN}",
            accepts_referrals=True,
        )
        for name, handle in ((THERAPY, "therapy"), (NURSING, "nursing"))
    }
    catalogue_import(organisation=partner, rows=PARTNER_CATALOGUE, spec=PARTNER_SPEC, teams=teams)
    people = [
        (f"lead.therapy@{PARTNER_HANDLE}", "Priya", "Raman", Role.TEAM_LEAD, [teams[THERAPY]]),
        (f"officer.therapy@{PARTNER_HANDLE}", "Owen", "Pryce", Role.OFFICER, [teams[THERAPY]]),
        (f"officer.nursing@{PARTNER_HANDLE}", "Megan", "Lloyd", Role.OFFICER, [teams[NURSING]]),
        (f"lead.nursing@{PARTNER_HANDLE}", "Rhys", "Bowen", Role.TEAM_LEAD, [teams[NURSING]]),
        (f"manager@{PARTNER_HANDLE}", "Dafydd", "Morris", Role.MANAGER, []),
        (f"admin@{PARTNER_HANDLE}", "Sian", "Edwards", Role.ADMIN, []),
    ]
    for username, first, last, role, member_of in people:
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{first}.{last}@{PARTNER_DOMAIN}".lower(),
            password=password,
            is_staff=role == Role.ADMIN,
        )
        member = StaffMember.objects.create(user=user, organisation=partner, role=role)
        member.teams.set(member_of)
        if role == Role.ADMIN:
            user.groups.add(group)
    return partner


def demo_council_teams_take_referrals(*, organisation: Organisation) -> None:
    Team.objects.filter(organisation=organisation, name__in=COUNCIL_TEAMS_TAKING_REFERRALS).update(
        accepts_referrals=True
    )


def demo_referrals_create(
    *, sender: Organisation, partner: Organisation, now: datetime, rng: random.Random
) -> int:
    """Referrals of the sender's care requests to the partner over the last months: about
    three in four accepted (and most of those since resolved), one in eight declined, the rest
    waiting. Returns how many were sent."""
    adviser = _member(sender, Role.ADVISER)
    deciders = {
        team.pk: _member(partner, Role.OFFICER, team=team)
        for team in Team.objects.filter(organisation=partner, accepts_referrals=True)
    }
    teams = list(Team.objects.filter(organisation=partner, accepts_referrals=True).order_by("pk"))
    cases = list(
        Case.objects.filter(
            organisation=sender,
            request_type__key__in=REFERRED_SERVICES,
            customer__isnull=False,
            opened_at__lt=now - timedelta(days=3),
            opened_at__gt=now - timedelta(days=180),
        )
        .select_related("request_type", "customer", "organisation")
        .order_by("opened_at")[:REFERRALS_FROM_TELFORD]
    )
    for number, case in enumerate(cases):
        team = teams[number % len(teams)]
        sent_at = case.opened_at + timedelta(hours=rng.randint(1, 30))
        referral = referral_send(
            sender=adviser,
            case=case,
            choice=ReferralChoice(
                to_team=team,
                reason=REASONS[number % len(REASONS)],
                answer_keys=list(case.answers),
                description=case.description,
                contact_sharing=(
                    ContactSharing.CONSENT if rng.random() < 0.8 else ContactSharing.NOT_SHARED
                ),
            ),
            actor=Actor.for_user(adviser.user),
            now=sent_at,
        )
        decided_at = sent_at + timedelta(hours=rng.randint(2, 72))
        if decided_at >= now or number % 8 == 7:
            continue  # still waiting for the trust to decide
        decider = deciders[team.pk]
        actor = Actor.for_user(decider.user)
        if number % 8 == 3:
            referral_decline(
                referral=referral,
                staff=decider,
                reason=rng.choice((DeclineReason.NOT_ELIGIBLE, DeclineReason.ALREADY_KNOWN)),
                note="Already known to our service; we have been in touch with the resident.",
                actor=actor,
                now=decided_at,
            )
            continue
        service = "home-therapy" if team.slug == "therapy" else "district-nursing"
        accepted = referral_accept(
            referral=referral,
            staff=decider,
            acceptance=Acceptance(service_key=service),
            actor=actor,
            now=decided_at,
        ).accepted_case
        resolved_at = decided_at + timedelta(days=rng.randint(2, 20))
        if accepted is not None and resolved_at < now and rng.random() < 0.7:
            case_transition(
                case=accepted, to_status=CaseStatus.RESOLVED, actor=actor, now=resolved_at
            )
    return len(cases)


def _member(organisation: Organisation, role: str, *, team: Team | None = None) -> StaffMember:
    """The first member of staff in that role (and team): the demo always has one."""
    members = StaffMember.objects.select_related("user", "organisation").filter(
        organisation=organisation, role=role
    )
    if team is not None:
        members = members.filter(teams=team)
    return members.order_by("pk")[0]
