"""Satisfaction: end-of-contact ratings from the daily summaries, and page feedback."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from civicdesk.feedback.models import PageFeedback

from ..models import RatingDaily
from .common import NO_SERVICE, Cell, Filters, Table, _channel_label, _service_names, percent


def net_satisfaction(filters: Filters, *, by: str) -> Table:
    """Good, average and poor ratings, and net satisfaction (good minus poor, as a percentage)."""
    queryset = filters.applied_to(RatingDaily.objects.all())
    if by == "month":
        queryset = queryset.annotate(month=TruncMonth("day"))
    field_name = {"month": "month", "channel": "channel", "service": "service_area_id"}[by]
    rows = (
        queryset.values(field_name)
        .annotate(good=Sum("good"), average=Sum("average"), poor=Sum("poor"))
        .order_by(field_name)
    )
    names = _service_names(filters.organisation) if by == "service" else {}
    table_rows: list[list[Cell]] = []
    for row in rows:
        total = row["good"] + row["average"] + row["poor"]
        key = row[field_name]
        label = (
            f"{key:%B %Y}"
            if by == "month"
            else _channel_label(key)
            if by == "channel"
            else names.get(key, NO_SERVICE)
        )
        table_rows.append(
            [
                label,
                total,
                row["good"],
                row["average"],
                row["poor"],
                percent(row["good"] - row["poor"], total),
            ]
        )
    return Table(
        f"satisfaction-by-{by}",
        f"Net satisfaction by {by}",
        [
            by.title() if by != "service" else "Service",
            "Ratings",
            "Good",
            "Average",
            "Poor",
            "Net satisfaction (%)",
        ],
        table_rows,
        chart=5,
        definition="net-satisfaction",
    )


def page_feedback_by_page(filters: Filters, *, limit: int = 20) -> Table:
    rows = (
        PageFeedback.objects.filter(
            organisation=filters.organisation,
            created_at__date__gte=filters.start,
            created_at__date__lte=filters.end,
        )
        .values("path")
        .annotate(answers=Count("pk"), found=Count("pk", filter=Q(found=True)))
        .order_by("-answers", "path")[:limit]
    )
    return Table(
        "page-feedback",
        "Did people find what they were looking for? By page",
        ["Page", "Answers", "Found it", "Found it (%)"],
        [
            [row["path"], row["answers"], row["found"], percent(row["found"], row["answers"])]
            for row in rows
        ],
        chart=3,
        definition="page-feedback",
    )
