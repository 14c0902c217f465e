"""Quality in the workspace: team leads score contacts and mystery-customer visits against the
council's criteria; advisers read the scores and comments about their own contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from civicdesk.catalogue.selectors import service_areas_of
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotFound
from civicdesk.quality.choices import AssessmentKind, Score
from civicdesk.quality.selectors import (
    access_assessment,
    access_contact_to_check,
    assessments_visible_to,
    contacts_to_check,
    criteria_of,
    may_assess,
)
from civicdesk.quality.services import quality_assess
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import staff_required

from .forms import choices

if TYPE_CHECKING:
    from civicdesk.contacts.models import Contact
    from civicdesk.organisations.models import StaffMember

RECENT_ASSESSMENTS = 50


@staff_required
def quality(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    return render_staff_page(
        request,
        "workspace/quality.html",
        title="Quality",
        staff=staff,
        may_assess=may_assess(staff),
        sample=contacts_to_check(staff=staff) if may_assess(staff) else [],
        assessments=list(assessments_visible_to(staff)[:RECENT_ASSESSMENTS]),
    )


@staff_required
def quality_check(
    request: HttpRequest, staff: StaffMember, contact_id: int | None = None
) -> HttpResponse:
    """Score one contact (a spot check) or, without a contact, a mystery customer's experience."""
    if not may_assess(staff):
        return render_not_allowed(
            request, staff=staff, message="Only team leads and managers record quality checks."
        )
    contact: Contact | None = None
    if contact_id is not None:
        try:
            contact = access_contact_to_check(staff=staff, contact_id=contact_id)
        except NotFound as problem:
            raise Http404(problem.message) from problem
    criteria = criteria_of(organisation_id=staff.organisation_id)
    areas = list(service_areas_of(organisation_id=staff.organisation_id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        area_id = request.POST.get("service_area", "")
        try:
            assessment = quality_assess(
                organisation=staff.organisation,
                kind=AssessmentKind.SPOT_CHECK if contact else AssessmentKind.MYSTERY_CUSTOMER,
                contact=contact,
                channel=request.POST.get("channel", ""),
                service_area=next((area for area in areas if str(area.pk) == area_id), None),
                scores={
                    criterion.pk: request.POST.get(f"criterion-{criterion.pk}", "")
                    for criterion in criteria
                },
                comments=request.POST.get("comments", "")[:5000],
                actor=Actor.for_user(staff.user),
            )
        except DomainError as problem:
            errors = problem.fields or {"comments": problem.message}
        else:
            return redirect("workspace:quality-assessment", assessment.pk)
    score_choices = [(str(value), str(label)) for value, label in Score.choices]
    return render_staff_page(
        request,
        "workspace/quality_check.html",
        title="Quality check" if contact else "Mystery customer assessment",
        staff=staff,
        errors=errors,
        contact=contact,
        criteria=[
            (criterion, choices(score_choices, request.POST.get(f"criterion-{criterion.pk}", "")))
            for criterion in criteria
        ],
        channels=choices(Channel.choices, request.POST.get("channel", "")),
        areas=choices(
            [(str(area.pk), area.name) for area in areas],
            request.POST.get("service_area", ""),
            first=[("", "Not about one service")],
        ),
        comments=request.POST.get("comments", ""),
        status=400 if errors else 200,
    )


@staff_required
def quality_assessment(
    request: HttpRequest, staff: StaffMember, assessment_id: int
) -> HttpResponse:
    try:
        assessment = access_assessment(staff=staff, assessment_id=assessment_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    return render_staff_page(
        request,
        "workspace/quality_assessment.html",
        title=assessment.get_kind_display(),
        staff=staff,
        assessment=assessment,
        scores=list(assessment.scores.select_related("criterion")),
    )
