"""Report a problem or apply for a service: one question a page, your details, check, send.

Everything the resident tells us is kept in their session and sent with POST; the URLs hold
only the council, the service and the question being asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import json_script
from django.views.decorators.http import require_http_methods

from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload, document_check
from civicdesk.cases.selectors import access_case_in_session, open_cases_in_order
from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.selectors import request_type_get
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.core.text import describe_deadline
from civicdesk.customers.selectors import resident_account
from civicdesk.geo.selectors import (
    LocationVerdict,
    area_check,
    location_check,
    nearby_open_cases,
    nearby_reports_describe,
    places_find,
)
from civicdesk.organisations.selectors import organisation_get
from civicdesk.web.councils import council_for
from civicdesk.web.pages import render_page

from .report_journey import (
    MAX_PLACES,
    DateParts,
    Journey,
    answer_error,
    answer_summary,
    date_check,
    done_case_id,
    first_unanswered,
    journey_end,
    journey_load,
    journey_save,
    journey_start,
    pending_delete,
    pending_store,
    question_after,
    question_get,
)
from .report_submit import (
    CHANNELS,
    DetailsForm,
    Submission,
    check_problem,
    details_check,
    report_follow,
    report_submit,
)

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.catalogue.models import Question
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import Organisation

LAST_KEY = "report_last"
FOLLOWED_KEY = "report_followed"
NO_LOCATION = "none"
NOTICE_KEY = "report_notice"
# What a case keeps of a typed place (Case.location_text), and the longest sensible coordinate.
MAX_DESCRIPTION = 300
MAX_COORDINATE_CHARACTERS = 30


class _Step:
    """The council, service and journey behind every page of the journey."""

    def __init__(self, request: HttpRequest, council: str, key: str) -> None:
        self.request = request
        self.organisation = council_for(council)
        try:
            self.request_type = request_type_get(organisation_id=self.organisation.pk, key=key)
        except NotFound:
            raise Http404("No such service") from None
        if not self.request_type.opens_cases:
            raise Http404("This service is information only")
        self.journey: Journey | None = journey_load(request.session, council, key)

    @property
    def slug(self) -> str:
        return self.organisation.slug

    @property
    def key(self) -> str:
        return self.request_type.key

    def url(self, name: str, *args: str) -> str:
        return reverse(f"portal:report-{name}", args=[self.slug, self.key, *args])

    def save(self) -> None:
        assert self.journey is not None
        journey_save(self.request.session, self.slug, self.key, self.journey)

    def render(
        self,
        template: str,
        *,
        title: str,
        errors: dict[str, str] | None = None,
        back: str = "",
        **context: Any,
    ) -> HttpResponse:
        notices = dict(self.request.session.get(NOTICE_KEY, {}))
        notice = notices.pop(f"{self.slug}/{self.key}", "")
        if notice:
            self.request.session[NOTICE_KEY] = notices
        return render_page(
            self.request,
            f"portal/report/{template}",
            notice=notice,
            council=self.organisation,
            title=title,
            errors=errors,
            status=400 if errors else 200,
            service=self.request_type,
            back=back,
            **context,
        )

    def after(self, question: Question) -> HttpResponseRedirect:
        """Where to go once a question is answered: back to check answers when changing one."""
        if self.request.POST.get("return_to") == "check" and self._ready_to_check():
            return HttpResponseRedirect(self.url("check"))
        following = question_after(self.request_type, question.key)
        if following is not None:
            return HttpResponseRedirect(self.url("question", following.key))
        return HttpResponseRedirect(self.url("details"))

    def _ready_to_check(self) -> bool:
        assert self.journey is not None
        return first_unanswered(self.request_type, self.journey) is None and (
            self.journey.details is not None or self.journey.anonymous
        )

    def back_from(self, question: Question | None) -> str:
        """The previous step: the question before, or the service page."""
        questions = list(self.request_type.questions.all())
        if question is None:
            return (
                self.url("question", questions[-1].key)
                if questions
                else reverse("portal:service", args=[self.slug, self.key])
            )
        position = [q.key for q in questions].index(question.key)
        if position == 0:
            return reverse("portal:service", args=[self.slug, self.key])
        return self.url("question", questions[position - 1].key)

    def account(self, organisation: Organisation) -> Customer | None:
        """The signed-in resident's own customer record at ``organisation``, if any."""
        return resident_account(user=self.request.user, organisation_id=organisation.pk)

    def provider(self) -> Organisation:
        assert self.journey is not None
        if self.journey.provider_id and self.journey.provider_id != self.organisation.pk:
            return organisation_get(self.journey.provider_id)
        return self.organisation


