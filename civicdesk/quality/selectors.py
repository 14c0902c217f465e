"""Reading quality assessments: team leads see their council's, scoped like the contacts;
advisers see their own."""

from __future__ import annotations

import random

from django.db.models import Exists, OuterRef, Q, QuerySet

from civicdesk.contacts.models import Contact
from civicdesk.contacts.selectors import contacts_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import StaffMember

from .models import QualityAssessment, QualityCriterion

ASSESSOR_ROLES = (Role.TEAM_LEAD, Role.MANAGER)


def may_assess(staff: StaffMember) -> bool:
    return staff.role in ASSESSOR_ROLES


def criteria_of(*, organisation_id: int) -> list[QualityCriterion]:
    return list(QualityCriterion.objects.filter(organisation_id=organisation_id, active=True))


def assessments_visible_to(staff: StaffMember) -> QuerySet[QualityAssessment]:
    """Team leads and managers see their council's assessments of contacts they may see (a
    contact about a sensitive service only in its team) and every mystery-customer assessment;
    others see the assessments of their own contacts."""
    assessments = QualityAssessment.objects.filter(organisation_id=staff.organisation_id)
    if may_assess(staff):
        # EXISTS per assessment, not IN over every contact they may see (millions).
        contact_visible = Exists(contacts_visible_to(staff).filter(pk=OuterRef("contact_id")))
        assessments = assessments.filter(Q(contact__isnull=True) | Q(contact_visible))
    else:
        assessments = assessments.filter(adviser_id=staff.user_id)
    return assessments.select_related("adviser", "assessed_by", "service_area", "contact")


def access_assessment(*, staff: StaffMember, assessment_id: int) -> QualityAssessment:
    assessment = assessments_visible_to(staff).filter(pk=assessment_id).first()
    if assessment is None:
        raise NotFound("There is no such assessment.")
    return assessment


def contacts_to_check(
    *, staff: StaffMember, size: int = 10, seed: int | None = None
) -> list[Contact]:
    """A random sample of recent contacts handled by staff and not yet checked, for a spot
    check. The sample is drawn from the latest 500, so it is cheap at any size of council."""
    recent = list(
        contacts_visible_to(staff)
        .filter(handled_by__isnull=False, quality_assessments__isnull=True)
        .select_related("handled_by", "customer", "case")
        .order_by("-started_at", "-id")[:500]
    )
    return sorted(
        random.Random(seed).sample(recent, min(size, len(recent))),
        key=lambda c: c.started_at,
        reverse=True,
    )


def access_contact_to_check(*, staff: StaffMember, contact_id: int) -> Contact:
    contact = (
        contacts_visible_to(staff)
        .filter(pk=contact_id)
        .select_related("handled_by", "customer", "case")
        .first()
    )
    if contact is None:
        raise NotFound("There is no such contact.")
    return contact
