"""Recording feedback: page feedback, ratings, micro-survey answers and benchmark surveys."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Collection
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.models import Case
from civicdesk.catalogue.wording import request_subject
from civicdesk.contacts.models import Contact
from civicdesk.core.choices import Channel
from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.core.ratelimit import attempts_add, attempts_exceeded
from civicdesk.core.redaction import redact_personal_data
from civicdesk.notifications.links import public_link
from civicdesk.notifications.services import notification_queue
from civicdesk.organisations.models import Organisation

from .analysis import sentiment_score
from .benchmark import (
    CSI_QUESTIONS,
    ENGAGEMENT_STATEMENTS,
    csi_of_answers,
    engagement_of_answers,
)
from .choices import RATING_REASONS, Rating, RatingSource, SurveyKind
from .models import (
    ContactRating,
    MicroSurvey,
    MicroSurveyAnswer,
    PageFeedback,
    RatingInvitation,
    SurveyResponse,
    SurveyRound,
)

MAX_COMMENT_LENGTH = 1200
RATING_LINK_SALT = "civicdesk.feedback.rating"
# How long the link in a "how did we do?" message keeps working.
RATING_LINK_DAYS = 60
# Only cases finished this recently are sent an invitation, so switching it on does not
# message everyone whose case ever closed.
INVITE_WITHIN_DAYS = 7
# One answer per survey from a device in this time, and at most this many from one network
# address an hour (a leisure centre's public wifi is shared, so the address limit is loose).
DEVICE_WINDOW_SECONDS = 12 * 60 * 60
ADDRESS_LIMIT_PER_HOUR = 30
MAX_IMPORT_ROWS = 20000


def _comment_checked(comment: str, errors: dict[str, str]) -> str:
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        errors["comment"] = f"Your comment must be {MAX_COMMENT_LENGTH} characters or fewer"
    return redact_personal_data(comment)


def page_feedback_record(
    *, organisation: Organisation, path: str, found: str, comment: str
) -> PageFeedback:
    """Store a yes/no answer for a page, with any personal details removed from the comment."""
    errors: dict[str, str] = {}
    if found not in ("yes", "no"):
        errors["found"] = "Select yes if you found what you were looking for"
    comment = _comment_checked(comment, errors)
    if errors:
        raise ValidationFailed("There is a problem with your feedback.", fields=errors)
    return PageFeedback.objects.create(
        organisation=organisation,
        path=urlsplit(path).path[:300] or "/",
        found=found == "yes",
        comment=comment,
        sentiment=sentiment_score(comment),
    )


# End-of-contact ratings


def contact_rating_record(
    *,
    organisation: Organisation,
    rating: str,
    reasons: Collection[str],
    comment: str,
    source: str,
    case: Case | None = None,
    contact: Contact | None = None,
    channel: str = "",
    service_area_id: int | None = None,
    now: datetime | None = None,
) -> ContactRating:
    """Good, average or poor for a case or a contact, once each.

    The channel and service come from the case or contact; a rating with neither (a caller's
    rating an adviser records, a general rating on the website) names its channel and service.
    """
    errors: dict[str, str] = {}
    if rating not in Rating.values:
        errors["rating"] = "Select good, average or poor"
    unknown = set(reasons) - set(RATING_REASONS)
    if unknown:
        errors["reasons"] = "Select only the reasons shown"
    comment = _comment_checked(comment, errors)
    if source not in RatingSource.values:
        raise ValidationFailed("Unknown source of rating.", fields={"source": "Unknown source"})
    for record in (case, contact):
        if record is not None and record.organisation_id != organisation.pk:
            raise NotFound("There is nothing to rate at this address.")
    channel = (case.channel if case else contact.channel if contact else channel) or ""
    if channel not in Channel.values:
        errors["channel"] = "Select how you contacted us"
    if errors:
        raise ValidationFailed("There is a problem with your rating.", fields=errors)
    request_type = case.request_type if case else contact.request_type if contact else None
    if request_type is not None:
        service_area_id = request_type.service_area_id
    try:
        with transaction.atomic():
            return ContactRating.objects.create(
                organisation=organisation,
                case=case,
                contact=contact,
                service_area_id=service_area_id,
                channel=channel,
                source=source,
                rating=rating,
                comment=comment,
                sentiment=sentiment_score(comment),
                created_at=now or timezone.now(),
                **{key: key in reasons for key in RATING_REASONS},
            )
    except IntegrityError:
        raise ValidationFailed(
            "This has already been rated. Thank you.",
            fields={"rating": "You have already told us how we did"},
        ) from None


def rating_token(case: Case) -> str:
    """The signed part of a case's rating link: the case id, nothing personal."""
    return signing.dumps(case.pk, salt=RATING_LINK_SALT, compress=True)


