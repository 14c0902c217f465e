"""Benchmark surveys: CSI, NPS and engagement from imported responses, against worked examples
(seed 000: CSI 72.1 -> 74.0, NPS 16.1 -> 19.4)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from civicdesk.core.errors import ValidationFailed
from civicdesk.feedback.benchmark import Change, Estimate, csi_of_answers
from civicdesk.feedback.models import SurveyResponse
from civicdesk.feedback.selectors import rounds_compared
from civicdesk.feedback.services import survey_responses_import, survey_round_create

pytestmark = pytest.mark.django_db

HEADER = "overall,ease,staff,speed,trust,recommend,comment\n"


def resident_csv(
    *, eights: int, sevens: int, promoters: int, detractors: int, passives: int
) -> str:
    """Residents who rated every question 8 (CSI 80) or 7 (CSI 70); the first of them also
    answered the recommend question."""
    recommends = ["10"] * promoters + ["3"] * detractors + ["8"] * passives
    rows = []
    for index, rating in enumerate([8] * eights + [7] * sevens):
        recommend = recommends[index] if index < len(recommends) else ""
        rows.append(",".join([str(rating)] * 5 + [recommend, ""]))
    return HEADER + "\n".join(rows) + "\n"


def test_the_seed_rounds_worked_by_hand(council):
    first = survey_round_create(
        organisation=council, kind="resident", name="2022", held_on=date(2022, 6, 1)
    )
    second = survey_round_create(
        organisation=council, kind="resident", name="2024", held_on=date(2024, 6, 1)
    )
    survey_responses_import(
        survey_round=first,
        csv_text=resident_csv(eights=21, sevens=79, promoters=10, detractors=5, passives=16),
    )
    survey_responses_import(
        survey_round=second,
        csv_text=resident_csv(eights=40, sevens=60, promoters=11, detractors=5, passives=15),
    )
    before, after = rounds_compared(organisation=council, kind="resident")

    # CSI: (21 x 80 + 79 x 70) / 100 = 72.1; (40 x 80 + 60 x 70) / 100 = 74.0.
    assert round(before.score.value, 1) == 72.1
    assert round(after.score.value, 1) == 74.0
    # Sample variance (21 x 7.9^2 + 79 x 2.1^2) / 99 = 1659 / 99; standard error over 100.
    assert before.score.standard_error == pytest.approx(math.sqrt(1659 / 99 / 100))
    assert before.score.margin == pytest.approx(1.96 * math.sqrt(1659 / 99 / 100))
    # (40 x 6^2 + 60 x 4^2) / 99 = 2400 / 99.
    assert after.score.standard_error == pytest.approx(math.sqrt(2400 / 99 / 100))
    # A rise of 1.9 against a standard error of sqrt(0.1676 + 0.2424) = 0.640: z = 2.97.
    assert after.score_change.difference == pytest.approx(1.9)
    assert after.score_change.significant

    # NPS: 31 answered; (10 - 5) / 31 = 16.1 and (11 - 5) / 31 = 19.4.
    assert round(before.nps.value, 1) == 16.1
    assert round(after.nps.value, 1) == 19.4
    p, d = 10 / 31, 5 / 31
    assert before.nps.standard_error == pytest.approx(100 * math.sqrt((p + d - (p - d) ** 2) / 31))
    # A rise of 3.2 points with standard errors of about 12 each is well within chance.
    assert after.nps_change.difference == pytest.approx(100 / 31)
    assert not after.nps_change.significant
    assert before.score_change is None


def test_a_skipped_question_drops_out_of_the_weighting():
    # Weights 0.4, 0.15, 0.15, 0.15, 0.15. Without "trust": (0.4x9 + 0.15x(6+6+6)) / 0.85.
    assert csi_of_answers({"overall": 9, "ease": 6, "staff": 6, "speed": 6}) == pytest.approx(
        10 * (0.4 * 9 + 0.15 * 18) / 0.85, abs=1e-3
    )
    assert csi_of_answers({}) is None


def test_workforce_engagement_index(council):
    staff_round = survey_round_create(
        organisation=council, kind="workforce", name="2024", held_on=date(2024, 6, 1)
    )
    survey_responses_import(
        survey_round=staff_round,
        csv_text=(
            "strategy,culture,tools,voice,pride,place_to_work,comment\n"
            "4,4,4,4,4,4,\n"
            "5,5,4,4,4,4,Proud of the team\n"
        ),
    )
    (result,) = rounds_compared(organisation=council, kind="workforce")
    # Agreeing (4) scores 75 and strongly agreeing (5) 100: 75, and (2x100 + 4x75) / 6.
    assert result.score.value == pytest.approx((75 + 500 / 6) / 2)
    assert result.nps is None


def test_a_file_with_a_bad_row_stores_nothing_and_says_which_row(council):
    survey_round = survey_round_create(
        organisation=council, kind="resident", name="2025", held_on=date(2025, 1, 1)
    )
    with pytest.raises(ValidationFailed) as refused:
        survey_responses_import(
            survey_round=survey_round, csv_text=HEADER + "8,8,8,8,8,9,\n8,11,8,8,8,,\n"
        )
    assert refused.value.fields["file"] == "Row 3: ease must be a whole number from 0 to 10"
    assert not SurveyResponse.objects.exists()
    with pytest.raises(ValidationFailed) as wrong_columns:
        survey_responses_import(survey_round=survey_round, csv_text="name,score\nAnn,8\n")
    assert "overall, ease, staff" in wrong_columns.value.fields["file"]


def test_comments_lose_personal_details(council):
    survey_round = survey_round_create(
        organisation=council, kind="resident", name="2025", held_on=date(2025, 1, 1)
    )
    survey_responses_import(
        survey_round=survey_round,
        csv_text=HEADER + '9,9,9,9,9,10,"Call me on 07700 900123, very helpful"\n',
    )
    response = SurveyResponse.objects.get()
    assert response.comment == "Call me on [removed], very helpful"
    assert response.sentiment > 0


def test_a_change_is_significant_only_beyond_chance():
    before = Estimate(value=50, standard_error=3, sample=100)
    assert Change(before, Estimate(value=59, standard_error=3, sample=100)).significant
    assert not Change(before, Estimate(value=58, standard_error=3, sample=100)).significant
    assert not Change(before, Estimate(value=90, standard_error=math.inf, sample=1)).significant


def test_a_few_answers_with_no_spread_are_never_called_significant():
    # Five promoters out of five (NPS 100) then five passives (NPS 0): both standard errors
    # are 0, yet ten answers cannot show a real change.
    all_promoters = Estimate(value=100, standard_error=0, sample=5)
    all_passives = Estimate(value=0, standard_error=0, sample=5)
    change = Change(all_promoters, all_passives)
    assert not change.testable
    assert not change.significant
