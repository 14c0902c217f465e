"""Complaint rules: recording a complaint, responding at each stage, escalating to stage 2 and
referring to the Ombudsman. Each function is atomic and audited on the complaint's case."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from civicdesk.cases.choices import CaseKind, CaseStatus, NoteVisibility
from civicdesk.cases.lifecycle import LIFECYCLE, case_add_note, case_set_timescale, case_transition
from civicdesk.cases.models import Case
from civicdesk.catalogue.models import ServiceArea
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import DomainError, TransitionNotAllowed, ValidationFailed
from civicdesk.core.starters import starter_list_add
from civicdesk.organisations.models import Organisation

from .choices import Outcome
from .models import Complaint, ComplaintReason, ComplaintTimescale

# The stage timescales most UK complaint codes use, where the council has not set its own.
DEFAULT_WORKING_DAYS = {1: 10, 2: 20}


def stage_working_days(*, organisation_id: int, stage: int) -> int:
    set_by_council = ComplaintTimescale.objects.filter(
        organisation_id=organisation_id, stage=stage
    ).first()
    return set_by_council.working_days if set_by_council else DEFAULT_WORKING_DAYS[stage]


def _start_stage(case: Case, *, stage: int, start: datetime, actor: Actor) -> datetime:
    """Put the complaint's case on the stage's timescale, so that queues and the charter sweep
    flag it by that, not by the service's own target; returns when the stage is due."""
    days = stage_working_days(organisation_id=case.organisation_id, stage=stage)
    if not case.is_open:
        return case.organisation.calendar.add_working_days(start, days)
    case = case_set_timescale(
        case=case,
        working_days=days,
        start=start,
        summary=f"Stage {stage} complaint: a response within {days} working days",
        actor=actor,
    )
    assert case.due_at is not None  # a working-days timescale always has a due date
    return case.due_at


def complaint_record(
    *,
    case: Case,
    reasons: list[ComplaintReason],
    about_service_area: ServiceArea | None,
    actor: Actor,
) -> Complaint:
    """Start the complaint procedure for a complaint case: stage 1, due from when it came in."""
    if case.kind != CaseKind.COMPLAINT:
        raise DomainError("Only a complaint case can go through the complaints procedure.")
    if not reasons:
        raise ValidationFailed(
            "Select what the complaint is about.",
            fields={"reasons": "Select at least one reason for the complaint"},
        )
    if any(
        reason.organisation_id != case.organisation_id or not reason.active for reason in reasons
    ):
        raise ValidationFailed(
            "Select reasons from the council's list.",
            fields={"reasons": "Select reasons from the list"},
        )
    if (
        about_service_area is not None
        and about_service_area.organisation_id != case.organisation_id
    ):
        raise DomainError("That service area belongs to another organisation.")
    with transaction.atomic():
        if Complaint.objects.select_for_update().filter(case=case).exists():
            raise DomainError("This complaint has already been recorded.")
        due = _start_stage(case, stage=1, start=case.opened_at, actor=actor)
        complaint = Complaint.objects.create(
            case=case,
            organisation_id=case.organisation_id,
            about_service_area=about_service_area,
            stage=1,
            stage_started_at=case.opened_at,
            stage_due_at=due,
            stage1_due_at=due,
            recorded_by=actor.saved_user,
        )
        complaint.reasons.set(reasons)
        _audit(complaint, "complaint_recorded", actor, {"reasons": sorted(r.pk for r in reasons)})
    return complaint