def rating_link_path(case: Case) -> str:
    return reverse("portal:feedback-rate", args=[case.organisation.slug, rating_token(case)])


def rating_invitations_send(*, now: datetime | None = None, batch: int = 500) -> int:
    """Ask each resident whose case was recently resolved or closed how we did, once.

    Runs in the worker (PERIODIC_JOBS). Each message goes through the outbox in the same
    transaction as the record that it was sent, so a crash never sends two or none.
    """
    now = now or timezone.now()
    pending = (
        Case.objects.filter(
            status__in=(CaseStatus.RESOLVED, CaseStatus.CLOSED),
            resolved_at__gte=now - timedelta(days=INVITE_WITHIN_DAYS),
            customer__isnull=False,
            request_type__sensitive=False,
        )
        .exclude(pk__in=RatingInvitation.objects.values("case_id"))
        .exclude(pk__in=ContactRating.objects.filter(case__isnull=False).values("case_id"))
        .select_related("organisation", "customer", "request_type")
        .order_by("resolved_at")[:batch]
    )
    sent = 0
    for case in pending:
        assert case.customer is not None
        # Worked out before the transaction: the first reverse() loads every URL pattern.
        link = public_link(rating_link_path(case))
        with transaction.atomic():
            _, created = RatingInvitation.objects.get_or_create(
                case=case, defaults={"sent_at": now}
            )
            if not created:
                continue
            notification_queue(
                organisation=case.organisation,
                customer=case.customer,
                case=case,
                template="case_rating_invitation",
                context={
                    "council": case.organisation.name,
                    "reference": case.reference,
                    "service": request_subject(case.request_type.name),
                    "link": link,
                },
            )
            sent += 1
    return sent


# Micro-surveys at places


def micro_survey_create(
    *, organisation: Organisation, place: str, question: str, created_by: object = None
) -> MicroSurvey:
    errors: dict[str, str] = {}
    place, question = place.strip(), question.strip()
    if not place:
        errors["place"] = "Enter the name of the place, like Town Park"
    elif len(place) > 120:
        errors["place"] = "The place must be 120 characters or fewer"
    if not question:
        errors["question"] = "Enter the question, like How was your visit today?"
    elif len(question) > 200:
        errors["question"] = "The question must be 200 characters or fewer"
    if errors:
        raise ValidationFailed("There is a problem with the survey.", fields=errors)
    return MicroSurvey.objects.create(
        organisation=organisation,
        place=place,
        question=question,
        code=secrets.token_urlsafe(6).replace("_", "x").replace("-", "y").lower(),
        created_by_id=getattr(created_by, "pk", None),
    )


def micro_survey_set_active(*, survey: MicroSurvey, active: bool) -> MicroSurvey:
    survey.active = active
    survey.save(update_fields=["active"])
    return survey


