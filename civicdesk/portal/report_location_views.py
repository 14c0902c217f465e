"""Where the problem is, in the report journey: a point on the map or a street name, the
streets that match what was typed, open reports close by, and places that are not ours.

The location question itself is asked from report_views' question page; the other pages here
have URLs of their own. A place that is not ours is shown, and may be carried on with the
council that looks after it, by report_handover.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import json_script
from django.views.decorators.http import require_http_methods

from civicdesk.cases.selectors import case_public_progress, open_cases_in_order
from civicdesk.catalogue.choices import QuestionKind
from civicdesk.core.numbers import whole_number
from civicdesk.geo.place_matching import places_match
from civicdesk.geo.selectors import (
    LocationVerdict,
    area_check,
    location_check,
    nearby_open_cases,
    nearby_reports_describe,
)

from .report_journey import MAX_PLACES, answer_error, question_get
from .report_step import NOTICE_KEY, ReportStep

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.catalogue.models import Question

NO_LOCATION = "none"
# What a case keeps of a typed place (Case.location_text), and the longest sensible coordinate.
MAX_DESCRIPTION = 300
MAX_COORDINATE_CHARACTERS = 30


def location_page(step: ReportStep, question: Question) -> HttpResponse:
    assert step.journey is not None
    post = step.request.POST
    errors: dict[str, str] = {}
    if step.request.method == "POST":
        description = post.get(f"{question.key}-description", "").strip()
        latitude, longitude, errors = _coordinates(
            question.key,
            post.get(f"{question.key}-latitude", "").strip(),
            post.get(f"{question.key}-longitude", "").strip(),
        )
        if len(description) > MAX_DESCRIPTION:
            errors[f"{question.key}-description"] = (
                f"The street name or description must be {MAX_DESCRIPTION} characters or fewer"
            )
        if not errors:
            if _point_found_from_other_words(step, question, description, latitude, longitude):
                latitude = longitude = None
            if latitude is not None and longitude is not None:
                return place_decided(step, question, description, latitude, longitude)
            if description:
                return _place_described(step, question, description)
            errors[f"{question.key}-description"] = (
                answer_error(step.request_type, question, "")
                or "Enter a street name, or describe where it is"
            )
        values = {
            "description": post.get(f"{question.key}-description", ""),
            "latitude": post.get(f"{question.key}-latitude", ""),
            "longitude": post.get(f"{question.key}-longitude", ""),
        }
    else:
        kept = (
            step.journey.answers.get(question.key) or step.journey.suggested.get(question.key) or {}
        )
        values = {
            "description": kept.get("description", ""),
            "latitude": str(kept.get("latitude", "")),
            "longitude": str(kept.get("longitude", "")),
        }
    return step.render(
        "location.html",
        title=question.label,
        errors=errors,
        back=step.back_from(question),
        question=question,
        values=values,
        boundary=json_script(step.organisation.boundary or {}, "report-boundary"),
        tile_url=settings.MAP_TILE_URL,
        tile_attribution=settings.MAP_TILE_ATTRIBUTION,
        return_to=step.return_to(),
        from_ask=question.key not in step.journey.answers
        and question.key in step.journey.suggested,
    )


def _point_found_from_other_words(
    step: ReportStep,
    question: Question,
    description: str,
    latitude: float | None,
    longitude: float | None,
) -> bool:
    """The page sends back the point kept from the last answer. When that point was found from
    what the resident typed (a sure match or a street picked from a list) and they have now
    typed something else, the new words decide the place, not the old point."""
    assert step.journey is not None
    kept = step.journey.answers.get(question.key) or {}
    if (latitude, longitude) != (kept.get("latitude"), kept.get("longitude")):
        return False
    if description == kept.get("description", ""):
        return False
    offered = {place.get("label") for place in step.journey.places.get(question.key, [])}
    return bool(kept.get("matched")) or kept.get("description") in offered


def _coordinates(
    key: str, latitude_text: str, longitude_text: str
) -> tuple[float | None, float | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if not latitude_text and not longitude_text:
        return None, None, errors
    values: dict[str, float] = {}
    for name, text, low, high, example in (
        ("latitude", latitude_text, -90.0, 90.0, "52.6784"),
        ("longitude", longitude_text, -180.0, 180.0, "-2.4493"),
    ):
        field = f"{key}-{name}"
        if not text:
            errors[field] = f"Enter the {name} as well, or leave both empty"
            continue
        try:
            if len(text) > MAX_COORDINATE_CHARACTERS:
                raise ValueError(text)
            number = float(text)
        except ValueError:
            errors[field] = f"{name.capitalize()} must be a number, like {example}"
            continue
        if not low <= number <= high:
            errors[field] = f"{name.capitalize()} must be between {low:g} and {high:g}"
            continue
        values[name] = round(number, 6)
    if errors:
        return None, None, errors
    return values["latitude"], values["longitude"], errors


def _place_described(step: ReportStep, question: Question, description: str) -> HttpResponse:
    """A typed street name: offer the streets it matches, or keep the description."""
    assert step.journey is not None
    refused = place_described_only(step, question, description)
    if refused is not None:
        return refused
    search = places_match(organisation=step.organisation, text=description, limit=MAX_PLACES)
    matches = search.matches
    step.journey.places[question.key] = [
        {
            "label": match.label,
            "latitude": match.latitude,
            "longitude": match.longitude,
            "reason": match.reason,
        }
        for match in matches
    ]
    step.save()
    if search.sure:
        # Sure of the place: check it as if it had been picked, and say what we took it to be.
        place = matches[0]
        journey_notice_set(
            step,
            f"We took this to be {place.label}, from what you typed. If that is not right, "
            "go back and change it.",
        )
        return place_decided(
            step, question, description, place.latitude, place.longitude, matched=place.label
        )
    if matches:
        return HttpResponseRedirect(_with_return(step, step.url("place", question.key)))
    return step.after(question)


def place_described_only(
    step: ReportStep, question: Question, description: str
) -> HttpResponseRedirect | None:
    """Keep a place known only from words. Without a point, the case goes to the council that
    provides the service in our area; when no council here does, say who to contact."""
    assert step.journey is not None
    verdict = area_check(organisation=step.organisation, request_type=step.request_type)
    if not verdict.accepted or verdict.provider is None:
        step.journey.verdict = _verdict_record(verdict, question, {"description": description})
        step.save()
        return HttpResponseRedirect(step.url("elsewhere"))
    step.journey.answers[question.key] = {"description": description}
    step.journey.provider_id = verdict.provider.pk
    step.journey.verdict = None
    step.journey.nearby = []
    step.save()
    return None


def _with_return(step: ReportStep, url: str) -> str:
    return f"{url}?change=1" if step.return_to() else url


def journey_notice_set(step: ReportStep, notice: str) -> None:
    """A line for the next page of the journey to show once."""
    notices = dict(step.request.session.get(NOTICE_KEY, {}))
    notices[f"{step.slug}/{step.key}"] = notice
    step.request.session[NOTICE_KEY] = notices


def place_decided(
    step: ReportStep,
    question: Question,
    description: str,
    latitude: float,
    longitude: float,
    *,
    matched: str = "",
) -> HttpResponse:
    """A point on the map, a street picked from a list, or the one place that the words
    typed were sure to mean (``matched``): check whose it is."""
    assert step.journey is not None
    verdict = location_check(
        organisation=step.organisation,
        request_type=step.request_type,
        latitude=latitude,
        longitude=longitude,
    )
    if not verdict.accepted:
        step.journey.verdict = _verdict_record(
            verdict,
            question,
            {
                "description": description,
                "latitude": latitude,
                "longitude": longitude,
                **({"matched": matched} if matched else {}),
            },
        )
        step.save()
        return HttpResponseRedirect(step.url("elsewhere"))
    if not description and verdict.street is not None:
        description = str(verdict.street)
    step.journey.answers[question.key] = {
        "description": description,
        "latitude": latitude,
        "longitude": longitude,
        **({"matched": matched} if matched else {}),
    }
    provider = verdict.provider or step.organisation
    step.journey.provider_id = provider.pk
    step.journey.verdict = None
    nearby = nearby_open_cases(
        organisation=provider,
        request_type=step.request_type,
        latitude=latitude,
        longitude=longitude,
    )
    step.journey.nearby = [case.pk for case in nearby]
    step.save()
    if nearby:
        return HttpResponseRedirect(_with_return(step, step.url("nearby", question.key)))
    return step.after(question)


def _verdict_record(
    verdict: LocationVerdict, question: Question, place: dict[str, Any]
) -> dict[str, Any]:
    """What the "not ours" page needs, kept with the place so that the resident can carry on
    with the council that looks after it (report_handover) or tell them where it is."""
    return {
        "outcome": verdict.outcome,
        "message": verdict.message,
        "name": verdict.responsible_name,
        "url": verdict.responsible_url,
        "report_page": verdict.report_page,
        "question": question.key,
        "council": verdict.council.slug if verdict.council is not None else "",
        "place": place,
    }


def _location_question(step: ReportStep, key: str) -> Question:
    asked = question_get(step.request_type, key)
    if asked is None or asked.kind != QuestionKind.LOCATION:
        raise Http404("No such question")
    return asked


@require_http_methods(["GET", "POST"])
def report_place(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    """Pick the street from the ones that match what the resident typed."""
    step = ReportStep(request, council, key)
    asked = _location_question(step, question)
    if step.journey is None:
        return step.restart()
    places = step.journey.places.get(asked.key, [])
    kept = step.journey.answers.get(asked.key) or {}
    if not places or not kept.get("description"):
        return HttpResponseRedirect(step.url("question", asked.key))
    errors: dict[str, str] = {}
    if request.method == "POST":
        choice = request.POST.get("place", "")
        if choice == NO_LOCATION:
            return place_described_only(step, asked, str(kept["description"])) or step.after(asked)
        index = whole_number(choice)
        if index is not None and index < len(places):
            place = places[index]
            return place_decided(
                step,
                asked,
                str(place["label"]),
                float(place["latitude"]),
                float(place["longitude"]),
            )
        errors["place"] = "Select the street, or select that it is not in the list"
    return step.render(
        "place.html",
        title="Which street is it?",
        errors=errors,
        back=step.url("question", asked.key),
        question=asked,
        typed=kept["description"],
        places=places,
        return_to=step.return_to(),
    )


@require_http_methods(["GET", "POST"])
def report_nearby(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    """Open reports close by: follow one of them instead of reporting it again."""
    step = ReportStep(request, council, key)
    asked = _location_question(step, question)
    if step.journey is None:
        return step.restart()
    cases = _nearby_cases(step)
    pin = step.journey.answers.get(asked.key) or {}
    if not cases or pin.get("latitude") is None or pin.get("longitude") is None:
        return step.after(asked)
    errors: dict[str, str] = {}
    if request.method == "POST":
        choice = request.POST.get("nearby", "")
        if choice == NO_LOCATION:
            step.journey.follow_id = None
            step.save()
            return step.after(asked)
        index = whole_number(choice)
        if index is not None and index < len(cases):
            step.journey.follow_id = cases[index].pk
            step.save()
            return HttpResponseRedirect(step.url("details"))
        errors["nearby"] = "Select the report that is yours, or select that it is a new problem"
    return step.render(
        "nearby.html",
        title="Has someone already reported it?",
        errors=errors,
        back=step.url("question", asked.key),
        question=asked,
        reports=nearby_reports_describe(
            cases=cases, latitude=float(pin["latitude"]), longitude=float(pin["longitude"])
        ),
        progress=[case_public_progress(case) for case in cases],
        return_to=step.return_to(),
    )


def _nearby_cases(step: ReportStep) -> list[Case]:
    """The open reports offered on the page, in the order shown (the choice is by position)."""
    assert step.journey is not None
    return [
        case
        for case in open_cases_in_order(step.journey.nearby)
        if case.latitude is not None and case.longitude is not None
    ]
