"""Report a problem or apply for a service: one question a page, your details, check, send.

Everything the resident tells us is kept in their session and sent with POST; the URLs hold
only the council, the service and the question being asked. The pages about where the problem
is are in report_location_views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload, document_check
from civicdesk.cases.selectors import access_case_in_session, case_public_progress
from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.urgency import answer_means_danger_to_life, urgency_of_answers
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.core.text import describe_deadline

from .report_journey import (
    DateParts,
    answer_error,
    answer_summary,
    date_check,
    done_case_id,
    first_unanswered,
    journey_end,
    journey_start,
    pending_delete,
    pending_store,
    question_get,
)
from .report_location_views import location_page
from .report_step import ReportStep
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

LAST_KEY = "report_last"
FOLLOWED_KEY = "report_followed"
GONE = (
    "Something changed while you were filling in the form, so we could not send it. "
    "Nothing has been sent. Please start again."
)


def report_start(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = ReportStep(request, council, key)
    journey = journey_start(request.session, step.slug, step.key)
    question = first_unanswered(step.request_type, journey)
    if question is not None:
        return HttpResponseRedirect(step.url("question", question.key))
    return HttpResponseRedirect(step.url("details"))


@require_http_methods(["GET", "POST"])
def report_question(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    step = ReportStep(request, council, key)
    asked = question_get(step.request_type, question)
    if asked is None:
        raise Http404("No such question")
    if step.journey is None:
        return step.restart()
    if asked.kind == QuestionKind.LOCATION:
        return location_page(step, asked)
    if asked.kind == QuestionKind.FILE:
        return _file_page(step, asked)
    if request.method == "POST":
        value, problem, target = _posted_answer(step, asked)
        if not problem and answer_means_danger_to_life(asked, value):
            # Someone's life is in danger: 999 comes before anything else, and the journey
            # goes no further with this answer.
            step.journey.answers.pop(asked.key, None)
            step.save()
            return HttpResponseRedirect(step.url("danger", asked.key))
        if not problem:
            step.journey.answers[asked.key] = value
            step.save()
            return step.after(asked)
        return _question_page(step, asked, errors={target: problem})
    return _question_page(step, asked)


def _posted_answer(step: ReportStep, question: Question) -> tuple[Any, str, str]:
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
    step: ReportStep, question: Question, errors: dict[str, str] | None = None
) -> HttpResponse:
    assert step.journey is not None
    post = step.request.POST
    if step.request.method == "POST":
        value: Any = post.get(question.key, "")
        parts = {name: post.get(f"{question.key}-{name}", "") for name in ("day", "month", "year")}
    else:
        value = step.journey.answers.get(question.key, "")
        if not value:
            value = step.journey.suggested.get(question.key, "")
        parts = _date_parts(value) if question.kind == QuestionKind.DATE else {}
    return step.render(
        "question.html",
        from_ask=question.key not in step.journey.answers
        and question.key in step.journey.suggested,
        title=question.label,
        errors=errors,
        back=step.back_from(question),
        question=question,
        value=value,
        parts=parts,
        error=next(iter((errors or {}).values()), ""),
        return_to=step.return_to(),
    )


def _date_parts(value: Any) -> dict[str, str]:
    if not value:
        return {"day": "", "month": "", "year": ""}
    year, month, day = str(value).split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def report_danger(request: HttpRequest, council: str, key: str, question: str) -> HttpResponse:
    """The answer means someone's life is in danger now: phone 999, then our 24-hour line."""
    step = ReportStep(request, council, key)
    asked = question_get(step.request_type, question)
    if asked is None or not asked.danger_to_life:
        raise Http404("No such question")
    return step.render(
        "danger.html",
        title="Phone 999 now",
        back=step.url("question", asked.key),
        question=asked,
        stop_page=True,
    )


# Files


def _file_page(step: ReportStep, question: Question) -> HttpResponse:
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
        return_to=step.return_to(),
    )


# Your details


@require_http_methods(["GET", "POST"])
def report_details(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = ReportStep(request, council, key)
    if step.journey is None:
        return step.restart()
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


def _location_key(step: ReportStep) -> str:
    return next(
        (q.key for q in step.request_type.questions.all() if q.kind == QuestionKind.LOCATION), ""
    )


def _followed_case(step: ReportStep) -> Case | None:
    assert step.journey is not None
    if step.journey.follow_id is None or step.journey.follow_id not in step.journey.nearby:
        return None
    return access_case_in_session(case_id=step.journey.follow_id, open_only=True)


def _follow(step: ReportStep, case: Case, form: DetailsForm) -> HttpResponse:
    report_follow(case=case, form=form, account=step.account(case.organisation))
    journey_end(step.request.session, step.slug, step.key)
    followed = dict(step.request.session.get(FOLLOWED_KEY, {}))
    followed[f"{step.slug}/{step.key}"] = case.pk
    step.request.session[FOLLOWED_KEY] = followed
    return HttpResponseRedirect(step.url("followed"))


# Check your answers, send, and the confirmation


@require_http_methods(["GET", "POST"])
def report_check(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = ReportStep(request, council, key)
    if request.method == "POST":
        earlier = done_case_id(request.session, request.POST.get("token", ""))
        if earlier is not None:
            return _done_redirect(step, earlier)
    if step.journey is None:
        return step.restart()
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
            return step.restart(GONE)
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


def _done_redirect(step: ReportStep, case_id: int) -> HttpResponseRedirect:
    last = dict(step.request.session.get(LAST_KEY, {}))
    last[f"{step.slug}/{step.key}"] = case_id
    step.request.session[LAST_KEY] = last
    return HttpResponseRedirect(step.url("done"))


def _summary_rows(step: ReportStep) -> list[dict[str, Any]]:
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


def _details_rows(step: ReportStep) -> list[dict[str, Any]]:
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
    step = ReportStep(request, council, key)
    case_id = request.session.get(LAST_KEY, {}).get(f"{step.slug}/{step.key}")
    case = access_case_in_session(case_id=case_id)
    if case is None:
        return step.restart()
    urgency = urgency_of_answers(request_type=case.request_type, answers=case.answers)
    return step.render(
        "done.html",
        title="Report sent" if step.request_type.kind == RequestKind.REPORT else "Request sent",
        case=case,
        due=describe_deadline(case.due_at) if case.due_at else "",
        passed_on=case.organisation if case.organisation_id != step.organisation.pk else None,
        because=urgency.because if urgency.priority == case.priority else (),
        on_call=case.team is not None and case.team.handles_out_of_hours,
    )


def report_followed(request: HttpRequest, council: str, key: str) -> HttpResponse:
    step = ReportStep(request, council, key)
    case_id = request.session.get(FOLLOWED_KEY, {}).get(f"{step.slug}/{step.key}")
    case = access_case_in_session(case_id=case_id)
    if case is None:
        return step.restart()
    return step.render(
        "followed.html",
        title="You are following this report",
        case=case,
        progress=case_public_progress(case),
    )
