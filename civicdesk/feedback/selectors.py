"""Reading feedback: what a rating link points at, survey results and comments to analyse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core import signing
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Case
from civicdesk.core.calendar import LONDON
from civicdesk.core.errors import NotFound
from civicdesk.core.timeline import TimelineWindow, timeline_source
from civicdesk.organisations.models import Organisation, StaffMember

from .benchmark import DETRACTOR_TO, PROMOTER_FROM, Change, Estimate, mean_estimate, nps_estimate
from .choices import RATING_REASONS, Rating
from .models import (
    ContactRating,
    MicroSurvey,
    MicroSurveyAnswer,
    PageFeedback,
    SurveyResponse,
    SurveyRound,
)
from .services import RATING_LINK_DAYS, RATING_LINK_SALT, rating_link_path


def case_for_rating(*, organisation: Organisation, token: str) -> Case:
    """The finished case a rating link is for. A bad, old or foreign link is 'not found'."""
    try:
        case_id = signing.loads(token, salt=RATING_LINK_SALT, max_age=RATING_LINK_DAYS * 86400)
    except signing.BadSignature:
        raise NotFound("This link does not work.") from None
    case = (
        Case.objects.select_related("request_type", "organisation")
        .filter(
            pk=case_id,
            organisation=organisation,
            status__in=(CaseStatus.RESOLVED, CaseStatus.CLOSED),
        )
        .first()
    )
    if case is None:
        raise NotFound("This link does not work.")
    return case


def case_already_rated(case: Case) -> bool:
    return ContactRating.objects.filter(case=case).exists()


# Marks the rating link shown on the resident's account, so the rating counts as the website's.
FROM_THE_WEBSITE = "via=account"


def rating_link_if_wanted(case: Case) -> str:
    """The rating page for a finished case nobody has rated yet; "" otherwise. Sensitive
    services are never asked, as with the invitations."""
    finished = case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    if not finished or case.request_type.sensitive or case_already_rated(case):
        return ""
    return f"{rating_link_path(case)}?{FROM_THE_WEBSITE}"


def micro_survey_by_code(*, organisation: Organisation, code: str) -> MicroSurvey:
    survey = MicroSurvey.objects.filter(organisation=organisation, code=code, active=True).first()
    if survey is None:
        raise NotFound("There is no survey at this address.")
    return survey


def micro_surveys_of(staff: StaffMember) -> QuerySet[MicroSurvey]:
    """Every survey of the staff member's organisation, with its answer counts."""
    return MicroSurvey.objects.filter(organisation_id=staff.organisation_id).annotate(
        answer_count=Count("answers"),
        good=Count("answers", filter=Q(answers__rating=Rating.GOOD)),
        poor=Count("answers", filter=Q(answers__rating=Rating.POOR)),
    )


def access_micro_survey(*, staff: StaffMember, survey_id: int) -> MicroSurvey:
    survey = MicroSurvey.objects.filter(pk=survey_id, organisation_id=staff.organisation_id).first()
    if survey is None:
        raise NotFound("There is no such survey.")
    return survey


@dataclass(frozen=True)
class RatingCounts:
    label: str
    good: int
    average: int
    poor: int

    @property
    def total(self) -> int:
        return self.good + self.average + self.poor

    @property
    def net(self) -> float | None:
        """Net satisfaction: good minus poor, as a percentage of all ratings."""
        return 100 * (self.good - self.poor) / self.total if self.total else None


def micro_survey_by_month(
    survey: MicroSurvey, *, start: date | None = None, end: date | None = None
) -> list[RatingCounts]:
    answers = MicroSurveyAnswer.objects.filter(survey=survey)
    if start:
        answers = answers.filter(created_at__date__gte=start)
    if end:
        answers = answers.filter(created_at__date__lte=end)
    rows: Any = (
        answers.annotate(month=TruncMonth("created_at", tzinfo=LONDON))
        .values("month")
        .annotate(**_rating_counts())
        .order_by("month")
    )
    return [
        RatingCounts(f"{row['month']:%B %Y}", row["good"], row["average"], row["poor"])
        for row in rows
    ]


def _rating_counts() -> dict[str, Any]:
    return {
        "good": Count("pk", filter=Q(rating=Rating.GOOD)),
        "average": Count("pk", filter=Q(rating=Rating.AVERAGE)),
        "poor": Count("pk", filter=Q(rating=Rating.POOR)),
    }


# Benchmark surveys


@dataclass(frozen=True)
class RoundResult:
    round: SurveyRound
    score: Estimate | None
    nps: Estimate | None
    score_change: Change | None = None
    nps_change: Change | None = None


