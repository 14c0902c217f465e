"""The demo: two neighbouring unitary councils and a two-tier pair, their staff, residents and
a year of history.

Telford & Wrekin is the main demo council; Shropshire, its neighbour, is smaller and is there so
that boundaries, signposting to the other council and organisation scoping have something to
show. Staffordshire County Council and South Staffordshire Council, a county and a district
covering the same place, are smaller still (ADR 47): each does its own tier's services, and
residents can report anything on either council's pages, the place deciding who takes it.
Everything is written in one transaction with bulk inserts, from a seeded random generator, so
a load takes seconds and gives the same residents and patterns every time; the history ends
at the moment of loading. Loading again when the demo councils exist does nothing.

Every demo account shares one password, published in the README. Never load the demo into a
database that real residents' data will go into.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from shapely import prepared
from shapely.geometry import shape

from civicdesk.appointments.services import appointment_book, walk_in_record
from civicdesk.assistant.services import knowledge_base_load
from civicdesk.catalogue.choices import ProviderTier
from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.complaints.services import complaint_reasons_starter
from civicdesk.core.audit import Actor
from civicdesk.core.calendar import LONDON
from civicdesk.customers.models import Customer
from civicdesk.geo.services import STREETS_DATA, street_rows_read, streets_import
from civicdesk.organisations.choices import OrganisationKind, Role
from civicdesk.organisations.models import Organisation, StaffMember, Team
from civicdesk.organisations.services import administrators_group
from civicdesk.quality.services import quality_criteria_starter

from . import neighbours, places
from .casework import demo_accounts_create, demo_complaints_handle, demo_privacy_requests_open
from .catalogue_spec import SPEC
from .database import database_tuned_for_a_load, statistics_refresh
from .feedback import demo_feedback_create
from .history import Staffing, Volumes, history_create
from .integrations import demo_doors_create
from .local_services import (
    demo_collection_rounds_create,
    demo_landmarks_create,
    demo_places_create,
)
from .planning import demo_rota_create
from .referrals import (
    PARTNER_NAME,
    PARTNER_SIGN_INS,
    PARTNER_SLUG,
    demo_council_teams_take_referrals,
    demo_partner_create,
    demo_referrals_create,
    demo_tier_referrals_create,
)
from .residents import Area, NumberPool, residents_create

DEMO_PASSWORD = "civicdesk-demo"  # noqa: S105 - the published demo password, see the README
SEED = 2025
BOUNDARIES = Path(__file__).resolve().parent / "data" / "boundaries"
PLATFORM_USERNAME = "platform"
OUT_OF_HOURS_TEAM = "Out of hours"
CONTACT_CENTRE = "Customer services"
# The team that answers subject access and erasure requests, with the data protection officer.
INFORMATION_GOVERNANCE = "Information governance"
ADVISERS_PER_COUNCIL = 6

# Short, memorable team names for usernames such as officer.waste@telford.
TEAM_HANDLES = {
    "Waste and recycling": "waste",
    "Street scene": "streets",
    "Highways": "highways",
    "Parking": "parking",
    "Council tax and benefits": "revenues",
    "Housing": "housing",
    "Adult social care": "adult-care",
    "Children's services": "children",
    "Education": "education",
    "Libraries": "libraries",
    "Registration": "registrars",
    "Environmental health": "env-health",
    "Planning": "planning",
    "Business": "business",
    CONTACT_CENTRE: "customer-services",
    INFORMATION_GOVERNANCE: "info-governance",
    OUT_OF_HOURS_TEAM: "on-call",
}


@dataclass(frozen=True)
class CouncilSpec:
    name: str
    slug: str
    kind: str
    code: str
    handle: str
    boundary_file: str
    website: str
    phone: str
    emergency_phone: str
    domain: str
    towns: tuple[places.Town, ...]
    business_parks: tuple[str, ...]
    residents: int
    contacts: int
    cases: int
    signposts: tuple[str, ...]
    streets_file: str = ""  # a synthetic street list in civicdesk/geo/data/, if any
    # The team whose lead and officer are listed on the welcome page.
    showcase_team: str = "waste"
    # Why people are booked at the reception desk tomorrow, and why two are waiting today.
    desk_reasons: tuple[str, ...] = (
        "Council tax bill",
        "Blue badge application",
        "Housing register form",
    )
    walk_in_reasons: tuple[str, ...] = ("Parking permit", "Bus pass")


_ELSEWHERE = (
    "NHS 111",
    "DVLA",
    "Police non-emergency (101)",
    "Severn Trent Water",
    "National Highways",
    "Department for Work and Pensions",
    "HM Revenue and Customs",
)

COUNCILS = (
    CouncilSpec(
        name="Telford & Wrekin Council",
        slug="telford-wrekin",
        kind=OrganisationKind.UNITARY,
        code="E06000020",
        handle="telford",
        boundary_file="E06000020-telford-and-wrekin.geojson",
        website="https://www.telford.gov.uk",
        phone="01632 960100",
        emergency_phone="01632 960199",
        domain="telford-wrekin.example",
        towns=places.TELFORD_TOWNS,
        business_parks=places.TELFORD_BUSINESS_PARKS,
        residents=3000,
        contacts=40_000,
        cases=8_000,
        signposts=("Shropshire Council", "Citizens Advice Telford & The Wrekin", *_ELSEWHERE),
        streets_file="demo-streets-telford.csv",
    ),
    CouncilSpec(
        name="Shropshire Council",
        slug="shropshire",
        kind=OrganisationKind.UNITARY,
        code="E06000051",
        handle="shropshire",
        boundary_file="E06000051-shropshire.geojson",
        website="https://www.shropshire.gov.uk",
        phone="01632 960200",
        emergency_phone="01632 960299",
        domain="shropshire.example",
        towns=places.SHROPSHIRE_TOWNS,
        business_parks=places.SHROPSHIRE_BUSINESS_PARKS,
        residents=400,
        contacts=5_000,
        cases=1_000,
        signposts=(
            "Telford & Wrekin Council",
            "Powys County Council",
            "Citizens Advice Shropshire",
            *_ELSEWHERE,
        ),
    ),
    # The two-tier pair. No county boundary is at hand, so the county's demo area is the part
    # of Staffordshire that South Staffordshire covers: the district's boundary (ADR 47).
    CouncilSpec(
        name="Staffordshire County Council",
        slug="staffordshire",
        kind=OrganisationKind.COUNTY,
        code="E10000028",
        handle="staffs",
        boundary_file="E07000196-south-staffordshire.geojson",
        website="https://www.staffordshire.gov.uk",
        phone="01632 960300",
        emergency_phone="01632 960399",
        domain="staffordshire.example",
        towns=places.SOUTH_STAFFORDSHIRE_TOWNS,
        business_parks=places.SOUTH_STAFFORDSHIRE_BUSINESS_PARKS,
        residents=150,
        contacts=800,
        cases=150,
        signposts=("South Staffordshire Council", "Citizens Advice", *_ELSEWHERE),
        showcase_team="highways",
        desk_reasons=("Blue badge application", "Bus pass renewal", "Registering a birth"),
        walk_in_reasons=("Library card", "School place form"),
    ),
    CouncilSpec(
        name="South Staffordshire Council",
        slug="south-staffordshire",
        kind=OrganisationKind.DISTRICT,
        code="E07000196",
        handle="southstaffs",
        boundary_file="E07000196-south-staffordshire.geojson",
        website="https://www.sstaffs.gov.uk",
        phone="01632 960500",
        emergency_phone="01632 960599",
        domain="sstaffs.example",
        towns=places.SOUTH_STAFFORDSHIRE_TOWNS,
        business_parks=places.SOUTH_STAFFORDSHIRE_BUSINESS_PARKS,
        residents=200,
        contacts=1_000,
        cases=200,
        signposts=("Staffordshire County Council", "Citizens Advice", *_ELSEWHERE),
        desk_reasons=("Council tax bill", "Housing register form", "Planning application"),
        walk_in_reasons=("Parking permit", "Garden waste bin"),
    ),
)
TELFORD, SHROPSHIRE, COUNTY, DISTRICT = COUNCILS
FULL_RESIDENTS = COUNCILS[0].residents


@dataclass(frozen=True)
class SignIn:
    username: str
    role: str
    council: str


@dataclass(frozen=True)
class DemoSummary:
    councils: int
    staff: int
    customers: int
    contacts: int
    cases: int
    seconds: float
    streets: int = 0


def demo_exists() -> bool:
    return Organisation.objects.filter(slug__in=[council.slug for council in COUNCILS]).exists()


def demo_load(
    *, scale: float = 1.0, now: datetime | None = None, seed: int = SEED
) -> DemoSummary | None:
    """Load the demo councils, or return None if they are already there.

    ``scale`` shrinks or grows the number of residents, contacts and cases (0.02 loads a
    small demo for tests in about a second).
    """
    if scale <= 0:
        raise ValueError("The demo scale must be more than 0.")
    started = time.perf_counter()
    now = (now or timezone.now()).astimezone(UTC)
    with _no_cyclic_gc(), database_tuned_for_a_load(), transaction.atomic():
        if demo_exists():
            return None
        password = make_password(DEMO_PASSWORD)
        group = administrators_group()
        _platform_user(password)
        numbers = NumberPool(random.Random(seed))
        totals = {"staff": 0, "customers": 0, "contacts": 0, "cases": 0, "streets": 0}
        for council in COUNCILS:
            counts = _council_load(council, scale, now, seed, numbers, password, group)
            for name, count in counts.items():
                totals[name] += count
        _partner_load(password, group, now, seed)
        neighbours.demo_neighbours_create()
        _two_tier_referrals_load(now, seed)
    return DemoSummary(councils=len(COUNCILS), seconds=time.perf_counter() - started, **totals)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector: it would otherwise walk every one of the many thousands of
    model instances built here, again and again, and double the time a load takes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def demo_sign_ins() -> list[SignIn]:
    """The accounts to try the demo with, if it is loaded: one of every role in each council."""
    sign_ins: list[SignIn] = []
    if User.objects.filter(username=PLATFORM_USERNAME, is_superuser=True).exists():
        sign_ins.append(SignIn(PLATFORM_USERNAME, "Platform administrator", "every council"))
    wanted = [
        (f"{prefix}@{council.handle}", council)
        for council in COUNCILS
        for prefix in (
            "adviser",
            f"officer.{council.showcase_team}",
            f"lead.{council.showcase_team}",
            "manager",
            "admin",
            "dpo",
        )
    ]
    staff = {
        member.user.username: member
        for member in StaffMember.objects.select_related("user").filter(
            user__username__in=[username for username, _ in wanted]
        )
    }
    for username, council in wanted:
        if username in staff:
            role = staff[username].get_role_display()
            sign_ins.append(SignIn(username, role, council.name))
    partner = StaffMember.objects.select_related("user").filter(
        user__username__in=PARTNER_SIGN_INS, organisation__slug=PARTNER_SLUG
    )
    sign_ins += [
        SignIn(member.user.username, member.get_role_display(), PARTNER_NAME)
        for member in sorted(
            partner, key=lambda member: PARTNER_SIGN_INS.index(member.user.username)
        )
    ]
    return sign_ins


def boundary_attribution() -> str:
    """The notice the boundary data's licence requires, as written in the boundaries README."""
    text = (BOUNDARIES / "README.md").read_text(encoding="utf-8")
    return " ".join(line[2:].strip() for line in text.splitlines() if line.startswith("> "))


