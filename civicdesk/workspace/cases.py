"""Raising a case for a customer, and the case page: details, answers, timeline, notes,
public updates, status changes, assignment, priority, duplicates and templated replies.

Every change sends back the case version the page showed; if someone else changed the case
in between, the change is refused and the page says so instead of overwriting their work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from civicdesk.assistant.selectors import Suggestion, suggest_services
from civicdesk.cases.attachments import case_attach
from civicdesk.cases.choices import CaseStatus, NoteVisibility
from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload
from civicdesk.cases.lifecycle import (
    LIFECYCLE,
    CaseRequest,
    case_add_note,
    case_assign,
    case_link_duplicate,
    case_open_for_contact,
    case_set_priority,
    case_transition,
)
from civicdesk.cases.selectors import (
    access_case,
    access_case_document,
    case_request_types,
    case_timeline,
    case_visible_to,
    clock_state_now,
)
from civicdesk.catalogue.choices import QuestionKind
from civicdesk.catalogue.selectors import request_type_get
from civicdesk.contacts.services import ContactDetails
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.errors import DomainError, EditConflict, NotFound, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.organisations.selectors import (
    active_staff_member,
    active_staff_of,
    team_of,
    teams_of,
)
from civicdesk.privacy.choices import AccessKind
from civicdesk.referrals.selectors import (
    may_refer,
    referral_of_accepted_case,
    referrals_of_case,
)
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import answers_personal_data_requests, staff_required

from .access_log_views import record_opening
from .customers import DRAFT_CONTACT_KEY, customer_or_404
from .documents import document_download
from .forms import choices, posted, posted_version
from .replies import reply_templates

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.catalogue.models import RequestType
    from civicdesk.organisations.models import StaffMember, Team

CASE_ACTIONS = ("note", "status", "assign", "take", "priority", "duplicate", "attach", "reply")


@staff_required
def case_new(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    """Raise a case from the contact the adviser is logging, asking the service's own
    catalogue questions (the same ones residents answer online)."""
    found = customer_or_404(staff, customer_id)
    draft = request.session.get(DRAFT_CONTACT_KEY)
    if not isinstance(draft, dict) or draft.get("customer") != found.pk:
        return redirect("workspace:contact-new", found.pk)
    services = case_request_types(organisation_id=staff.organisation_id)
    key = request.POST.get("service") or request.GET.get("service", "")
    chosen = next((service for service in services if service.key == key), None)
    errors: dict[str, str] = {}
    answers: dict[str, Any] = {}
    if request.method == "POST" and chosen is None:
        errors["service"] = "Select the service the customer needs"
    elif request.method == "POST" and chosen is not None:
        request_type = request_type_get(organisation_id=staff.organisation_id, key=chosen.key)
        answers = posted_answers(request, request_type)
        try:
            case = case_open_for_contact(
                organisation=staff.organisation,
                request=CaseRequest(
                    request_type_key=chosen.key,
                    channel=draft["channel"],
                    description=request.POST.get("description", "").strip()[:5000],
                    answers=answers,
                    customer=found,
                    documents=_uploads(request, request_type),
                    assisted=bool(draft.get("assisted")),
                ),
                details=ContactDetails(
                    channel=draft["channel"],
                    reason=draft["reason"],
                    outcome="case_created",
                    summary=draft.get("summary", ""),
                    assisted=bool(draft.get("assisted")),
                ),
                actor=Actor.for_user(staff.user),
            )
        except DomainError as problem:
            errors = {f"answer-{key}": text for key, text in problem.fields.items()} or {
                "service": problem.message
            }
        else:
            request.session.pop(DRAFT_CONTACT_KEY, None)
            return case_opened_redirect(request, staff, case)
    questions = (
        list(
            request_type_get(organisation_id=staff.organisation_id, key=chosen.key).questions.all()
        )
        if chosen
        else []
    )
    address = ", ".join(found.address_lines)
    location_prefilled = False
    if request.method != "POST" and address:
        # Most problems an adviser hears about are at the caller's home; they can change it.
        answers = {
            question.key: address
            for question in questions
            if question.kind == QuestionKind.LOCATION
        }
        location_prefilled = bool(answers)
    return render_staff_page(
        request,
        "workspace/case_new.html",
        title=f"Raise a case for {found.display_name}",
        staff=staff,
        errors=errors,
        customer=found,
        services=choices(
            [(service.key, service.name) for service in services],
            key,
            first=[("", "Choose a service")],
        ),
        chosen=chosen,
        suggestions=_suggested_services(staff, str(draft.get("summary", "")), services),
        questions=questions,
        answers={question_key: str(value) for question_key, value in answers.items()},
        location_prefilled=location_prefilled,
        description=request.POST.get("description", ""),
        status=400 if errors else 200,
    )


# How sure the assistant must be before its guess from the adviser's notes is offered.
SUGGESTION_CONFIDENCE = 0.2


def _suggested_services(
    staff: StaffMember, notes: str, services: list[RequestType]
) -> list[Suggestion]:
    """The services the assistant reads in the contact's notes, among those a case can be
    raised for here, so the adviser can pick one instead of searching the list."""
    if not notes.strip():
        return []
    allowed = {service.key for service in services}
    return [
        suggestion
        for suggestion in suggest_services(organisation=staff.organisation, text=notes)
        if suggestion.key in allowed and suggestion.confidence >= SUGGESTION_CONFIDENCE
    ]


def case_opened_redirect(request: HttpRequest, staff: StaffMember, case: Case) -> HttpResponse:
    """On to the new case, or, when it is a sensitive service's that only its team may read,
    back to the customer with a note saying where the case went."""
    if case_visible_to(staff=staff, case=case):
        return redirect("workspace:case", case.reference)
    team_name = case.team.name if case.team else "its team"
    messages.success(
        request,
        f"Case {case.reference} has been raised and passed to {team_name}. "
        "Only that team can open it.",
    )
    return redirect("workspace:customer", case.customer_id)


def posted_answers(request: HttpRequest, request_type: RequestType) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in request_type.questions.all():
        if question.kind == QuestionKind.FILE:
            continue
        value = request.POST.get(f"answer-{question.key}", "").strip()[:5000]
        if value:
            answers[question.key] = value
    return answers


def _uploads(request: HttpRequest, request_type: RequestType) -> list[Upload]:
    uploads = []
    for question in request_type.questions.all():
        if question.kind != QuestionKind.FILE:
            continue
        for file in request.FILES.getlist(f"answer-{question.key}"):
            uploads.append(
                Upload(name=file.name or "document", content=file.read(MAX_DOCUMENT_BYTES + 1))
            )
    return uploads


@staff_required
def case_page(request: HttpRequest, staff: StaffMember, reference: str) -> HttpResponse:
    case = _case_or_404(staff, reference)
    return _render_case(request, staff, case)


@staff_required
def case_document(
    request: HttpRequest, staff: StaffMember, reference: str, document_id: int
) -> FileResponse:
    """A case document, streamed after the permission check; never from a public address."""
    try:
        document = access_case_document(staff=staff, reference=reference, document_id=document_id)
    except NotFound:
        raise Http404("There is no such document.") from None
    return document_download(
        request,
        staff,
        document=document,
        customer_id=document.case.customer_id,
        case_id=document.case_id,
    )


@require_POST
@staff_required
def case_action(
    request: HttpRequest, staff: StaffMember, reference: str, action: str
) -> HttpResponse:
    case = _case_or_404(staff, reference)
    if action not in CASE_ACTIONS:
        raise Http404("There is no such action.")
    actor = Actor.for_user(staff.user)
    version = posted_version(request)
    try:
        if version is None:
            # Every form on the case page sends the version it showed; without it a change
            # could overwrite someone else's unseen.
            raise EditConflict("The page was out of date. Check the case, then try again.")
        _apply(request, staff, case, action, actor, version)
    except EditConflict as problem:
        fresh = _case_or_404(staff, reference)
        return _render_case(request, staff, fresh, errors={"conflict": problem.message}, status=409)
    except DomainError as problem:
        fields = {f"{action}-{key}": text for key, text in problem.fields.items()}
        return _render_case(
            request, staff, case, errors=fields or {f"{action}-form": problem.message}, status=400
        )
    return redirect(reverse("workspace:case", args=[case.reference]) + "#updated")


def _apply(
    request: HttpRequest,
    staff: StaffMember,
    case: Case,
    action: str,
    actor: Actor,
    version: int | None,
) -> None:
    form = posted(
        request,
        "body",
        "visibility",
        "status",
        "note",
        "team",
        "officer",
        "priority",
        "reason",
        "original",
        "template",
    )
    if action == "note":
        case_add_note(
            case=case,
            body=form["body"],
            visibility=form["visibility"],
            actor=actor,
            expected_version=version,
        )
    elif action == "reply":
        case_add_note(
            case=case,
            body=form["body"],
            visibility=NoteVisibility.PUBLIC,
            actor=actor,
            expected_version=version,
        )
    elif action == "status":
        case_transition(
            case=case,
            to_status=form["status"],
            actor=actor,
            note=form["note"],
            expected_version=version,
        )
    elif action == "take":
        case_assign(case=case, actor=actor, officer=staff.user, expected_version=version)
    elif action == "assign":
        team = _team_of(staff, form["team"])
        officer = _officer_of(staff, form["officer"])
        case_assign(case=case, actor=actor, team=team, officer=officer, expected_version=version)
    elif action == "priority":
        case_set_priority(
            case=case,
            priority=form["priority"],
            reason=form["reason"],
            actor=actor,
            expected_version=version,
        )
    elif action == "duplicate":
        try:
            original = access_case(staff=staff, reference=form["original"])
        except NotFound:
            raise ValidationFailed(
                "There is no case with that reference.",
                fields={"original": "Enter the reference of a case you can see"},
            ) from None
        case_link_duplicate(case=case, original=original, actor=actor, expected_version=version)
    elif action == "attach":
        file = request.FILES.get("file")
        if file is None:
            raise ValidationFailed("Choose a file.", fields={"file": "Select a file to add"})
        case_attach(
            case=case,
            upload=Upload(name=file.name or "document", content=file.read(MAX_DOCUMENT_BYTES + 1)),
            actor=actor,
            public=request.POST.get("public") == "yes",
        )


def _team_of(staff: StaffMember, value: str) -> Team | None:
    if not value:
        return None
    team = team_of(organisation_id=staff.organisation_id, team_id=whole_number(value) or 0)
    if team is None:
        raise ValidationFailed("Select a team.", fields={"team": "Select a team of this council"})
    return team


def _officer_of(staff: StaffMember, value: str) -> User | None:
    if not value:
        return None
    member = active_staff_member(
        organisation_id=staff.organisation_id, user_id=whole_number(value) or 0
    )
    if member is None:
        raise ValidationFailed("Select an officer.", fields={"officer": "Select an officer"})
    return member.user


def _render_case(
    request: HttpRequest,
    staff: StaffMember,
    case: Case,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    if case.request_type.sensitive:
        record_opening(
            request,
            staff,
            what=AccessKind.SENSITIVE_CASE,
            customer_id=case.customer_id,
            case_id=case.pk,
        )
    teams = list(teams_of(organisation_id=staff.organisation_id))
    officers = (
        list(active_staff_of(organisation_id=staff.organisation_id, team_id=case.team_id))
        if case.team_id
        else []
    )
    return render_staff_page(
        request,
        "workspace/case.html",
        title=f"Case {case.reference}",
        staff=staff,
        errors=errors,
        case=case,
        clock_state=clock_state_now(case),
        answers=_answer_rows(case),
        timeline=list(reversed(case_timeline(case, include_internal=True))),
        documents=list(case.attachments.all()),
        next_statuses=choices(
            [
                (value, CaseStatus(value).label)
                for value in CaseStatus.values
                if value in LIFECYCLE[case.status]
            ],
            "",
        ),
        priorities=choices(Priority.choices, case.priority),
        teams=choices(
            [(str(team.pk), team.name) for team in teams], "", first=[("", "Keep the current team")]
        ),
        officers=choices(
            [
                (str(member.user_id), member.user.get_full_name() or member.user.username)
                for member in officers
            ],
            str(case.assigned_to_id or ""),
            first=[("", "Nobody in particular")],
        ),
        replies=reply_templates(case),
        channel_label=Channel(case.channel).label,
        personal_data_request=(
            case.request_type.key
            if answers_personal_data_requests(staff) and case.customer_id is not None
            else ""
        ),
        referrals=referrals_of_case(staff=staff, case=case),
        referred_from=referral_of_accepted_case(case_id=case.pk),
        may_refer=may_refer(staff),
        status=status,
    )


def _answer_rows(case: Case) -> list[dict[str, dict[str, str]]]:
    labels = {question.key: question.label for question in case.request_type.questions.all()}
    rows = []
    for key, value in case.answers.items():
        if isinstance(value, dict):
            value = ", ".join(str(part) for part in value.values())
        elif isinstance(value, list):
            value = ", ".join(str(part) for part in value)
        rows.append({"key": {"text": labels.get(key, key)}, "value": {"text": str(value)}})
    return rows


def _case_or_404(staff: StaffMember, reference: str) -> Case:
    try:
        return access_case(staff=staff, reference=reference)
    except NotFound as problem:
        raise Http404(problem.message) from problem
