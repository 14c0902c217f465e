"""Reading referrals, always through what the member of staff may see.

The sender's side sees the referrals of work it may see itself (the case's visibility rules
apply: a sensitive service's referral only to its team). The receiver's side sees what was sent
to its organisation if they are in the receiving team, or its manager. Nobody else sees that a
referral exists: to them it is "not found".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet

from civicdesk.cases.selectors import case_request_types, cases_visible_to
from civicdesk.contacts.selectors import contacts_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember, Team
from civicdesk.organisations.selectors import team_ids_for

from .choices import EndpointKind, ReferralStatus
from .models import ExternalOrganisation, Referral

if TYPE_CHECKING:
    from civicdesk.cases.models import Attachment, Case
    from civicdesk.catalogue.models import RequestType

# On the receiving side, besides the receiving team: who oversees everything referred in.
RECEIVING_OVERSIGHT_ROLES = frozenset({Role.MANAGER})
# Roles that send and decide on referrals: case work, not configuration or oversight alone.
REFERRAL_ROLES = frozenset({Role.ADVISER, Role.OFFICER, Role.TEAM_LEAD, Role.MANAGER})


def _related(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.select_related(
        "from_organisation",
        "to_organisation",
        "to_team",
        "to_external",
        "dispatch",
        "case__request_type",
        "accepted_case",
        "sent_by",
        "decided_by",
    )


def referrals_sent_by(staff: StaffMember) -> QuerySet[Referral]:
    """Referrals of the staff member's organisation's work that they may see themselves."""
    if staff.role not in REFERRAL_ROLES:
        return Referral.objects.none()
    # Asked of each referral (a few) as EXISTS, not as IN over every case and contact the
    # staff member may see (millions at a large council).
    case_visible = Exists(cases_visible_to(staff).filter(pk=OuterRef("case_id")))
    contact_visible = Exists(contacts_visible_to(staff).filter(pk=OuterRef("contact_id")))
    return _related(
        Referral.objects.filter(from_organisation_id=staff.organisation_id).filter(
            Q(case_visible) | Q(case__isnull=True) & Q(contact_visible)
        )
    )


def referrals_received_by(staff: StaffMember) -> QuerySet[Referral]:
    """Referrals sent to the staff member's team, or to their organisation for a manager.
    Withdrawn ones the receiver never decided on are left out."""
    if staff.role not in REFERRAL_ROLES:
        return Referral.objects.none()
    received = Referral.objects.filter(to_organisation_id=staff.organisation_id).exclude(
        status=ReferralStatus.WITHDRAWN
    )
    if staff.role not in RECEIVING_OVERSIGHT_ROLES:
        received = received.filter(to_team_id__in=team_ids_for(staff))
    return _related(received)


def access_referral(*, staff: StaffMember, referral_id: int) -> Referral:
    """The referral if the staff member may see it, from either side."""
    referral = (
        referrals_received_by(staff).filter(pk=referral_id).first()
        or referrals_sent_by(staff).filter(pk=referral_id).first()
    )
    if referral is None:
        raise NotFound("There is no referral with that number.")
    return referral


def is_receiver(*, staff: StaffMember, referral: Referral) -> bool:
    return referral.to_organisation_id == staff.organisation_id


def may_decide(*, staff: StaffMember, referral: Referral) -> bool:
    return (
        is_receiver(staff=staff, referral=referral)
        and referral.status == ReferralStatus.SENT
        and referrals_received_by(staff).filter(pk=referral.pk).exists()
    )


def may_refer(staff: StaffMember) -> bool:
    return staff.role in REFERRAL_ROLES


def referrals_of_case(*, staff: StaffMember, case: Case) -> list[Referral]:
    """The referrals of one of the sender's cases, newest first, for its case page. ``case``
    comes from ``access_case``, so the staff member may see it: the referrals are found by the
    case alone, not by testing every case and contact they may see (a slow plan at a large
    council)."""
    if staff.role not in REFERRAL_ROLES or case.organisation_id != staff.organisation_id:
        return []
    return list(
        _related(
            Referral.objects.filter(from_organisation_id=staff.organisation_id, case_id=case.pk)
        )
    )


def referral_of_accepted_case(*, case_id: int) -> Referral | None:
    """Where a receiver's case came from, for its case page; the case was already checked."""
    return (
        Referral.objects.select_related("from_organisation")
        .filter(accepted_case_id=case_id)
        .first()
    )