# One council


def _council_load(
    council: CouncilSpec,
    scale: float,
    now: datetime,
    seed: int,
    numbers: NumberPool,
    password: str,
    group: Group,
) -> dict[str, int]:
    rng = random.Random(f"{seed}-{council.slug}")
    geometry = _boundary(council)
    organisation = Organisation.objects.create(
        name=council.name,
        slug=council.slug,
        kind=council.kind,
        code=council.code,
        website=council.website,
        phone=council.phone,
        emergency_phone=council.emergency_phone,
        email_from=f"customer.services@{council.domain}",
        logo=f"portal/logos/{council.slug}.svg",
        boundary=geometry,
        boundary_attribution=boundary_attribution(),
    )
    rows = catalogue_rows_read()
    provided = [row for row in rows if organisation.provides(row["provider_tier"] or "any")]
    teams = _teams_create(organisation, council, [row["service_area"] for row in provided])
    # A two-tier council keeps the other tier's services in its catalogue, so that residents
    # can report anything on its pages and the place decides who takes it (ADR 46). It has no
    # team of its own for them: any that reach it go to the contact centre to refer on.
    routes = {row["service_area"]: teams[CONTACT_CENTRE] for row in rows} | teams
    catalogue_import(organisation=organisation, rows=rows, spec=SPEC, teams=routes)
    knowledge_base_load(organisation=organisation)
    streets = (
        streets_import(
            organisation=organisation, rows=street_rows_read(STREETS_DATA / council.streets_file)
        ).created
        if council.streets_file
        else 0
    )
    demo_doors_create(organisation=organisation, handle=council.handle, domain=council.domain)
    complaint_reasons_starter(organisation=organisation)
    quality_criteria_starter(organisation=organisation)
    on_call = teams[OUT_OF_HOURS_TEAM]
    staffing, staff_count = _staff_create(organisation, council, teams, password, group, rng)
    staffing.on_call = on_call
    area = Area(council.towns, prepared.prep(shape(geometry)))
    residents = residents_create(
        organisation=organisation,
        area=area,
        business_parks=council.business_parks,
        count=max(10, round(council.residents * scale)),
        numbers=numbers,
        recorders=staffing.advisers,
        now=now,
        rng=rng,
    )
    history = history_create(
        organisation=organisation,
        residents=residents,
        area=area,
        staffing=staffing,
        volumes=Volumes(
            contacts=round(council.contacts * scale), cases=round(council.cases * scale)
        ),
        signposts=council.signposts,
        now=now,
        rng=rng,
    )
    # Accounts, complaints and feedback below look up the residents and cases just written.
    statistics_refresh()
    demo_feedback_create(organisation=organisation, scale=scale, now=now, rng=rng)
    # Complaints are handled by the customer services team's lead.
    complaints_lead = staffing.officers[teams[CONTACT_CENTRE].pk][0]
    demo_complaints_handle(organisation=organisation, handler=complaints_lead, now=now, rng=rng)
    demo_accounts_create(organisation=organisation, now=now, rng=rng)
    # The contact centre's rota: its advisers, and its two officers at the reception desk.
    demo_rota_create(
        organisation=organisation,
        advisers=staffing.advisers,
        desk=staffing.officers[teams[CONTACT_CENTRE].pk][1:],
    )
    privacy_requests = demo_privacy_requests_open(organisation=organisation, now=now)
    _visits_create(organisation, council, residents.customers[:6], now)
    return {
        "staff": staff_count,
        "customers": len(residents.customers),
        "contacts": history["contacts"],
        "cases": history["cases"] + privacy_requests,
        "streets": streets,
    }


