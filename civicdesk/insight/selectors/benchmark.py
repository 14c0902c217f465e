"""Benchmark survey rounds: CSI, engagement and NPS."""

from __future__ import annotations

from civicdesk.feedback.benchmark import Change
from civicdesk.feedback.selectors import rounds_compared
from civicdesk.organisations.models import Organisation

from .common import Cell, Table


def benchmark_rounds(organisation: Organisation) -> Table:
    """Each benchmark round's CSI or engagement index and NPS, with margins and whether the
    change from the round before is significant."""
    table_rows: list[list[Cell]] = []
    for kind, label in (("resident", "CSI"), ("workforce", "Engagement")):
        for result in rounds_compared(organisation=organisation, kind=kind):
            score, nps = result.score, result.nps
            table_rows.append(
                [
                    f"{result.round.name} ({label})",
                    score.sample if score else 0,
                    _rounded(score.value if score else None),
                    _rounded(score.margin if score else None),
                    _change_words(result.score_change),
                    _rounded(nps.value if nps else None),
                    _rounded(nps.margin if nps else None),
                    _change_words(result.nps_change),
                ]
            )
    return Table(
        "benchmark",
        "Benchmark surveys: CSI, engagement and NPS by round",
        [
            "Round",
            "Responses",
            "Score (0-100)",
            "Margin (+/-)",
            "Change in score",
            "NPS",
            "NPS margin (+/-)",
            "Change in NPS",
        ],
        table_rows,
        chart=2,
        definition="csi",
    )


def _rounded(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return round(value, 1)


def _change_words(change: Change | None) -> str:
    if change is None:
        return ""
    direction = "up" if change.difference > 0 else "down" if change.difference < 0 else "no change"
    verdict = (
        "too few answers to tell"
        if not change.testable
        else "significant"
        if change.significant
        else "not significant"
    )
    return f"{direction} {abs(change.difference):.1f} ({verdict})"