def referral_destinations(*, organisation_id: int) -> list[Team]:
    """Teams of the other organisations on this installation that take referrals."""
    return list(
        Team.objects.select_related("organisation")
        .filter(accepts_referrals=True)
        .exclude(organisation_id=organisation_id)
        .order_by("organisation__name", "name")
    )


def referral_destination(*, organisation_id: int, team_id: int) -> Team | None:
    return next(
        (
            team
            for team in referral_destinations(organisation_id=organisation_id)
            if team.pk == team_id
        ),
        None,
    )


def external_destinations() -> list[ExternalOrganisation]:
    """Organisations on other systems that an administrator has set up to take referrals."""
    return list(ExternalOrganisation.objects.filter(active=True).order_by("name"))


def external_destination(*, external_id: int) -> ExternalOrganisation | None:
    return ExternalOrganisation.objects.filter(active=True, pk=external_id).first()


def webhook_receiver(*, public_id: str) -> ExternalOrganisation | None:
    """The organisation whose status address this is (ADR 49): one that takes our referrals
    by signed webhook, so has a secret to check its updates with."""
    try:
        wanted = uuid.UUID(public_id)
    except ValueError:
        return None
    return (
        ExternalOrganisation.objects.filter(
            public_id=wanted, active=True, endpoint_kind=EndpointKind.WEBHOOK
        )
        .exclude(signing_secret="")
        .first()
    )


def accepting_services(referral: Referral) -> list[RequestType]:
    """The receiver's services a referral can become a case of: the receiving team's first."""
    services = case_request_types(organisation_id=referral.to_organisation_id or 0)
    return sorted(services, key=lambda service: service.service_area.team_id != referral.to_team_id)


def accepting_service(referral: Referral, *, key: str) -> RequestType | None:
    """The receiver's service of that key, if the referral can become a case of it."""
    return next((service for service in accepting_services(referral) if service.key == key), None)


def documents_to_share(case: Case) -> list[Attachment]:
    """The case's documents the sender may choose from (those not yet virus-checked shown,
    but not offered); the case was already fetched through the sender's access check."""
    return list(case.attachments.all())


def shared_documents(referral: Referral) -> list[Attachment]:
    """The documents the sender chose to share; the referral was already checked."""
    return list(referral.documents.all())


def shared_document(referral: Referral, *, document_id: int) -> Attachment | None:
    """One shared document that passed the virus check, for either side to read."""
    return next(
        (
            document
            for document in shared_documents(referral)
            if document.pk == document_id and document.released
        ),
        None,
    )


@dataclass(frozen=True)
class ReferralOutcome:
    """What the sender may know of the receiver's case: where it stands, never its notes."""

    reference: str
    status: str
    due_at: datetime | None
    resolved_at: datetime | None


def outcome_for_sender(referral: Referral) -> ReferralOutcome | None:
    if referral.to_external is not None:
        if referral.status != ReferralStatus.ACCEPTED:
            return None
        return ReferralOutcome(
            reference=referral.external_reference or "not given",
            status=_external_status_words(referral.external_status),
            due_at=None,
            resolved_at=referral.external_resolved_at,
        )
    case = referral.accepted_case
    if case is None:
        return None
    return ReferralOutcome(
        reference=case.reference,
        status=case.get_status_display(),
        due_at=case.due_at,
        resolved_at=case.resolved_at,
    )


def _external_status_words(status: str) -> str:
    """An Open311 status as staff read it: ``action_scheduled`` is "Action scheduled"."""
    return status.replace("_", " ").capitalize() if status else "Received"
