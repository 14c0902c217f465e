"""What residents and staff told the demo councils: end-of-contact ratings on finished cases,
answers at two places with a QR poster, two rounds of the resident and workforce surveys and
some page feedback. Everything goes through the feedback services, as real answers do."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta

from civicdesk.cases.models import Case
from civicdesk.feedback.benchmark import CSI_QUESTIONS, ENGAGEMENT_STATEMENTS
from civicdesk.feedback.choices import RATING_REASONS, Rating, RatingSource, SurveyKind
from civicdesk.feedback.services import (
    contact_rating_record,
    micro_survey_answer,
    micro_survey_create,
    page_feedback_record,
    survey_responses_import,
    survey_round_create,
)
from civicdesk.organisations.models import Organisation

# About one finished case in sixteen is rated: a usual response to a link in a closing message.
RATED_SHARE = 0.06
MAX_RATINGS = 200
# Good, average, poor: the phone and face to face do a little better than the web forms.
RATING_WEIGHTS = {"phone": (70, 18, 12), "face_to_face": (74, 16, 10)}
DEFAULT_WEIGHTS = (60, 22, 18)
SOURCE_BY_CHANNEL = {"phone": RatingSource.ADVISER}
COMMENTS = {
    Rating.GOOD: [
        "Sorted out quickly, thank you.",
        "The adviser was friendly and really helpful.",
        "Easy to report online and it was fixed in a few days.",
        "",
        "",
    ],
    Rating.AVERAGE: [
        "It got done in the end but took longer than I expected.",
        "The form was confusing but the result was fine.",
        "",
    ],
    Rating.POOR: [
        "I had to chase three times before anyone came out.",
        "Nobody told me what was happening and it is still not fixed.",
        "The website kept timing out and I had to phone instead.",
        "",
    ],
}
PLACES = (
    ("Town Park", "How was your visit to the park today?", (65, 25, 10)),
    ("Leisure centre changing rooms", "How clean were the changing rooms today?", (45, 30, 25)),
)
PLACE_COMMENTS = ["Lovely and clean.", "The bins were overflowing.", "Needs more benches.", ""]
PAGES = ("/", "/services/bins/", "/services/council-tax/", "/report/")


def demo_feedback_create(
    *, organisation: Organisation, scale: float, now: datetime, rng: random.Random
) -> None:
    _ratings_create(organisation, now, rng)
    _place_answers_create(organisation, scale, now, rng)
    _survey_rounds_create(organisation, now, rng)
    for index in range(max(4, round(40 * scale))):
        found = rng.random() < 0.7
        page_feedback_record(
            organisation=organisation,
            path=PAGES[index % len(PAGES)],
            found="yes" if found else "no",
            comment="" if found else rng.choice(["I could not find the opening times.", ""]),
        )


def _ratings_create(organisation: Organisation, now: datetime, rng: random.Random) -> None:
    finished = list(
        Case.objects.filter(organisation=organisation, resolved_at__isnull=False)
        .exclude(request_type__sensitive=True)
        .select_related("request_type")
        .order_by("pk")
    )
    chosen = rng.sample(finished, min(MAX_RATINGS, round(len(finished) * RATED_SHARE)))
    for case in chosen:
        weights = RATING_WEIGHTS.get(case.channel, DEFAULT_WEIGHTS)
        rating = rng.choices([Rating.GOOD, Rating.AVERAGE, Rating.POOR], weights=weights)[0]
        reasons = (
            rng.sample(list(RATING_REASONS), rng.randint(1, 3)) if rating == Rating.GOOD else []
        )
        assert case.resolved_at is not None
        contact_rating_record(
            organisation=organisation,
            case=case,
            rating=rating,
            reasons=reasons,
            comment=rng.choice(COMMENTS[Rating(rating)]),
            source=SOURCE_BY_CHANNEL.get(case.channel, RatingSource.NOTIFICATION_LINK),
            now=min(now, case.resolved_at + timedelta(hours=rng.randint(1, 72))),
        )


def _place_answers_create(
    organisation: Organisation, scale: float, now: datetime, rng: random.Random
) -> None:
    # The one-answer-a-phone counters outlive a database that is reset and loaded again, so
    # each load's made-up phones and addresses are new ones.
    load = secrets.token_hex(4)
    for place, question, weights in PLACES:
        survey = micro_survey_create(organisation=organisation, place=place, question=question)
        for index in range(max(6, round(40 * scale))):
            micro_survey_answer(
                survey=survey,
                rating=rng.choices([Rating.GOOD, Rating.AVERAGE, Rating.POOR], weights=weights)[0],
                comment=rng.choice(PLACE_COMMENTS),
                device=f"demo-{load}-{survey.pk}-{index}",
                address=f"demo-{load}-{index}",
                now=now - timedelta(days=rng.randint(0, 180), minutes=rng.randint(0, 600)),
            )


def _survey_rounds_create(organisation: Organisation, now: datetime, rng: random.Random) -> None:
    """Last year's and this year's rounds, the second a little better than the first."""
    for years_ago, lift in ((1, 0.0), (0, 0.3)):
        held_on = date(now.year - years_ago, 3, 31)
        for kind, columns, low, high, typical in (
            (SurveyKind.RESIDENT, [key for key, _, _ in CSI_QUESTIONS] + ["recommend"], 0, 10, 7.2),
            (SurveyKind.WORKFORCE, [key for key, _ in ENGAGEMENT_STATEMENTS], 1, 5, 3.6),
        ):
            survey_round = survey_round_create(
                organisation=organisation,
                kind=kind,
                name=f"Spring {held_on.year}",
                held_on=held_on,
            )
            people = 300 if kind == SurveyKind.RESIDENT else 120
            rows = [",".join([*columns, "comment"])]
            for _ in range(people):
                mood = rng.gauss(typical + lift, (high - low) / 6)
                answers = [
                    str(min(high, max(low, round(rng.gauss(mood, (high - low) / 10)))))
                    for _ in columns
                ]
                rows.append(",".join([*answers, ""]))
            survey_responses_import(survey_round=survey_round, csv_text="\n".join(rows) + "\n")
