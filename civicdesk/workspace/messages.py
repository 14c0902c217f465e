"""The triage queue: emails and text messages that no service could be found for. Staff open
the case each one needs (asking the service's questions) or close it with a note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from civicdesk.cases.selectors import case_request_types
from civicdesk.catalogue.selectors import request_type_get
from civicdesk.channels.selectors import access_inbound_message, triage_queue
from civicdesk.channels.services import triage_close, triage_open_case
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required

from .cases import case_opened_redirect, posted_answers
from .forms import choices

if TYPE_CHECKING:
    from civicdesk.catalogue.models import RequestType
    from civicdesk.channels.models import InboundMessage
    from civicdesk.organisations.models import StaffMember

PAGE_SIZE = 50


@staff_required
def messages(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    page = Paginator(triage_queue(staff=staff), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_staff_page(
        request, "workspace/messages.html", title="Messages to sort", staff=staff, page=page
    )


@staff_required
def message(request: HttpRequest, staff: StaffMember, message_id: int) -> HttpResponse:
    try:
        found = access_inbound_message(staff=staff, message_id=message_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    services = case_request_types(organisation_id=staff.organisation_id)
    key = request.POST.get("service") or request.GET.get("service", "")
    chosen = next((service for service in services if service.key == key), None)
    errors: dict[str, str] = {}
    actor = Actor.for_user(staff.user)
    if request.method == "POST":
        try:
            if request.POST.get("close"):
                triage_close(message=found, actor=actor, note=request.POST.get("note", "")[:250])
                return redirect("workspace:messages")
            if chosen is None:
                errors["service"] = "Select the service the message is about"
            else:
                request_type = request_type_get(organisation_id=staff.organisation_id, key=key)
                case = triage_open_case(
                    message=found,
                    request_type_key=key,
                    actor=actor,
                    answers=posted_answers(request, request_type),
                )
                return case_opened_redirect(request, staff, case)
        except DomainError as problem:
            errors = {
                ("note" if field == "note" else f"answer-{field}"): text
                for field, text in problem.fields.items()
            } or {"service": problem.message}
    return _render(request, staff, found, services, key, chosen, errors)


def _render(
    request: HttpRequest,
    staff: StaffMember,
    found: InboundMessage,
    services: list[RequestType],
    key: str,
    chosen: RequestType | None,
    errors: dict[str, str],
) -> HttpResponse:
    questions = (
        list(request_type_get(organisation_id=staff.organisation_id, key=key).questions.all())
        if chosen is not None
        else []
    )
    return render_staff_page(
        request,
        "workspace/message.html",
        title="Message to sort",
        staff=staff,
        errors=errors,
        message=found,
        held=list(found.held.all()),
        services=choices(
            [(service.key, service.name) for service in services],
            key or (found.suggested_service.key if found.suggested_service else ""),
            first=[("", "Choose a service")],
        ),
        chosen=chosen,
        questions=questions,
        answers={
            name: request.POST.get(f"answer-{name}", "") for name in (q.key for q in questions)
        },
        status=400 if errors else 200,
    )
