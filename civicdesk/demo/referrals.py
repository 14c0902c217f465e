"""The demo's partner organisation, an NHS community trust, and referrals in the history
(ADR 45): Telford & Wrekin's advisers refer care and support requests to the trust, which
accepts most, declines a few with a reason and has some still to decide. In the two-tier pair
(ADR 47) each council's advisers refer what residents told them that is the other tier's to do:
the district's roads and care to the county, the county's noise and bins to the district.
Every referral goes through the referral services, so the figures and pages show what the real
steps would have left."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import Group, User

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.lifecycle import case_transition
from civicdesk.cases.models import Case
from civicdesk.catalogue.choices import QuestionKind
from civicdesk.catalogue.importing import (
    QuestionSpec,
    RequestTypeSpec,
    TargetSpec,
    catalogue_import,
)
from civicdesk.catalogue.models import RequestType
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor
from civicdesk.core.calendar import LONDON
from civicdesk.core.choices import Channel
from civicdesk.customers.models import Customer
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

from .places import Town

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
# The council teams other organisations may refer to: care and housing in every council, and
# in a two-tier area the teams that take the other tier's reports.
COUNCIL_TEAMS_TAKING_REFERRALS = ("Adult social care", "Housing")
TIER_TEAMS_TAKING_REFERRALS = {
    OrganisationKind.COUNTY: ("Highways",),
    OrganisationKind.DISTRICT: ("Environmental health", "Waste and recycling"),
}
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
# What residents tell the wrong council of a two-tier pair: the service in the sender's
# catalogue (the receiver's own service of the same key opens the case), the receiving team,
# the adviser's reason and what they wrote down of the call.
DISTRICT_TO_COUNTY = (
    (
        "pothole",
        "Highways",
        "Reported to us by phone; the road is yours. Please take it on.",
        "Deep pothole on the road near the caller's home, getting worse in the wet.",
    ),
    (
        "street-light",
        "Highways",
        "Street lights are yours; the resident asked us to pass it on.",
        "Street light out for over a week on a footpath used after dark.",
    ),
    (
        "adult-care",
        "Adult social care",
        "Needs a care assessment; the resident agreed we could pass on their details.",
        "Finding it hard to wash and dress since a fall; family help only at weekends.",
    ),
)
COUNTY_TO_DISTRICT = (
    (
        "noise",
        "Environmental health",
        "Noise is yours to investigate; the resident asked us to pass it on.",
        "Loud music from a neighbouring house most nights after midnight.",
    ),
    (
        "missed-bin",
        "Waste and recycling",
        "Bins are yours; the resident rang us by mistake.",
        "Recycling not emptied on collection day; it was out by 7am.",
    ),
)
TIER_REFERRALS_EACH_WAY = 12
TIER_REFERRALS_APART_DAYS = 9  # the first was sent about a hundred days before the last
WAITING_EVERY, DECLINED_AT = 6, 2  # of every six, the sixth is still waiting, the third declined
DECLINES = (
    (DeclineReason.ALREADY_KNOWN, "We already have a report of this and are dealing with it."),
    (DeclineReason.NEEDS_MORE, "We need the exact place: please ask the resident to report it."),
)
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
    names = (
        *COUNCIL_TEAMS_TAKING_REFERRALS,
        *TIER_TEAMS_TAKING_REFERRALS.get(OrganisationKind(organisation.kind), ()),
    )
    Team.objects.filter(organisation=organisation, name__in=names).update(accepts_referrals=True)


def demo_tier_referrals_create(
    *,
    county: Organisation,
    district: Organisation,
    towns: tuple[Town, ...],
    now: datetime,
    rng: random.Random,
) -> int:
    """Referrals each way between a county and its district over the last months, from calls
    about the other tier's services: most accepted (some since resolved), some declined with a
    reason, some waiting. Returns how many were sent."""
    return sum(
        _tier_referrals(
            sender=sender, receiver=receiver, matters=matters, towns=towns, now=now, rng=rng
        )
        for sender, receiver, matters in (
            (district, county, DISTRICT_TO_COUNTY),
            (county, district, COUNTY_TO_DISTRICT),
        )
    )


def _tier_referrals(
    *,
    sender: Organisation,
    receiver: Organisation,
    matters: tuple[tuple[str, str, str, str], ...],
    towns: tuple[Town, ...],
    now: datetime,
    rng: random.Random,
) -> int:
    """The sender's adviser logs each call about the other tier's service and refers it, with
    the resident's consent to share their details, to the receiving team."""
    adviser = _member(sender, Role.ADVISER)
    actor = Actor.for_user(adviser.user)
    residents = list(
        Customer.objects.filter(organisation=sender, kind="person", merged_into=None).order_by("pk")
    )
    keys = {key for key, _, _, _ in matters}
    services = {
        (service.organisation_id, service.key): service
        for service in RequestType.objects.filter(
            organisation__in=[sender, receiver], key__in=keys
        ).prefetch_related("questions")
    }
    teams = {team.name: team for team in Team.objects.filter(organisation=receiver)}
    for number in range(TIER_REFERRALS_EACH_WAY):
        key, team_name, reason, description = matters[number % len(matters)]
        team = teams[team_name]
        days_ago = 4 + TIER_REFERRALS_APART_DAYS * (TIER_REFERRALS_EACH_WAY - 1 - number)
        day = (now - timedelta(days=days_ago)).astimezone(LONDON).date()
        sent_at = datetime.combine(day, time(rng.randint(9, 16), rng.randrange(60)), LONDON)
        contact = contact_log(
            organisation=sender,
            details=ContactDetails(
                channel=Channel.PHONE,
                reason=ContactReason.NEW_REQUEST,
                outcome=ContactOutcome.TRANSFERRED,
                started_at=sent_at - timedelta(minutes=rng.randint(5, 40)),
                duration_seconds=rng.randint(120, 600),
                summary=f"{services[sender.pk, key].name}: referred to {receiver.name}",
            ),
            customer=rng.choice(residents),
            request_type=services[sender.pk, key],
            handled_by=adviser.user,
        )
        referral = referral_send(
            sender=adviser,
            contact=contact,
            choice=ReferralChoice(
                to_team=team,
                reason=reason,
                description=description,
                contact_sharing=ContactSharing.CONSENT,
            ),
            actor=actor,
            now=sent_at,
        )
        if number % WAITING_EVERY == WAITING_EVERY - 1:
            continue  # still waiting for the other council to decide
        decider = _member(receiver, Role.OFFICER, team=team)
        decided_at = sent_at + timedelta(hours=rng.randint(2, 72))  # before now: sent 4+ days ago
        if number % WAITING_EVERY == DECLINED_AT:
            why, note = DECLINES[number // WAITING_EVERY % len(DECLINES)]
            referral_decline(
                referral=referral,
                staff=decider,
                reason=why,
                note=note,
                actor=Actor.for_user(decider.user),
                now=decided_at,
            )
            continue
        town = rng.choice(towns)
        accepted = referral_accept(
            referral=referral,
            staff=decider,
            acceptance=Acceptance(
                service_key=key,
                answers=_answers(services[receiver.pk, key], town, day, rng),
            ),
            actor=Actor.for_user(decider.user),
            now=decided_at,
        ).accepted_case
        resolved_at = decided_at + timedelta(days=rng.randint(2, 15))
        if accepted is not None and resolved_at < now and rng.random() < 0.6:
            case_transition(
                case=accepted,
                to_status=CaseStatus.RESOLVED,
                actor=Actor.for_user(decider.user),
                now=resolved_at,
            )
    return TIER_REFERRALS_EACH_WAY


def _answers(service: RequestType, town: Town, day: date, rng: random.Random) -> dict[str, Any]:
    """Answers to the receiving service's questions, as its officer took them from the
    referral and a call back: the place in the resident's town, the first choices that fit."""
    answers: dict[str, Any] = {}
    for question in service.questions.all():
        if question.kind == QuestionKind.LOCATION:
            answers[question.key] = {
                "latitude": town.latitude + rng.uniform(-0.002, 0.002),
                "longitude": town.longitude + rng.uniform(-0.002, 0.002),
                "description": f"In {town.name}, as the resident described it",
            }
        elif not question.required:
            continue
        elif question.kind == QuestionKind.CHOICE:
            answers[question.key] = rng.choice(question.choices)
        elif question.kind == QuestionKind.NUMBER:
            answers[question.key] = question.minimum or 0
        elif question.kind == QuestionKind.DATE:
            answers[question.key] = day.isoformat()
        else:
            answers[question.key] = "Taken from the referral."
    return answers


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
