"""Surveys at places, the ones residents reach by QR codes."""

from __future__ import annotations

from django.db.models import Count, Q

from civicdesk.feedback.choices import Rating
from civicdesk.feedback.models import MicroSurveyAnswer

from .common import Filters, Table, percent


def place_surveys(filters: Filters) -> Table:
    """Answers to the surveys at places in the period, by place."""
    rows = (
        MicroSurveyAnswer.objects.filter(
            survey__organisation=filters.organisation,
            created_at__date__gte=filters.start,
            created_at__date__lte=filters.end,
        )
        .values("survey__place")
        .annotate(
            total=Count("pk"),
            good=Count("pk", filter=Q(rating=Rating.GOOD)),
            average=Count("pk", filter=Q(rating=Rating.AVERAGE)),
            poor=Count("pk", filter=Q(rating=Rating.POOR)),
        )
        .order_by("-total", "survey__place")
    )
    return Table(
        "place-surveys",
        "Surveys at places",
        ["Place", "Answers", "Good", "Average", "Poor", "Net satisfaction (%)"],
        [
            [
                row["survey__place"],
                row["total"],
                row["good"],
                row["average"],
                row["poor"],
                percent(row["good"] - row["poor"], row["total"]),
            ]
            for row in rows
        ],
        chart=5,
        definition="place-surveys",
    )