def round_result(survey_round: SurveyRound) -> RoundResult:
    """The round's CSI or engagement index, and NPS, worked out by the database's sums."""
    sums = SurveyResponse.objects.filter(round=survey_round).aggregate(
        count=Count("pk"),
        total=Sum("score"),
        squares=Sum(F("score") * F("score"), output_field=FloatField()),
        answered=Count("pk", filter=Q(recommend__isnull=False)),
        promoters=Count("pk", filter=Q(recommend__gte=PROMOTER_FROM)),
        detractors=Count("pk", filter=Q(recommend__lte=DETRACTOR_TO)),
    )
    score = mean_estimate(
        count=sums["count"], total=sums["total"] or 0.0, total_of_squares=sums["squares"] or 0.0
    )
    nps = nps_estimate(
        promoters=sums["promoters"], detractors=sums["detractors"], count=sums["answered"]
    )
    return RoundResult(round=survey_round, score=score, nps=nps)


def rounds_compared(*, organisation: Organisation, kind: str) -> list[RoundResult]:
    """Each round of a kind, oldest first, each compared with the one before it."""
    results: list[RoundResult] = []
    rounds = SurveyRound.objects.filter(organisation=organisation, kind=kind).order_by("held_on")
    for survey_round in rounds:
        result = round_result(survey_round)
        if results:
            before = results[-1]
            result = RoundResult(
                round=survey_round,
                score=result.score,
                nps=result.nps,
                score_change=_change(before.score, result.score),
                nps_change=_change(before.nps, result.nps),
            )
        results.append(result)
    return results


def _change(before: Estimate | None, after: Estimate | None) -> Change | None:
    return Change(before=before, after=after) if before and after else None


def access_survey_round(*, staff: StaffMember, round_id: int) -> SurveyRound:
    survey_round = SurveyRound.objects.filter(
        pk=round_id, organisation_id=staff.organisation_id
    ).first()
    if survey_round is None:
        raise NotFound("There is no such survey round.")
    return survey_round


# Comments from every source


@dataclass(frozen=True)
class Comment:
    source: str
    text: str
    sentiment: float | None
    at: datetime


COMMENT_SOURCES = {
    "rating": "End-of-contact rating",
    "place": "Survey at a place",
    "survey": "Benchmark survey",
    "page": "Page feedback",
}


def comments_in(
    *, organisation: Organisation, start: date, end: date, limit: int = 5000
) -> list[Comment]:
    """The most recent comments (at most ``limit``) from every source, newest first, leaving
    out comments about sensitive services."""
    sources: list[tuple[str, QuerySet, str]] = [
        (
            "rating",
            # Comments about sensitive services (homelessness, child concerns) stay with the
            # team handling them: they are not read out on insight pages.
            ContactRating.objects.filter(organisation=organisation)
            .exclude(case__request_type__sensitive=True)
            .exclude(contact__request_type__sensitive=True),
            "created_at",
        ),
        (
            "place",
            MicroSurveyAnswer.objects.filter(survey__organisation=organisation),
            "created_at",
        ),
        (
            "survey",
            SurveyResponse.objects.filter(round__organisation=organisation),
            "created_at",
        ),
        ("page", PageFeedback.objects.filter(organisation=organisation), "created_at"),
    ]
    found: list[Comment] = []
    for source, queryset, moment in sources:
        rows = (
            queryset.exclude(comment="")
            .filter(**{f"{moment}__date__gte": start, f"{moment}__date__lte": end})
            .order_by(f"-{moment}")
            .values_list("comment", "sentiment", moment)[:limit]
        )
        found += [Comment(source, text, sentiment, at) for text, sentiment, at in rows]
    found.sort(key=lambda comment: comment.at, reverse=True)
    return found[:limit]


def ratings_of_cases(
    *, case_ids: QuerySet[Case, Any], window: TimelineWindow, rank: int
) -> QuerySet[Any, Any]:
    """Ratings given about these cases (a query of ids the member of staff may see) in
    ``window`` of the customer's timeline: the feedback part of the single customer view, as
    a part of the timeline's one read (``read_timeline``)."""
    rows = ContactRating.objects.filter(case_id__in=case_ids)
    if window.case_id is not None:
        rows = rows.filter(case_id=window.case_id)
    shown = {field: field for field in ("rating", "comment", *RATING_REASONS, "case__reference")}
    return timeline_source(rows, at="created_at", rank=rank, window=window, shown=shown)
