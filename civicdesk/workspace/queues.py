"""Team queues, the same in every service area, and the team lead's view of what is slipping."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from civicdesk.cases.choices import OPEN_STATUSES, CaseStatus, ClockState
from civicdesk.cases.lifecycle import case_assign, case_take
from civicdesk.cases.selectors import (
    QueueFilters,
    access_case,
    clock_state_now,
    queue_cases,
    slipping,
)
from civicdesk.catalogue.selectors import service_areas_of
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Priority
from civicdesk.core.errors import DomainError, EditConflict, NotPermitted
from civicdesk.core.numbers import whole_number
from civicdesk.organisations.selectors import (
    active_staff_member,
    case_officers_of,
    teams_of,
    teams_of_staff,
)
from civicdesk.web.pages import render_not_allowed, render_staff_page
from civicdesk.web.staff import require_lead, staff_required

from .forms import choices

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.organisations.models import StaffMember

QUEUE_PAGE_SIZE = 50
FILTER_NAMES = ("team", "service_area", "status", "due", "priority", "area")


@staff_required
def queue(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    chosen = {name: request.GET.get(name, "").strip()[:40] for name in FILTER_NAMES}
    if "team" not in request.GET:
        first_team = min(teams_of_staff(staff), key=lambda team: team.name, default=None)
        chosen["team"] = str(first_team.pk) if first_team else ""
    filters = QueueFilters(**chosen)
    page = Paginator(queue_cases(staff=staff, filters=filters), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(case, clock_state_now(case)) for case in page.object_list]
    return _render_queue(request, staff, chosen, page, rows)


def _render_queue(
    request: HttpRequest,
    staff: StaffMember,
    chosen: dict[str, str],
    page: Page,
    rows: list[tuple[Case, str]],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    teams = list(teams_of(organisation_id=staff.organisation_id))
    areas = service_areas_of(organisation_id=staff.organisation_id)
    team = next((team for team in teams if str(team.pk) == chosen["team"]), None)
    members = case_officers_of(
        organisation_id=staff.organisation_id, team_id=team.pk if team else None
    )
    query = {name: value for name, value in chosen.items() if value}
    return render_staff_page(
        request,
        "workspace/queue.html",
        title="Queues",
        staff=staff,
        errors=errors,
        page=page,
        rows=rows,
        total=page.paginator.count,
        chosen=chosen,
        query=urlencode(query),
        return_to=request.get_full_path(),
        team_options=choices(
            [(str(team.pk), team.name) for team in teams],
            chosen["team"],
            first=[("", "All teams"), ("mine", "Assigned to me"), ("unassigned", "No team yet")],
        ),
        area_options=choices(
            [(str(area.pk), area.name) for area in areas],
            chosen["service_area"],
            first=[("", "All service areas")],
        ),
        status_options=choices(
            [(value, CaseStatus(value).label) for value in OPEN_STATUSES],
            chosen["status"],
            first=[("", "Any open status")],
        ),
        due_options=choices(
            [
                (state, ClockState(state).label)
                for state in (
                    ClockState.OVERDUE,
                    ClockState.DUE_SOON,
                    ClockState.ON_TRACK,
                    ClockState.PAUSED,
                )
            ],
            chosen["due"],
            first=[("", "Any")],
        ),
        priority_options=choices(
            Priority.choices, chosen["priority"], first=[("", "Any priority")]
        ),
        assignees=choices(
            [
                (str(member.user_id), member.user.get_full_name() or member.user.username)
                for member in members
            ],
            "",
            first=[("", "Choose an officer")],
        ),
        status=status,
    )


@require_POST
@staff_required
def queue_assign(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    """Take one case, or give the ticked cases to an officer (team leads), in one go. Each
    case is changed on its own; a case someone else changed meanwhile is left as it is and
    listed, never overwritten."""
    references = request.POST.getlist("case")[:QUEUE_PAGE_SIZE]
    officer_id = request.POST.get("officer", "")
    take = request.POST.get("take", "")
    return_to = request.POST.get("return_to", "")
    if not return_to.startswith("/staff/queue/"):
        return_to = "/staff/queue/"
    actor = Actor.for_user(staff.user)
    problems: dict[str, str] = {}
    if take:
        references = [take]
        officer = staff.user
    else:
        try:
            require_lead(staff)
        except NotPermitted as refused:
            problems["officer"] = refused.message
        member = active_staff_member(
            organisation_id=staff.organisation_id, user_id=whole_number(officer_id) or 0
        )
        if member is None:
            problems["officer"] = "Select the officer to give the cases to"
        if not references:
            problems["case"] = "Select at least one case"
        officer = member.user if member else staff.user
    if not problems:
        for reference in references:
            try:
                case = access_case(staff=staff, reference=reference)
                version = whole_number(request.POST.get(f"version-{case.reference}", ""))
                if version is None:
                    raise EditConflict("the page was out of date. Check the case, then try again.")
                if take:
                    case_take(case=case, actor=actor, officer=officer, expected_version=version)
                else:
                    case_assign(case=case, actor=actor, officer=officer, expected_version=version)
            except DomainError as problem:
                problems[f"case-{reference}"] = f"{reference}: {problem.message}"
    if not problems:
        return redirect(return_to)
    chosen = {name: "" for name in FILTER_NAMES}
    filters = QueueFilters()
    page = Paginator(queue_cases(staff=staff, filters=filters), QUEUE_PAGE_SIZE).get_page(1)
    rows = [(case, clock_state_now(case)) for case in page.object_list]
    return _render_queue(request, staff, chosen, page, rows, errors=problems, status=400)


@staff_required
def team_lead(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    try:
        require_lead(staff)
    except NotPermitted as refused:
        return render_not_allowed(request, staff=staff, message=refused.message)
    return render_staff_page(
        request,
        "workspace/team_lead.html",
        title="Team lead view",
        staff=staff,
        slipping=slipping(staff=staff),
    )
