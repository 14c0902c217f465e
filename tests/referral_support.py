"""A council, an NHS trust partner and a case to refer between them, for the referral tests."""

from __future__ import annotations

from dataclasses import dataclass

from civicdesk.cases.attachments import case_attach
from civicdesk.cases.documents import Upload
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Attachment, Case
from civicdesk.core.audit import Actor
from civicdesk.customers.models import Customer
from civicdesk.customers.services import CustomerDetails, customer_create
from civicdesk.organisations.choices import OrganisationKind, Role
from civicdesk.organisations.models import Organisation, StaffMember, Team

from . import factories
from .sample_files import PNG

SECRET_NOTE = "Internal: the trust's own working, never for the council"
PRIVATE_ANSWER = "Keysafe code 4471"


@dataclass
class ReferralWorld:
    council: Organisation
    partner: Organisation
    care_team: Team  # the council's adult care team, which refers
    trust_team: Team  # the trust's team that takes referrals
    trust_other_team: Team
    adviser: StaffMember  # council, in the care team
    trust_officer: StaffMember
    trust_other_officer: StaffMember
    trust_manager: StaffMember
    resident: Customer
    case: Case
    document: Attachment


def referral_world() -> ReferralWorld:
    council = factories.OrganisationFactory(
        name="Telford & Wrekin Council", slug="telford-wrekin", phone="01632 960100"
    )
    partner = factories.OrganisationFactory(
        name="Shropshire Community Health NHS Trust",
        slug="shropcom",
        kind=OrganisationKind.PARTNER,
        phone="01632 960400",
    )
    care_team = factories.TeamFactory(organisation=council, name="Adult social care")
    care = factories.RequestTypeFactory(
        organisation=council,
        key="adult-care",
        name="Adult social care assessment",
        service_area=factories.ServiceAreaFactory(organisation=council, team=care_team),
    )
    factories.QuestionFactory(request_type=care, key="need", label="What help is needed?")
    factories.QuestionFactory(
        request_type=care, key="access", label="How do we get in?", required=False
    )
    factories.CharterTargetFactory(request_type=care, amount=10, unit="working_days")
    trust_team = factories.TeamFactory(
        organisation=partner, name="Community therapy", accepts_referrals=True
    )
    trust_other_team = factories.TeamFactory(organisation=partner, name="Podiatry")
    therapy = factories.RequestTypeFactory(
        organisation=partner,
        key="home-therapy",
        name="Occupational therapy at home",
        service_area=factories.ServiceAreaFactory(organisation=partner, team=trust_team),
    )
    factories.CharterTargetFactory(
        request_type=therapy, amount=5, unit="working_days", summary="visit you"
    )
    adviser = factories.StaffFactory(organisation=council, role=Role.ADVISER, teams=[care_team])
    resident = customer_create(
        organisation=council,
        details=CustomerDetails(
            first_name="Ada",
            last_name="Lovelock",
            emails=["ada.lovelock@example.com"],
            address_line_1="2 Church Street",
            town="Wellington",
            postcode="TF1 1AB",
        ),
        actor=Actor.for_user(adviser.user),
    )
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="adult-care",
            channel="phone",
            customer=resident,
            description="Struggling with the stairs since a fall.",
            answers={"need": "A rail by the stairs", "access": PRIVATE_ANSWER},
        ),
        actor=Actor.for_user(adviser.user),
    )
    document = case_attach(
        case=case,
        upload=Upload(name="stairs.png", content=PNG),
        actor=Actor.for_user(adviser.user),
        public=False,
    )
    return ReferralWorld(
        council=council,
        partner=partner,
        care_team=care_team,
        trust_team=trust_team,
        trust_other_team=trust_other_team,
        adviser=adviser,
        trust_officer=factories.StaffFactory(
            organisation=partner, role=Role.OFFICER, teams=[trust_team]
        ),
        trust_other_officer=factories.StaffFactory(
            organisation=partner, role=Role.OFFICER, teams=[trust_other_team]
        ),
        trust_manager=factories.StaffFactory(organisation=partner, role=Role.MANAGER),
        resident=resident,
        case=Case.objects.get(pk=case.pk),
        document=document,
    )