def _partner_load(password: str, group: Group, now: datetime, seed: int) -> None:
    """The NHS trust partner, the council teams that take referrals, and Telford & Wrekin's
    referrals to the trust in the history."""
    partner = demo_partner_create(password=password, group=group)
    councils = Organisation.objects.filter(slug__in=[council.slug for council in COUNCILS])
    for organisation in councils:
        demo_council_teams_take_referrals(organisation=organisation)
    demo_referrals_create(
        sender=councils.get(slug=TELFORD.slug),
        partner=partner,
        now=now,
        rng=random.Random(f"{seed}-referrals"),
    )


def _two_tier_referrals_load(now: datetime, seed: int) -> None:
    """What each council of the pair heard about that is the other tier's to do, referred."""
    demo_tier_referrals_create(
        county=Organisation.objects.get(slug=COUNTY.slug),
        district=Organisation.objects.get(slug=DISTRICT.slug),
        towns=DISTRICT.towns,
        now=now,
        rng=random.Random(f"{seed}-two-tier-referrals"),
    )


def _visits_create(
    organisation: Organisation, council: CouncilSpec, customers: list[Customer], now: datetime
) -> None:
    """The council's places (local_services: a reception desk, community hubs and libraries,
    with hours, drop-ins, landmarks and bin rounds), with people booked at the desk for the
    next working day and two waiting today, so the reception list has something on it."""
    actor = Actor(label="Demo data")
    desk = demo_places_create(
        organisation=organisation,
        towns=council.towns,
        libraries=organisation.provides(ProviderTier.COUNTY),
    ).desk
    demo_landmarks_create(organisation=organisation, towns=council.towns)
    if organisation.provides(ProviderTier.DISTRICT):  # bins are the district's
        demo_collection_rounds_create(organisation=organisation, towns=council.towns, now=now)
    calendar = organisation.calendar
    next_day = calendar.next_working_day(timezone.localtime(now).date())
    reasons = council.desk_reasons
    for index, (customer, reason) in enumerate(zip(customers[:3], reasons, strict=False)):
        appointment_book(
            venue=desk,
            customer=customer,
            starts_at=datetime.combine(next_day, clock_time(10), tzinfo=LONDON)
            + timedelta(minutes=30 * index),
            reason=reason,
            actor=actor,
            now=now,
        )
    for customer, reason in zip(customers[3:5], council.walk_in_reasons, strict=False):
        walk_in_record(
            venue=desk, customer=customer, name_given="", reason=reason, actor=actor, now=now
        )


