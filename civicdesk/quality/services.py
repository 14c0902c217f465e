"""Recording quality checks and mystery-customer assessments."""

from __future__ import annotations

from django.db import transaction

from civicdesk.catalogue.models import ServiceArea
from civicdesk.contacts.models import Contact
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, ValidationFailed
from civicdesk.core.starters import starter_list_add
from civicdesk.organisations.models import Organisation

from .choices import AssessmentKind, Score
from .models import QualityAssessment, QualityCriterion, QualityScore


def quality_assess(
    *,
    organisation: Organisation,
    kind: str,
    scores: dict[int, str],
    comments: str,
    actor: Actor,
    contact: Contact | None = None,
    channel: str = "",
    service_area: ServiceArea | None = None,
) -> QualityAssessment:
    """Score a contact (a spot check) or a mystery customer's experience against every active
    criterion of the council. ``scores`` maps criterion id to a score (0, 1 or 2)."""
    criteria = list(QualityCriterion.objects.filter(organisation=organisation, active=True))
    errors: dict[str, str] = {}
    if not criteria:
        raise DomainError("Set up the council's quality criteria in the admin site first.")
    if kind not in AssessmentKind.values:
        errors["kind"] = "Select the kind of assessment"
    if kind == AssessmentKind.SPOT_CHECK:
        if contact is None or contact.organisation_id != organisation.pk:
            raise DomainError("Choose a contact of this council to check.")
        channel = contact.channel
    elif channel not in Channel.values:
        errors["channel"] = "Select the channel the mystery customer used"
    if service_area is not None and service_area.organisation_id != organisation.pk:
        raise DomainError("That service area belongs to another organisation.")
    valid = {str(value) for value in Score.values}
    for criterion in criteria:
        if str(scores.get(criterion.pk, "")) not in valid:
            errors[f"criterion-{criterion.pk}"] = f"Score {criterion.name.lower()}"
    if errors:
        raise ValidationFailed("Score every criterion.", fields=errors)
    points = sum(int(scores[criterion.pk]) for criterion in criteria)
    with transaction.atomic():
        assessment = QualityAssessment.objects.create(
            organisation=organisation,
            kind=kind,
            contact=contact,
            adviser=contact.handled_by if contact is not None else None,
            channel=channel,
            service_area=service_area,
            assessed_by=actor.saved_user,
            comments=comments.strip(),
            percentage=round(100 * points / (Score.MET * len(criteria))),
        )
        QualityScore.objects.bulk_create(
            QualityScore(
                assessment=assessment, criterion=criterion, score=int(scores[criterion.pk])
            )
            for criterion in criteria
        )
        audit_record(
            organisation=organisation,
            subject_type="quality_assessment",
            subject_id=assessment.pk,
            action="assessed",
            actor=actor,
            after={"kind": kind, "percentage": assessment.percentage},
        )
    return assessment


# A starting set of criteria a council can edit in the admin site.
STARTER_CRITERIA = [
    (
        "Greeting and identification",
        "Gave their name and the council's; checked who they spoke to.",
    ),
    ("Understood the need", "Listened, asked the right questions, confirmed the request."),
    ("Accurate information", "Gave correct advice and the charter timescale."),
    ("Recorded correctly", "Logged the contact and any case with the right service and details."),
    ("Plain English and courtesy", "Clear, friendly, no jargon; patient with the customer."),
    ("First-time resolution", "Sorted it there and then where it could be."),
]


def quality_criteria_starter(*, organisation: Organisation) -> int:
    """Give a council the starting set of quality criteria; returns how many were added."""
    return starter_list_add(
        model=QualityCriterion,
        organisation=organisation,
        entries=[(name, {"guidance": guidance}) for name, guidance in STARTER_CRITERIA],
    )
