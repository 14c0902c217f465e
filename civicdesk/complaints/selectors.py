"""Reading complaints on behalf of staff, through the case they belong to."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from civicdesk.cases.models import Case
from civicdesk.cases.selectors import access_case, cases_visible_to
from civicdesk.organisations.models import StaffMember

from .models import Complaint, ComplaintReason


def access_complaint_case(*, staff: StaffMember, reference: str) -> tuple[Case, Complaint | None]:
    """A complaint case the staff member may see, with its complaint record if recorded."""
    case = access_case(staff=staff, reference=reference)
    return case, Complaint.objects.filter(case=case).prefetch_related("reasons").first()


def complaints_visible_to(staff: StaffMember) -> QuerySet[Complaint]:
    return Complaint.objects.filter(case__in=cases_visible_to(staff))


def complaints_open(*, staff: StaffMember) -> list[Complaint]:
    """Complaints waiting for our response at their current stage, soonest due first."""
    return list(
        complaints_visible_to(staff)
        .filter(responded_at__isnull=True)
        .select_related("case__customer", "case__request_type", "about_service_area")
        .order_by("stage_due_at", "id")
    )


def complaint_cases_not_recorded(*, staff: StaffMember) -> list[Case]:
    """Complaint cases whose reasons and stage have not been recorded yet."""
    return list(
        cases_visible_to(staff)
        .filter(kind="complaint", complaint__isnull=True)
        .select_related("customer", "request_type")
        .order_by("opened_at")[:100]
    )


def complaint_reasons(*, organisation_id: int) -> list[ComplaintReason]:
    return list(ComplaintReason.objects.filter(organisation_id=organisation_id, active=True))


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    customer_experience: bool
    complaints: int
    upheld: int


def complaint_trends(*, staff: StaffMember) -> list[ReasonCount]:
    """How many complaints gave each reason, and how many of those were upheld in full or in
    part, so that the reasons about customer experience can be addressed."""
    visible = complaints_visible_to(staff)
    rows = (
        ComplaintReason.objects.filter(organisation_id=staff.organisation_id)
        .annotate(
            total=Count("complaints", filter=Q(complaints__in=visible)),
            upheld=Count(
                "complaints",
                filter=Q(complaints__in=visible)
                & (
                    Q(complaints__stage1_outcome__in=["upheld", "partly_upheld"])
                    | Q(complaints__stage2_outcome__in=["upheld", "partly_upheld"])
                ),
            ),
        )
        .order_by("-total", "name")
    )
    return [ReasonCount(row.name, row.customer_experience, row.total, row.upheld) for row in rows]