def _restart(step: _Step, notice: str = "") -> HttpResponseRedirect:
    """Back to the start; with a ``notice``, the journey so far is dropped and the first page
    says why."""
    if notice:
        journey_end(step.request.session, step.slug, step.key)
        notices = dict(step.request.session.get(NOTICE_KEY, {}))
        notices[f"{step.slug}/{step.key}"] = notice
        step.request.session[NOTICE_KEY] = notices
    return HttpResponseRedirect(step.url("start"))


GONE = (
    "Something changed while you were filling in the form, so we could not send it. "
    "Nothing has been sent. Please start again."
)


def report_start(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = _Step(request, council, key)
    journey = journey_start(request.session, step.slug, step.key)
    question = first_unanswered(step.request_type, journey)
    if question is not None:
        return HttpResponseRedirect(step.url("question", question.key))
    return HttpResponseRedirect(step.url("details"))


@require_http_methods(["GET", "POST"])
def report_question(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    step = _Step(request, council, key)
    asked = question_get(step.request_type, question)
    if asked is None:
        raise Http404("No such question")
    if step.journey is None:
        return _restart(step)
    if asked.kind == QuestionKind.LOCATION:
        return _location_page(step, asked)
    if asked.kind == QuestionKind.FILE:
        return _file_page(step, asked)
    if request.method == "POST":
        value, problem, target = _posted_answer(step, asked)
        if not problem:
            step.journey.answers[asked.key] = value
            step.save()
            return step.after(asked)
        return _question_page(step, asked, errors={target: problem})
    return _question_page(step, asked)


def _posted_answer(step: _Step, question: Question) -> tuple[Any, str, str]:
    """(value to keep, error message, the field the error points at)."""
    post = step.request.POST
    if question.kind == QuestionKind.DATE:
        parts = DateParts(
            day=post.get(f"{question.key}-day", ""),
            month=post.get(f"{question.key}-month", ""),
            year=post.get(f"{question.key}-year", ""),
        )
        value, problem, part = date_check(question, parts)
        if problem:
            return None, problem, f"{question.key}-{part}"
        return value, answer_error(step.request_type, question, value) or "", question.key
    value = post.get(question.key, "").strip()
    return value, answer_error(step.request_type, question, value) or "", question.key


def _question_page(
    step: _Step, question: Question, errors: dict[str, str] | None = None
) -> HttpResponse:
    assert step.journey is not None
    post = step.request.POST
    if step.request.method == "POST":
        value: Any = post.get(question.key, "")
        parts = {name: post.get(f"{question.key}-{name}", "") for name in ("day", "month", "year")}
    else:
        value = step.journey.answers.get(question.key, "")
        parts = _date_parts(value) if question.kind == QuestionKind.DATE else {}
    return step.render(
        "question.html",
        title=question.label,
        errors=errors,
        back=step.back_from(question),
        question=question,
        value=value,
        parts=parts,
        error=next(iter((errors or {}).values()), ""),
        return_to=_return_to(step),
    )


def _date_parts(value: Any) -> dict[str, str]:
    if not value:
        return {"day": "", "month": "", "year": ""}
    year, month, day = str(value).split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def _return_to(step: _Step) -> str:
    wanted = step.request.GET.get("change") or step.request.POST.get("return_to")
    return "check" if wanted in ("1", "check") else ""


# Files


def _file_page(step: _Step, question: Question) -> HttpResponse:
    assert step.journey is not None
    errors: dict[str, str] = {}
    if step.request.method == "POST":
        uploaded = step.request.FILES.get(question.key)
        kept = step.journey.files.get(question.key, [])
        if uploaded is not None:
            content = uploaded.read(MAX_DOCUMENT_BYTES + 1)
            try:
                document = document_check(Upload(name=uploaded.name or "", content=content))
            except ValidationFailed as problem:
                errors[question.key] = check_problem(problem)
            else:
                for item in kept:
                    pending_delete(str(item["id"]))
                kept = [pending_store(document)]
        if not errors:
            names = [str(item["name"]) for item in kept]
            missing = answer_error(step.request_type, question, names)
            if missing:
                errors[question.key] = missing
        if not errors:
            step.journey.files[question.key] = kept
            step.save()
            return step.after(question)
    return step.render(
        "file.html",
        title=question.label,
        errors=errors,
        back=step.back_from(question),
        question=question,
        uploaded=[str(item["name"]) for item in step.journey.files.get(question.key, [])],
        error=errors.get(question.key, ""),
        return_to=_return_to(step),
    )


# Locations


def _location_page(step: _Step, question: Question) -> HttpResponse:
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
            if latitude is not None and longitude is not None:
                return _place_decided(step, question, description, latitude, longitude)
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
        kept = step.journey.answers.get(question.key) or {}
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
        return_to=_return_to(step),
    )


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


def _place_described(step: _Step, question: Question, description: str) -> HttpResponse:
    """A typed street name: offer the streets it matches, or keep the description."""
    assert step.journey is not None
    refused = _described_only(step, question, description)
    if refused is not None:
        return refused
    matches = places_find(organisation=step.organisation, text=description, limit=MAX_PLACES)
    step.journey.places[question.key] = [
        {"label": match.label, "latitude": match.latitude, "longitude": match.longitude}
        for match in matches
    ]
    step.save()
    if matches:
        return HttpResponseRedirect(_with_return(step, step.url("place", question.key)))
    return step.after(question)


def _described_only(
    step: _Step, question: Question, description: str
) -> HttpResponseRedirect | None:
    """Keep a place known only from words. Without a point, the case goes to the council that
    provides the service in our area; when no council here does, say who to contact."""
    assert step.journey is not None
    verdict = area_check(organisation=step.organisation, request_type=step.request_type)
    if not verdict.accepted or verdict.provider is None:
        step.journey.verdict = _verdict_record(verdict, question)
        step.save()
        return HttpResponseRedirect(step.url("elsewhere"))
    step.journey.answers[question.key] = {"description": description}
    step.journey.provider_id = verdict.provider.pk
    step.journey.verdict = None
    step.journey.nearby = []
    step.save()
    return None


def _with_return(step: _Step, url: str) -> str:
    return f"{url}?change=1" if _return_to(step) else url


def _place_decided(
    step: _Step, question: Question, description: str, latitude: float, longitude: float
) -> HttpResponse:
    """A point on the map, or a street picked from a list: check whose it is."""
    assert step.journey is not None
    verdict = location_check(
        organisation=step.organisation,
        request_type=step.request_type,
        latitude=latitude,
        longitude=longitude,
    )
    if not verdict.accepted:
        step.journey.verdict = _verdict_record(verdict, question)
        step.save()
        return HttpResponseRedirect(step.url("elsewhere"))
    if not description and verdict.street is not None:
        description = str(verdict.street)
    step.journey.answers[question.key] = {
        "description": description,
        "latitude": latitude,
        "longitude": longitude,
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


def _verdict_record(verdict: LocationVerdict, question: Question) -> dict[str, str]:
    return {
        "outcome": verdict.outcome,
        "message": verdict.message,
        "name": verdict.responsible_name,
        "url": verdict.responsible_url,
        "question": question.key,
    }


def _location_question(step: _Step, key: str) -> Question:
    asked = question_get(step.request_type, key)
    if asked is None or asked.kind != QuestionKind.LOCATION:
        raise Http404("No such question")
    return asked


@require_http_methods(["GET", "POST"])
def report_place(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    """Pick the street from the ones that match what the resident typed."""
    step = _Step(request, council, key)
    asked = _location_question(step, question)
    if step.journey is None:
        return _restart(step)
    places = step.journey.places.get(asked.key, [])
    kept = step.journey.answers.get(asked.key) or {}
    if not places or not kept.get("description"):
        return HttpResponseRedirect(step.url("question", asked.key))
    errors: dict[str, str] = {}
    if request.method == "POST":
        choice = request.POST.get("place", "")
        if choice == NO_LOCATION:
            return _described_only(step, asked, str(kept["description"])) or step.after(asked)
        index = whole_number(choice)
        if index is not None and index < len(places):
            place = places[index]
            return _place_decided(
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
        return_to=_return_to(step),
    )


@require_http_methods(["GET", "POST"])
def report_nearby(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    """Open reports close by: follow one of them instead of reporting it again."""
    step = _Step(request, council, key)
    asked = _location_question(step, question)
    if step.journey is None:
        return _restart(step)
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
        return_to=_return_to(step),
    )


def _nearby_cases(step: _Step) -> list[Case]:
    """The open reports offered on the page, in the order shown (the choice is by position)."""
    assert step.journey is not None
    return [
        case
        for case in open_cases_in_order(step.journey.nearby)
        if case.latitude is not None and case.longitude is not None
    ]


def report_elsewhere(request: HttpRequest, council: str, key: str) -> HttpResponse:
    """The place is not ours: say who looks after it. No case is made."""
    step = _Step(request, council, key)
    if step.journey is None or step.journey.verdict is None:
        return _restart(step)
    verdict = step.journey.verdict
    return step.render(
        "elsewhere.html",
        title="We cannot take this report",
        back=step.url("question", verdict["question"]),
        verdict=verdict,
        change_url=step.url("question", verdict["question"]),
    )


# Your details


@require_http_methods(["GET", "POST"])
def report_details(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = _Step(request, council, key)
    if step.journey is None:
        return _restart(step)
    following = _followed_case(step)
    if following is None:
        missing = first_unanswered(step.request_type, step.journey)
        if missing is not None:
            return HttpResponseRedirect(step.url("question", missing.key))
    anonymous_allowed = step.request_type.kind == RequestKind.REPORT and following is None
    errors: dict[str, str] = {}
    values = dict(step.journey.details or {})
    if request.method == "POST":
        if anonymous_allowed and request.POST.get("anonymous") == "1":
            step.journey.details = None
            step.journey.anonymous = True
            step.save()
            return HttpResponseRedirect(step.url("check"))
        form, errors = details_check({name: request.POST.get(name, "") for name in _FIELDS})
        values = form.__dict__
        if not errors and following is not None:
            try:
                return _follow(step, following, form)
            except DomainError as problem:
                errors = _details_errors(problem)
        if not errors:
            step.journey.details = dict(form.__dict__)
            step.journey.anonymous = False
            step.save()
            return HttpResponseRedirect(step.url("check"))
    back = step.url("nearby", _location_key(step)) if following else step.back_from(None)
    return step.render(
        "details.html",
        title="Your details",
        errors=errors,
        back=back,
        values=values,
        channels=CHANNELS,
        anonymous_allowed=anonymous_allowed,
        following=following,
    )


def _details_errors(problem: DomainError) -> dict[str, str]:
    """A refusal of the details, pointed at the field on this page it is about."""
    names = {"emails": "email", "phones": "phone", "last_name": "full_name"}
    fields = {names.get(name, name): text for name, text in problem.fields.items()}
    return {name: text for name, text in fields.items() if name in _FIELDS} or {
        "full_name": problem.message
    }


_FIELDS = ("full_name", "email", "phone", "preferred_channel", "address_line_1", "town", "postcode")


def _location_key(step: _Step) -> str:
    return next(
        (q.key for q in step.request_type.questions.all() if q.kind == QuestionKind.LOCATION), ""
    )


def _followed_case(step: _Step) -> Case | None:
    assert step.journey is not None
    if step.journey.follow_id is None or step.journey.follow_id not in step.journey.nearby:
        return None
    return access_case_in_session(case_id=step.journey.follow_id, open_only=True)


def _follow(step: _Step, case: Case, form: DetailsForm) -> HttpResponse:
    report_follow(case=case, form=form, account=step.account(case.organisation))
    journey_end(step.request.session, step.slug, step.key)
    followed = dict(step.request.session.get(FOLLOWED_KEY, {}))
    followed[f"{step.slug}/{step.key}"] = case.pk
    step.request.session[FOLLOWED_KEY] = followed
    return HttpResponseRedirect(step.url("followed"))


# Check your answers, send, and the confirmation


@require_http_methods(["GET", "POST"])
def report_check(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = _Step(request, council, key)
    if request.method == "POST":
        earlier = done_case_id(request.session, request.POST.get("token", ""))
        if earlier is not None:
            return _done_redirect(step, earlier)
    if step.journey is None:
        return _restart(step)
    missing = first_unanswered(step.request_type, step.journey)
    if missing is not None:
        return HttpResponseRedirect(step.url("question", missing.key))
    if step.journey.details is None and not step.journey.anonymous:
        return HttpResponseRedirect(step.url("details"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.POST.get("token") != step.journey.token:
            return HttpResponseRedirect(step.url("check"))
        try:
            provider = step.provider()
        except NotFound:
            return _restart(step, GONE)
        submission = Submission(
            request_type=step.request_type,
            provider=provider,
            journey=step.journey,
            account=step.account(provider),
        )
        try:
            case = report_submit(session=request.session, submission=submission)
        except DomainError as problem:
            errors["send"] = check_problem(problem)
        else:
            journey_end(request.session, step.slug, step.key)
            return _done_redirect(step, case.pk)
    return step.render(
        "check.html",
        title="Check your answers before sending",
        errors=errors,
        back=step.url("details"),
        rows=_summary_rows(step),
        details_rows=_details_rows(step),
        token=step.journey.token,
    )


def _done_redirect(step: _Step, case_id: int) -> HttpResponseRedirect:
    last = dict(step.request.session.get(LAST_KEY, {}))
    last[f"{step.slug}/{step.key}"] = case_id
    step.request.session[LAST_KEY] = last
    return HttpResponseRedirect(step.url("done"))


def _summary_rows(step: _Step) -> list[dict[str, Any]]:
    assert step.journey is not None
    rows = []
    for question in step.request_type.questions.all():
        rows.append(
            {
                "key": {"text": question.label},
                "value": {"text": answer_summary(question, step.journey)},
                "actions": {
                    "items": [
                        {
                            "href": f"{step.url('question', question.key)}?change=1",
                            "text": "Change",
                            "visuallyHiddenText": question.label.rstrip("?").lower(),
                        }
                    ]
                },
            }
        )
    return rows


def _details_rows(step: _Step) -> list[dict[str, Any]]:
    assert step.journey is not None
    change = {
        "items": [
            {
                "href": step.url("details"),
                "text": "Change",
                "visuallyHiddenText": "your details",
            }
        ]
    }
    details = step.journey.details
    if details is None:
        return [
            {
                "key": {"text": "Your details"},
                "value": {"text": "Not given. We will not be able to send you updates."},
                "actions": change,
            }
        ]
    address = ", ".join(
        part for part in (details["address_line_1"], details["town"], details["postcode"]) if part
    )
    shown = [
        ("Name", details["full_name"]),
        ("Email address", details["email"] or "Not given"),
        ("Phone number", details["phone"] or "Not given"),
        ("How we will contact you", CHANNELS.get(details["preferred_channel"], "")),
    ]
    if address:
        shown.append(("Address", address))
    return [
        {"key": {"text": label}, "value": {"text": value}, "actions": change}
        for label, value in shown
    ]


def report_done(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = _Step(request, council, key)
    case_id = request.session.get(LAST_KEY, {}).get(f"{step.slug}/{step.key}")
    case = access_case_in_session(case_id=case_id)
    if case is None:
        return _restart(step)
    return step.render(
        "done.html",
        title="Report sent" if step.request_type.kind == RequestKind.REPORT else "Request sent",
        case=case,
        due=describe_deadline(case.due_at) if case.due_at else "",
        passed_on=case.organisation if case.organisation_id != step.organisation.pk else None,
    )


def report_followed(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = _Step(request, council, key)
    case_id = request.session.get(FOLLOWED_KEY, {}).get(f"{step.slug}/{step.key}")
    case = access_case_in_session(case_id=case_id)
    if case is None:
        return _restart(step)
    return step.render(
        "followed.html",
        title="You are following this report",
        case=case,
        due=describe_deadline(case.due_at) if case.due_at else "",
    )