def micro_survey_answer(
    *,
    survey: MicroSurvey,
    rating: str,
    comment: str,
    device: str,
    address: str,
    now: datetime | None = None,
) -> MicroSurveyAnswer:
    """Store one answer, refusing a second from the same device within the window and a
    flood from one network address. Neither the device key nor the address is stored: the
    counters hold only hashes, and expire."""
    if not survey.active:
        raise NotFound("This survey has closed.")
    errors: dict[str, str] = {}
    if rating not in Rating.values:
        errors["rating"] = "Select good, average or poor"
    comment = _comment_checked(comment, errors)
    if errors:
        raise ValidationFailed("There is a problem with your answer.", fields=errors)
    # Counted before the answer is stored, so that a second press finds the first one's count
    # (with REDIS_URL set the increment is atomic across web servers too). A repeat from the
    # same phone is refused before the address is counted, so pressing again cannot use up
    # the allowance of everyone on the venue's wifi.
    address_key = f"{survey.pk}:{address}"
    address_full = attempts_exceeded(
        kind="survey-address", value=address_key, limit=ADDRESS_LIMIT_PER_HOUR
    )
    repeat = address_full or (
        attempts_add(
            kind="survey-device",
            value=f"{survey.pk}:{device}",
            window_seconds=DEVICE_WINDOW_SECONDS,
        )
        > 1
    )
    if repeat or (
        attempts_add(kind="survey-address", value=address_key, window_seconds=60 * 60)
        > ADDRESS_LIMIT_PER_HOUR
    ):
        raise ValidationFailed(
            "You have already answered this survey. Thank you.",
            fields={"rating": "You have already answered this survey today"},
        )
    answer = MicroSurveyAnswer.objects.create(
        survey=survey,
        rating=rating,
        comment=comment,
        sentiment=sentiment_score(comment),
        created_at=now or timezone.now(),
    )
    return answer


# Benchmark surveys


def survey_round_create(
    *, organisation: Organisation, kind: str, name: str, held_on: date | None
) -> SurveyRound:
    errors: dict[str, str] = {}
    name = name.strip()
    if kind not in SurveyKind.values:
        errors["kind"] = "Select a resident survey or a workforce survey"
    if not name:
        errors["name"] = "Enter a name for the round, like Spring 2024"
    elif SurveyRound.objects.filter(organisation=organisation, kind=kind, name=name).exists():
        errors["name"] = "There is already a round with this name"
    if held_on is None:
        errors["held_on"] = "Enter the date the survey closed"
    if errors:
        raise ValidationFailed("There is a problem with the round.", fields=errors)
    assert held_on is not None
    return SurveyRound.objects.create(
        organisation=organisation, kind=kind, name=name, held_on=held_on
    )


def survey_columns(kind: str) -> list[str]:
    """The CSV columns a round's responses are imported from, in order."""
    if kind == SurveyKind.RESIDENT:
        return [key for key, _, _ in CSI_QUESTIONS] + ["recommend", "comment"]
    return [key for key, _ in ENGAGEMENT_STATEMENTS] + ["comment"]


def survey_responses_import(*, survey_round: SurveyRound, csv_text: str) -> int:
    """Add every row of a CSV of responses (a header row naming ``survey_columns``), or none:
    the first rows with problems are listed, by row number, and nothing is stored."""
    resident = survey_round.kind == SurveyKind.RESIDENT
    low, high = (0, 10) if resident else (1, 5)
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    expected = survey_columns(survey_round.kind)
    missing = [column for column in expected if column not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            "The file does not have the right columns.",
            fields={"file": f"The first row must name the columns: {', '.join(expected)}"},
        )
    responses: list[SurveyResponse] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        if len(responses) >= MAX_IMPORT_ROWS:
            problems.append(f"The file has more than {MAX_IMPORT_ROWS} responses")
            break
        answers: dict[str, int] = {}
        for column in expected:
            if column == "comment":
                continue
            value = (row.get(column) or "").strip()
            if not value:
                continue
            number_given = whole_number(value)
            if number_given is None or not low <= number_given <= high:
                problems.append(
                    f"Row {number}: {column} must be a whole number from {low} to {high}"
                )
                break
            answers[column] = number_given
        recommend = answers.pop("recommend", None) if resident else None
        score = csi_of_answers(answers) if resident else engagement_of_answers(answers)
        if score is None:
            problems.append(f"Row {number}: there are no answers")
        comment = redact_personal_data((row.get("comment") or "").strip()[:MAX_COMMENT_LENGTH])
        responses.append(
            SurveyResponse(
                round=survey_round,
                answers=answers,
                score=score or 0.0,
                recommend=recommend,
                comment=comment,
                sentiment=sentiment_score(comment),
            )
        )
        if len(problems) >= 5:
            break
    if problems:
        raise ValidationFailed("Some rows have problems.", fields={"file": "; ".join(problems)})
    if not responses:
        raise ValidationFailed(
            "The file has no responses.", fields={"file": "The file has no rows of answers"}
        )
    with transaction.atomic():
        SurveyResponse.objects.bulk_create(responses, batch_size=1000)
    return len(responses)
