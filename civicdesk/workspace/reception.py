"""Reception desks and community hubs: the day's list of visits at a place, booking an
appointment for a customer, and checking in people who walk in. Residents with a support need
on their record are flagged to be seen first; the need itself stays on the customer page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from civicdesk.appointments.choices import VisitStatus
from civicdesk.appointments.selectors import (
    access_venue,
    access_visit,
    reception_list,
    venues_of,
)
from civicdesk.appointments.services import (
    NEXT_STATUSES,
    appointment_book,
    visit_move,
    walk_in_record,
)
from civicdesk.core.audit import Actor
from civicdesk.core.calendar import LONDON
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required

from .customers import customer_or_404
from .forms import choices, posted

if TYPE_CHECKING:
    from civicdesk.appointments.models import Venue
    from civicdesk.organisations.models import StaffMember

# The buttons on the list, by the status each moves a visit to.
ACTIONS = {
    "arrived": VisitStatus.WAITING,
    "seen": VisitStatus.SEEN,
    "no-show": VisitStatus.NO_SHOW,
    "cancel": VisitStatus.CANCELLED,
}
SLOT_MINUTES = 30


@staff_required
def reception(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    venues = venues_of(organisation_id=staff.organisation_id)
    venue = _chosen_venue(staff, request.GET.get("venue", ""), venues)
    day = _day(request.GET.get("day", "")) or timezone.localdate()
    return _render_reception(request, staff, venues, venue, day, errors={}, form={})


def _render_reception(
    request: HttpRequest,
    staff: StaffMember,
    venues: list[Venue],
    venue: Venue | None,
    day: date,
    *,
    errors: dict[str, str],
    form: dict[str, str],
) -> HttpResponse:
    visits = list(reception_list(venue=venue, day=day)) if venue else []
    return render_staff_page(
        request,
        "workspace/reception.html",
        title=f"Reception: {venue.name}" if venue else "Reception",
        staff=staff,
        errors=errors,
        venue=venue,
        venues=choices([(str(v.pk), v.name) for v in venues], str(venue.pk) if venue else ""),
        day=day,
        visits=[(visit, _actions_for(visit.status)) for visit in visits],
        waiting=sum(visit.status == VisitStatus.WAITING for visit in visits),
        form=form,
        status=400 if errors else 200,
    )


def _actions_for(status: str) -> list[tuple[str, str]]:
    labels = {
        "arrived": "Arrived",
        "seen": "Seen",
        "no-show": "Did not come" if status == VisitStatus.BOOKED else "Did not wait",
        "cancel": "Cancel",
    }
    allowed = NEXT_STATUSES.get(status, frozenset())
    return [(action, labels[action]) for action, to in ACTIONS.items() if to in allowed]


@require_POST
@staff_required
def walk_in(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    """Someone with no record yet has arrived; a customer on the system is checked in from
    their own page (appointment_new)."""
    venues = venues_of(organisation_id=staff.organisation_id)
    form = posted(request, "venue", "name_given", "reason")
    venue = _chosen_venue(staff, form["venue"], venues)
    today = timezone.localdate()
    if venue is None:
        raise Http404("There is no such place.")
    try:
        walk_in_record(
            venue=venue,
            customer=None,
            name_given=form["name_given"],
            reason=form["reason"],
            actor=Actor.for_user(staff.user),
        )
    except ValidationFailed as problem:
        errors = {f"walk-in-{field}": text for field, text in problem.fields.items()}
        return _render_reception(request, staff, venues, venue, today, errors=errors, form=form)
    return redirect(_reception_url(venue, today))


@require_POST
@staff_required
def visit_action(
    request: HttpRequest, staff: StaffMember, visit_id: int, action: str
) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("There is no such action.")
    try:
        visit = access_visit(staff=staff, visit_id=visit_id)
    except NotFound as problem:
        raise Http404(problem.message) from problem
    day = timezone.localtime(visit.starts_at or visit.arrived_at or timezone.now()).date()
    try:
        visit = visit_move(visit=visit, to_status=ACTIONS[action], actor=Actor.for_user(staff.user))
    except DomainError as problem:
        venues = venues_of(organisation_id=staff.organisation_id)
        return _render_reception(
            request, staff, venues, visit.venue, day, errors={"visits": problem.message}, form={}
        )
    if visit.status == VisitStatus.SEEN and visit.customer_id is not None:
        messages.success(request, f"Log what you did for {visit.who} at {visit.venue.name}.")
        return redirect(
            reverse("workspace:contact-new", args=[visit.customer_id]) + "?channel=face_to_face"
        )
    return redirect(_reception_url(visit.venue, day))


@staff_required
def appointment_new(request: HttpRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    """Book a time for the customer, or check them in now if they are here."""
    customer = customer_or_404(staff, customer_id)
    venues = venues_of(organisation_id=staff.organisation_id)
    form = posted(request, "venue", "reason", "day", "month", "year", "time", "now")
    errors: dict[str, str] = {}
    if request.method == "POST":
        venue = _chosen_venue(staff, form["venue"], venues, required=True)
        actor = Actor.for_user(staff.user)
        try:
            if venue is None:
                raise ValidationFailed("Choose a place.", fields={"venue": "Choose the place"})
            if form["now"]:
                walk_in_record(
                    venue=venue,
                    customer=customer,
                    name_given="",
                    reason=form["reason"],
                    actor=actor,
                )
                return redirect(_reception_url(venue, timezone.localdate()))
            starts_at = _moment(form)
            visit = appointment_book(
                venue=venue,
                customer=customer,
                starts_at=starts_at,
                reason=form["reason"],
                actor=actor,
            )
        except ValidationFailed as problem:
            errors = problem.fields
        else:
            assert visit.starts_at is not None
            messages.success(
                request,
                f"Appointment booked at {venue.name}, "
                f"{timezone.localtime(visit.starts_at):%-I:%M%p on %A %-d %B %Y}.".replace(
                    "AM", "am"
                ).replace("PM", "pm"),
            )
            return redirect("workspace:customer", customer.pk)
    calendar = staff.organisation.calendar
    return render_staff_page(
        request,
        "workspace/appointment_new.html",
        title=f"Appointment or visit for {customer.display_name}",
        staff=staff,
        errors=errors,
        customer=customer,
        venues=choices(
            [(str(v.pk), v.name) for v in venues], form["venue"], first=[("", "Choose a place")]
        ),
        times=choices(_slots(calendar.opens, calendar.closes), form["time"]),
        form=form,
        status=400 if errors else 200,
    )


def _slots(opens: time, closes: time) -> list[tuple[str, str]]:
    slots = []
    moment = datetime.combine(date(2000, 1, 1), opens)
    last = datetime.combine(date(2000, 1, 1), closes) - timedelta(minutes=SLOT_MINUTES)
    while moment <= last:
        label = f"{moment:%-I:%M}{'am' if moment.hour < 12 else 'pm'}"
        slots.append((f"{moment:%H:%M}", label))
        moment += timedelta(minutes=SLOT_MINUTES)
    return slots


def _moment(form: dict[str, str]) -> datetime | None:
    day, month, year = (whole_number(form[name]) for name in ("day", "month", "year"))
    hours, _, minutes = form["time"].partition(":")
    hour, minute = whole_number(hours), whole_number(minutes)
    if None in (day, month, year, hour, minute):
        return None
    try:
        return datetime(year, month, day, hour, minute, tzinfo=LONDON)  # type: ignore[arg-type]
    except ValueError:
        return None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _chosen_venue(
    staff: StaffMember, value: str, venues: list[Venue], *, required: bool = False
) -> Venue | None:
    venue_id = whole_number(value)
    if venue_id is None:
        return None if required or not venues else venues[0]
    try:
        return access_venue(staff=staff, venue_id=venue_id)
    except NotFound:
        return None


def _reception_url(venue: Venue, day: date) -> str:
    return f"{reverse('workspace:reception')}?venue={venue.pk}&day={day.isoformat()}"
