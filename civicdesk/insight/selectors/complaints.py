"""Complaints: stages, timeliness, outcomes and reasons. They are few (hundreds a year, not
millions), so they are counted live from the complaints tables rather than from a summary."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from civicdesk.complaints.models import Complaint, ComplaintReason
from civicdesk.core.calendar import LONDON

from .common import Cell, Filters, Table, percent

UPHELD_IN_WHOLE_OR_PART = ("upheld", "partly_upheld")


def _complaints(filters: Filters) -> QuerySet[Complaint]:
    complaints = Complaint.objects.filter(
        organisation=filters.organisation,
        case__opened_at__date__gte=filters.start,
        case__opened_at__date__lte=filters.end,
    )
    if filters.channel:
        complaints = complaints.filter(case__channel=filters.channel)
    if filters.service_area_id:
        complaints = complaints.filter(about_service_area_id=filters.service_area_id)
    return complaints


# Each stage's response is an answer of its own, judged against that stage's due date; a
# complaint's stage_due_at is stage 2's once it has been escalated.
STAGE_1_ANSWERED = Q(stage1_responded_at__isnull=False)
STAGE_1_IN_TIME = Q(stage1_responded_at__lte=F("stage1_due_at"))
STAGE_2_ANSWERED = Q(stage=2, stage2_responded_at__isnull=False)
STAGE_2_IN_TIME = Q(stage=2, stage2_responded_at__lte=F("stage_due_at"))


def complaints_by_month(filters: Filters) -> Table:
    """Complaints received each month, how many went to stage 2 and the Ombudsman, and how
    many of the responses to them, at stage 1 and at stage 2, were sent in time."""
    rows = (
        _complaints(filters)
        .annotate(month=TruncMonth("case__opened_at", tzinfo=LONDON))
        .values("month")
        .annotate(
            received=Count("pk"),
            escalated=Count("pk", filter=Q(stage=2)),
            ombudsman=Count("pk", filter=Q(ombudsman_referred_at__isnull=False)),
            answered=Count("pk", filter=STAGE_1_ANSWERED) + Count("pk", filter=STAGE_2_ANSWERED),
            in_time=Count("pk", filter=STAGE_1_IN_TIME) + Count("pk", filter=STAGE_2_IN_TIME),
        )
        .order_by("month")
    )
    return Table(
        "complaints-by-month",
        "Complaints by month: stages and timeliness",
        [
            "Month",
            "Received",
            "Went to stage 2",
            "Stage 2 (%)",
            "Referred to the Ombudsman",
            "Answered in time (%)",
        ],
        [
            [
                f"{row['month']:%B %Y}",
                row["received"],
                row["escalated"],
                percent(row["escalated"], row["received"]),
                row["ombudsman"],
                percent(row["in_time"], row["answered"]),
            ]
            for row in rows
        ],
        definition="complaints",
    )


def complaints_outcomes(filters: Filters) -> Table:
    complaints = _complaints(filters)
    table_rows: list[list[Cell]] = []
    for stage in (1, 2):
        field_name = f"stage{stage}_outcome"
        counts = dict(
            complaints.exclude(**{field_name: ""})
            .values(field_name)
            .annotate(total=Count("pk"))
            .values_list(field_name, "total")
        )
        decided = sum(counts.values())
        upheld = sum(counts.get(outcome, 0) for outcome in UPHELD_IN_WHOLE_OR_PART)
        table_rows.append(
            [
                f"Stage {stage}",
                decided,
                counts.get("upheld", 0),
                counts.get("partly_upheld", 0),
                counts.get("not_upheld", 0),
                percent(upheld, decided),
            ]
        )
    return Table(
        "complaints-outcomes",
        "Complaint outcomes by stage",
        [
            "Stage",
            "Decided",
            "Upheld",
            "Partly upheld",
            "Not upheld",
            "Upheld in whole or part (%)",
        ],
        table_rows,
        chart=5,
        definition="complaints",
    )


def complaints_reasons(filters: Filters, *, customer_experience: bool) -> Table:
    """Reasons given in the period against the period of the same length before it."""
    length = filters.end - filters.start
    before = Filters(
        organisation=filters.organisation,
        start=filters.start - length - timedelta(days=1),
        end=filters.start - timedelta(days=1),
        channel=filters.channel,
        service_area_id=filters.service_area_id,
    )
    now_counts = _reason_counts(filters, customer_experience)
    before_counts = _reason_counts(before, customer_experience)
    names = sorted(set(now_counts) | set(before_counts), key=lambda n: (-now_counts.get(n, 0), n))
    kind = "customer experience" if customer_experience else "the service itself"
    return Table(
        f"complaints-reasons-{'experience' if customer_experience else 'service'}",
        f"Complaint reasons about {kind}",
        ["Reason", "Complaints", "The period before", "Change"],
        [
            [
                name,
                now_counts.get(name, 0),
                before_counts.get(name, 0),
                now_counts.get(name, 0) - before_counts.get(name, 0),
            ]
            for name in names
        ],
        definition="complaints",
    )


def _reason_counts(filters: Filters, customer_experience: bool) -> dict[str, int]:
    return dict(
        ComplaintReason.objects.filter(
            organisation=filters.organisation,
            customer_experience=customer_experience,
            complaints__in=_complaints(filters),
        )
        .values("name")
        .annotate(total=Count("complaints"))
        .values_list("name", "total")
    )