def complaint_respond(
    *,
    complaint: Complaint,
    outcome: str,
    response: str,
    remedy: str,
    learning: str,
    actor: Actor,
    now: datetime | None = None,
) -> Complaint:
    """The council's response at the current stage: the outcome, what it did to put things
    right and what it learned. The response is sent to the customer and the case resolved."""
    errors: dict[str, str] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = "Select whether the complaint is upheld, partly upheld or not upheld"
    if not response.strip():
        errors["response"] = "Enter the response to send to the customer"
    if outcome in (Outcome.UPHELD, Outcome.PARTLY_UPHELD) and not remedy.strip():
        errors["remedy"] = "Enter what we did to put things right"
    if errors:
        raise ValidationFailed("There is a problem with the response.", fields=errors)
    now = now or timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        if complaint.responded_at is not None:
            raise TransitionNotAllowed(
                f"We have already responded at stage {complaint.stage}. Escalate the complaint "
                "to stage 2 if the customer is still unhappy."
            )
        complaint.responded_at = now
        setattr(complaint, f"stage{complaint.stage}_outcome", outcome)
        setattr(complaint, f"stage{complaint.stage}_responded_at", now)
        # Each stage keeps its own: the stage 2 review does not overwrite what stage 1 did.
        prefix = "" if complaint.stage == 1 else "stage2_"
        setattr(complaint, f"{prefix}remedy", remedy.strip())
        setattr(complaint, f"{prefix}learning", learning.strip())
        complaint.save()
        case = complaint.case
        if CaseStatus.RESOLVED in LIFECYCLE[case.status]:
            case_transition(
                case=case, to_status=CaseStatus.RESOLVED, actor=actor, note=response, now=now
            )
        else:
            case_add_note(case=case, body=response, visibility=NoteVisibility.PUBLIC, actor=actor)
        _audit(
            complaint, "complaint_responded", actor, {"stage": complaint.stage, "outcome": outcome}
        )
    return complaint


def complaint_escalate(
    *, complaint: Complaint, reason: str, actor: Actor, now: datetime | None = None
) -> Complaint:
    """The customer is still unhappy after stage 1: a review at stage 2, with its own clock."""
    if not reason.strip():
        raise ValidationFailed(
            "Say why the customer is still unhappy.",
            fields={"reason": "Enter why the customer is still unhappy"},
        )
    now = now or timezone.now()
    with transaction.atomic():
        complaint = _lock(complaint)
        if complaint.stage != 1 or complaint.responded_at is None:
            raise TransitionNotAllowed(
                "A complaint goes to stage 2 only after our stage 1 response."
            )
        case = complaint.case
        if CaseStatus.REOPENED in LIFECYCLE[case.status]:
            case = case_transition(
                case=case,
                to_status=CaseStatus.REOPENED,
                actor=actor,
                note="We are reviewing your complaint at stage 2.",
                now=now,
            )
        complaint.stage = 2
        complaint.stage_started_at = now
        complaint.stage_due_at = _start_stage(case, stage=2, start=now, actor=actor)
        complaint.responded_at = None
        complaint.escalation_reason = reason.strip()
        complaint.save()
        _audit(complaint, "complaint_escalated", actor, {"stage": 2})
    return complaint


def complaint_refer_to_ombudsman(
    *, complaint: Complaint, reference: str, actor: Actor, now: datetime | None = None
) -> Complaint:
    """Record that the customer took the complaint to the Ombudsman after our final response."""
    with transaction.atomic():
        complaint = _lock(complaint)
        if complaint.stage != 2 or complaint.responded_at is None:
            raise TransitionNotAllowed("Record an Ombudsman referral after our stage 2 response.")
        if complaint.ombudsman_referred_at is not None:
            raise TransitionNotAllowed("The referral to the Ombudsman is already recorded.")
        complaint.ombudsman_referred_at = now or timezone.now()
        complaint.ombudsman_reference = reference.strip()[:40]
        complaint.save()
        _audit(complaint, "ombudsman_referral", actor, {"reference": complaint.ombudsman_reference})
    return complaint


def _lock(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case__organisation", "case__request_type", "case__customer")
        .get(pk=complaint.pk)
    )


def _audit(complaint: Complaint, action: str, actor: Actor, after: dict[str, object]) -> None:
    audit_record(
        organisation=complaint.case.organisation,
        subject_type="case",
        subject_id=complaint.case_id,
        action=action,
        actor=actor,
        after=after,
    )


# A starting list a council can edit in the admin site. True: about how we dealt with the
# customer rather than the service itself.
STARTER_REASONS = [
    ("Delay in dealing with a request", True),
    ("Not kept informed", True),
    ("Staff attitude or behaviour", True),
    ("Wrong or unclear information", True),
    ("Service not delivered", False),
    ("Quality of the work", False),
    ("Disagrees with a decision or policy", False),
]


def complaint_reasons_starter(*, organisation: Organisation) -> int:
    """Give a council the starting list of complaint reasons; returns how many were added."""
    return starter_list_add(
        model=ComplaintReason,
        organisation=organisation,
        entries=[
            (name, {"customer_experience": experience}) for name, experience in STARTER_REASONS
        ],
    )
