"""Complaints in the workspace: the list waiting for a response, and each complaint's stages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from civicdesk.catalogue.selectors import service_area_of, service_areas_of
from civicdesk.complaints.choices import Outcome
from civicdesk.complaints.selectors import (
    access_complaint_case,
    complaint_cases_not_recorded,
    complaint_reasons,
    complaint_trends,
    complaints_open,
)
from civicdesk.complaints.services import (
    complaint_escalate,
    complaint_record,
    complaint_refer_to_ombudsman,
    complaint_respond,
)
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.core.numbers import whole_number
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required

from .forms import choices, posted

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.complaints.models import Complaint
    from civicdesk.organisations.models import StaffMember

COMPLAINT_ACTIONS = ("record", "respond", "escalate", "ombudsman")


@staff_required
def complaints(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    return render_staff_page(
        request,
        "workspace/complaints.html",
        title="Complaints",
        staff=staff,
        waiting=complaints_open(staff=staff),
        not_recorded=complaint_cases_not_recorded(staff=staff),
        trends=complaint_trends(staff=staff),
        now=timezone.now(),
    )


@staff_required
def complaint(request: HttpRequest, staff: StaffMember, reference: str) -> HttpResponse:
    return _render(request, staff, reference)


@require_POST
@staff_required
def complaint_action(
    request: HttpRequest, staff: StaffMember, reference: str, action: str
) -> HttpResponse:
    if action not in COMPLAINT_ACTIONS:
        raise Http404("There is no such action.")
    case, record = _complaint_or_404(staff, reference)
    actor = Actor.for_user(staff.user)
    form = posted(
        request, "outcome", "response", "remedy", "learning", "reason", "reference", "area"
    )
    try:
        if action == "record":
            chosen = set(request.POST.getlist("reasons"))
            reasons = [
                reason
                for reason in complaint_reasons(organisation_id=staff.organisation_id)
                if str(reason.pk) in chosen
            ]
            area = service_area_of(
                organisation_id=staff.organisation_id, area_id=whole_number(form["area"]) or 0
            )
            complaint_record(case=case, reasons=reasons, about_service_area=area, actor=actor)
        elif record is None:
            raise DomainError("Record the reasons for the complaint first.")
        elif action == "respond":
            complaint_respond(
                complaint=record,
                outcome=form["outcome"],
                response=form["response"],
                remedy=form["remedy"],
                learning=form["learning"],
                actor=actor,
            )
        elif action == "escalate":
            complaint_escalate(complaint=record, reason=form["reason"], actor=actor)
        else:
            complaint_refer_to_ombudsman(complaint=record, reference=form["reference"], actor=actor)
    except DomainError as problem:
        errors = {f"{action}-{key}": text for key, text in problem.fields.items()}
        return _render(
            request,
            staff,
            reference,
            errors=errors or {f"{action}-form": problem.message},
            status=400,
        )
    return redirect("workspace:complaint", case.reference)


def _render(
    request: HttpRequest,
    staff: StaffMember,
    reference: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    case, record = _complaint_or_404(staff, reference)
    areas = service_areas_of(organisation_id=staff.organisation_id)
    return render_staff_page(
        request,
        "workspace/complaint.html",
        title=f"Complaint {case.reference}",
        staff=staff,
        errors=errors,
        case=case,
        complaint=record,
        reasons=[
            {"value": str(reason.pk), "text": reason.name}
            for reason in complaint_reasons(organisation_id=staff.organisation_id)
        ],
        areas=choices(
            [(str(area.pk), area.name) for area in areas], "", first=[("", "Not about one service")]
        ),
        outcomes=choices(Outcome.choices, request.POST.get("outcome", "")),
        form=posted(request, "response", "remedy", "learning", "reason", "reference"),
        status=status,
    )


def _complaint_or_404(staff: StaffMember, reference: str) -> tuple[Case, Complaint | None]:
    try:
        case, record = access_complaint_case(staff=staff, reference=reference)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    if case.kind != "complaint":
        raise Http404("There is no complaint with that reference.")
    return case, record