def _boundary(council: CouncilSpec) -> dict[str, Any]:
    collection = json.loads((BOUNDARIES / council.boundary_file).read_text(encoding="utf-8"))
    geometry: dict[str, Any] = collection["features"][0]["geometry"]
    return geometry


def _teams_create(
    organisation: Organisation, council: CouncilSpec, area_names: Iterable[str]
) -> dict[str, Team]:
    names = [*dict.fromkeys(area_names), OUT_OF_HOURS_TEAM]
    teams = [
        Team(
            organisation=organisation,
            name=name,
            slug=slugify(name),
            email=f"{_handle(name)}@{council.domain}",
            handles_out_of_hours=name == OUT_OF_HOURS_TEAM,
        )
        for name in names
    ]
    Team.objects.bulk_create(teams)
    return {team.name: team for team in teams}


@dataclass
class _Person:
    user: User
    role: str
    teams: list[Team]


def _staff_create(
    organisation: Organisation,
    council: CouncilSpec,
    teams: dict[str, Team],
    password: str,
    group: Group,
    rng: random.Random,
) -> tuple[Staffing, int]:
    """A lead and two officers in every team, the contact centre's advisers, a manager, an
    administrator, a councillor and a data protection officer (in the information governance
    team, which answers subject access and erasure requests), all with the demo password."""
    people: list[_Person] = []
    emails: set[str] = set()

    def add(
        username: str,
        role: str,
        team_list: list[Team],
        *,
        names: random.Random = rng,
        **flags: bool,
    ) -> User:
        first, last = _staff_name(names)
        email = f"{first}.{last}".lower().replace("'", "")
        while f"{email}@{council.domain}" in emails:
            email += str(names.randint(1, 9))
        emails.add(f"{email}@{council.domain}")
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{email}@{council.domain}",
            password=password,
            **flags,
        )
        people.append(_Person(user=user, role=role, teams=team_list))
        return user

    def team_staff(name: str, names: random.Random = rng) -> list[User]:
        team, handle = teams[name], _handle(name)
        return [
            add(f"lead.{handle}@{council.handle}", Role.TEAM_LEAD, [team], names=names),
            add(f"officer.{handle}@{council.handle}", Role.OFFICER, [team], names=names),
            add(f"officer2.{handle}@{council.handle}", Role.OFFICER, [team], names=names),
        ]

    officers = {name: team_staff(name) for name in teams if name != INFORMATION_GOVERNANCE}
    advisers = [
        add(
            f"adviser{number if number > 1 else ''}@{council.handle}",
            Role.ADVISER,
            [teams[CONTACT_CENTRE]],
        )
        for number in range(1, ADVISERS_PER_COUNCIL + 1)
    ]
    add(f"manager@{council.handle}", Role.MANAGER, [])
    admin = add(f"admin@{council.handle}", Role.ADMIN, [], is_staff=True)
    add(f"councillor@{council.handle}", Role.COUNCILLOR, [])
    # Information governance comes last, its names drawn by a generator of its own, so that
    # the other staff, the residents and their history are the same with it as without it.
    governance = random.Random(f"{council.slug}-{INFORMATION_GOVERNANCE}")
    officers[INFORMATION_GOVERNANCE] = team_staff(INFORMATION_GOVERNANCE, governance)
    add(
        f"dpo@{council.handle}",
        Role.DATA_PROTECTION,
        [teams[INFORMATION_GOVERNANCE]],
        names=governance,
    )

    User.objects.bulk_create([person.user for person in people])
    members = StaffMember.objects.bulk_create(
        [
            StaffMember(user=person.user, organisation=organisation, role=person.role)
            for person in people
        ]
    )
    StaffMember.teams.through.objects.bulk_create(
        [
            StaffMember.teams.through(staffmember_id=member.pk, team_id=team.pk)
            for member, person in zip(members, people, strict=True)
            for team in person.teams
        ]
    )
    admin.groups.add(group)
    staffing = Staffing(
        advisers=advisers,
        officers={teams[name].pk: users for name, users in officers.items()},
        on_call=None,
    )
    return staffing, len(people)


def _staff_name(rng: random.Random) -> tuple[str, str]:
    names = places.FEMALE_NAMES if rng.random() < 0.55 else places.MALE_NAMES
    return rng.choice(names), rng.choice(places.SURNAMES)


def _handle(team_name: str) -> str:
    return TEAM_HANDLES.get(team_name) or slugify(team_name)


def _platform_user(password: str) -> None:
    if User.objects.filter(username=PLATFORM_USERNAME).exists():
        return
    User.objects.create(
        username=PLATFORM_USERNAME,
        first_name="Platform",
        last_name="Administrator",
        email="platform@civicdesk.example",
        password=password,
        is_staff=True,
        is_superuser=True,
    )
