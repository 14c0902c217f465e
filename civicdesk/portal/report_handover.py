"""A place that is not ours, in the report journey: say who looks after it and, when that is
another council on this installation offering the same service, let the resident carry on
with that council's journey, the place and answers kept, instead of starting again
(ADR 0046). Otherwise the page names who to tell, links to them and shows the place to give
them. No case is made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from civicdesk.catalogue.choices import QuestionKind
from civicdesk.catalogue.selectors import request_type_get
from civicdesk.core.errors import NotFound
from civicdesk.organisations.choices import OrganisationKind
from civicdesk.organisations.selectors import organisation_by_slug

from .report_journey import (
    Journey,
    answer_error,
    first_unanswered,
    journey_end,
    journey_save,
    question_get,
)
from .report_location_views import journey_notice_set, place_decided, place_described_only
from .report_step import ReportStep

if TYPE_CHECKING:
    from civicdesk.catalogue.models import Question, RequestType
    from civicdesk.organisations.models import Organisation


@dataclass(frozen=True)
class Handover:
    """The council on this installation that looks after the place, and its own service."""

    council: Organisation
    request_type: RequestType


def handover_for(step: ReportStep) -> Handover | None:
    """Where the resident's journey can carry on, or None when it cannot here."""
    assert step.journey is not None and step.journey.verdict is not None
    slug = str(step.journey.verdict.get("council") or "")
    if not slug or slug == step.slug:
        return None
    try:
        council = organisation_by_slug(slug)
        request_type = request_type_get(organisation_id=council.pk, key=step.key)
    except NotFound:
        return None
    if council.kind == OrganisationKind.PARTNER or not request_type.opens_cases:
        return None
    return Handover(council=council, request_type=request_type)


def place_lines(place: dict[str, Any]) -> list[str]:
    """The place as the resident chose it, to tell the council that looks after it."""
    lines = [str(place.get("description") or "")]
    if place.get("matched") and place["matched"] != place.get("description"):
        lines.append(f"Found as {place['matched']}")
    if place.get("latitude") is not None and place.get("longitude") is not None:
        lines.append(
            f"Map position {float(place['latitude']):.5f}, {float(place['longitude']):.5f}"
        )
    return [line for line in lines if line]


@require_http_methods(["GET", "POST"])
def report_elsewhere(request: HttpRequest, council: str, key: str) -> HttpResponse:
    """The place is not ours: carry on with the council that looks after it, or say who does."""
    step = ReportStep(request, council, key)
    if step.journey is None or step.journey.verdict is None:
        return step.restart()
    verdict = step.journey.verdict
    handover = handover_for(step)
    if request.method == "POST":
        if handover is None:
            return HttpResponseRedirect(step.url("elsewhere"))
        return _carry_on(step, handover)
    other = _other_council_here(verdict) if handover is None else None
    return step.render(
        "elsewhere.html",
        title=(
            f"{handover.council.name} looks after this place"
            if handover is not None
            else "We cannot take this report"
        ),
        back=step.url("question", str(verdict["question"])),
        verdict=verdict,
        handover=handover,
        other_council_url=(reverse("portal:search", args=[other.slug]) if other else ""),
        place=place_lines(verdict.get("place") or {}),
        change_url=step.url("question", str(verdict["question"])),
    )


def _other_council_here(verdict: dict[str, Any]) -> Organisation | None:
    """The council on this installation that looks after the place, when it does not offer
    the same service (the resident can still find theirs on its pages)."""
    slug = str(verdict.get("council") or "")
    if not slug:
        return None
    try:
        council = organisation_by_slug(slug)
    except NotFound:
        return None
    return None if council.kind == OrganisationKind.PARTNER else council


def _carry_on(step: ReportStep, handover: Handover) -> HttpResponse:
    """Start the other council's journey with what the resident has told us, forget ours,
    and check the place again as that council (it may be a road nobody there maintains)."""
    assert step.journey is not None and step.journey.verdict is not None
    verdict = step.journey.verdict
    carried = _journey_carried(
        source=step.journey, source_type=step.request_type, target_type=handover.request_type
    )
    session = step.request.session
    # A journey the resident had already begun there gives way to this one, files and all.
    journey_end(session, handover.council.slug, handover.request_type.key)
    journey_save(session, handover.council.slug, handover.request_type.key, carried)
    journey_end(
        session,
        step.slug,
        step.key,
        keep_files=frozenset(str(item["id"]) for items in carried.files.values() for item in items),
    )
    target = ReportStep(step.request, handover.council.slug, handover.request_type.key)
    journey_notice_set(
        target,
        f"You are now reporting this to {handover.council.name}, who look after this place. "
        "We have kept the place and your answers. Check them before you send it.",
    )
    location = _location_question(handover.request_type, str(verdict["question"]))
    place = verdict.get("place") or {}
    if location is not None and place.get("description") is not None:
        decided = _place_again(target, location, place)
        assert target.journey is not None
        if target.journey.verdict is not None or target.journey.nearby:
            return decided
    return _resume(target)


def _journey_carried(
    *, source: Journey, source_type: RequestType, target_type: RequestType
) -> Journey:
    """A new journey for ``target_type`` holding the answers that mean the same there: the
    same question (key and kind) and an answer the other council's catalogue accepts."""
    carried = Journey.fresh()
    carried.details = source.details
    carried.anonymous = source.anonymous
    for question in target_type.questions.all():
        asked_here = question_get(source_type, question.key)
        if asked_here is None or asked_here.kind != question.kind:
            continue
        if question.kind == QuestionKind.LOCATION:
            continue
        if question.kind == QuestionKind.FILE:
            # An empty list is an answer too: the resident chose to add no file.
            items = source.files.get(question.key)
            names = [str(item["name"]) for item in items or []]
            if items is not None and answer_error(target_type, question, names) is None:
                carried.files[question.key] = items
            continue
        if question.key in source.answers:
            value = source.answers[question.key]
            if answer_error(target_type, question, value) is None:
                carried.answers[question.key] = value
        elif question.key in source.suggested:
            carried.suggested[question.key] = source.suggested[question.key]
    return carried


def _location_question(request_type: RequestType, key: str) -> Question | None:
    """The other service's location question: the one with the same key, or its first."""
    questions = [q for q in request_type.questions.all() if q.kind == QuestionKind.LOCATION]
    return next((q for q in questions if q.key == key), questions[0] if questions else None)


def _place_again(step: ReportStep, question: Question, place: dict[str, Any]) -> HttpResponse:
    description = str(place.get("description") or "")
    if place.get("latitude") is not None and place.get("longitude") is not None:
        return place_decided(
            step,
            question,
            description,
            float(place["latitude"]),
            float(place["longitude"]),
            matched=str(place.get("matched") or ""),
        )
    return place_described_only(step, question, description) or _resume(step)


def _resume(step: ReportStep) -> HttpResponseRedirect:
    """The first thing the other journey still needs: a question, the resident's details, or
    the check answers page when nothing is missing."""
    assert step.journey is not None
    question = first_unanswered(step.request_type, step.journey)
    known = step.journey.details is not None or step.journey.anonymous
    if question is not None:
        # With their details known, each answer given leads on to what is still missing
        # (the journey's "change an answer" route) rather than through every question again.
        url = step.url("question", question.key)
        return HttpResponseRedirect(f"{url}?change=1" if known else url)
    if not known:
        return HttpResponseRedirect(step.url("details"))
    return HttpResponseRedirect(step.url("check"))
