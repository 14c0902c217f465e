"""Who may use the staff workspace: a signed-in, active member of staff who passed two factors.

The password alone never signs anyone in to the workspace. After it, the session remembers only
who is part-way through (``PENDING_KEY``); once the code from their authenticator app is
accepted they are signed in and the session records that this user passed both
(``TWO_FACTOR_KEY``). A session signed in some other way (the admin site) has no such mark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from civicdesk.core.errors import NotPermitted
from civicdesk.organisations.choices import Role
from civicdesk.organisations.selectors import staff_for_user

from .pages import render_not_allowed

if TYPE_CHECKING:
    from civicdesk.organisations.models import StaffMember

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)
StaffView = Callable[Concatenate[HttpRequest, "StaffMember", P], R]

TWO_FACTOR_KEY = "civicdesk_staff_two_factor"
PENDING_KEY = "civicdesk_staff_pending"
SEEN_KEY = "civicdesk_staff_seen"
# How often the session's last-seen time is written back: not on every request.
SEEN_RESOLUTION_SECONDS = 60


def signed_in_staff(request: HttpRequest) -> StaffMember | None:
    """The active staff record of whoever is signed in with both factors, or None.

    A staff session left unused for STAFF_IDLE_MINUTES is signed out: screens full of
    residents' details are often left open on shared desks and reception counters."""
    user = request.user
    if not user.is_authenticated or request.session.get(TWO_FACTOR_KEY) != user.pk:
        return None
    now = int(time.time())
    seen = request.session.get(SEEN_KEY)
    if not isinstance(seen, int) or now - seen > settings.STAFF_IDLE_MINUTES * 60:
        logout(request)
        return None
    if now - seen >= SEEN_RESOLUTION_SECONDS:
        request.session[SEEN_KEY] = now
    try:
        return staff_for_user(user)
    except NotPermitted:
        return None


def mark_two_factors_passed(session: SessionBase, user: User) -> None:
    session.pop(PENDING_KEY, None)
    session[TWO_FACTOR_KEY] = user.pk
    session[SEEN_KEY] = int(time.time())


def sign_in_with_two_factors(request: HttpRequest, user: User) -> None:
    """Sign in (a new session key, so nothing from before carries over) and mark both factors."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    mark_two_factors_passed(request.session, user)


def sign_in_url(next_path: str) -> str:
    return f"{reverse('workspace:sign-in')}?{urlencode({'next': next_path})}"


def staff_required(
    view: StaffView[P, R],
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponse]:
    """Every workspace page: resolves the member of staff and passes them to the view; anyone
    else is sent to the staff sign-in, which brings them back here afterwards."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R | HttpResponse:
        staff = signed_in_staff(request)
        if staff is None:
            return HttpResponseRedirect(sign_in_url(request.get_full_path()))
        if not may_open(staff, request):
            return _refused(request, staff)
        return view(request, staff, *args, **kwargs)

    return wrapped


# Who does what. Pages call these rather than comparing roles themselves.
CASEWORK_ROLES = frozenset(Role.values) - {Role.COUNCILLOR}
# Councillors read the insight dashboard, which checks its own roles (ADR 15); every other staff
# page is case work or holds residents' details. Recording a caller's rating is an adviser's job.
COUNCILLOR_NAMESPACE = "insight"
NOT_FOR_COUNCILLORS = frozenset({"insight:rating-record"})
LEAD_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})
SUPPORT_NEED_ROLES = frozenset({Role.ADVISER, Role.OFFICER, Role.TEAM_LEAD, Role.MANAGER})
# Disclosing everything held about a person and erasing it are the data protection officer's
# alone: not administrators', who configure the service and do not see support needs either.
PERSONAL_DATA_REQUEST_ROLES = frozenset({Role.DATA_PROTECTION})


def may_open(staff: StaffMember, request: HttpRequest) -> bool:
    """Whether this member of staff's role may open the page the request is for."""
    if staff.role in CASEWORK_ROLES:
        return True
    match = request.resolver_match
    return (
        match is not None
        and match.namespace == COUNCILLOR_NAMESPACE
        and match.view_name not in NOT_FOR_COUNCILLORS
    )


def _refused(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    match = request.resolver_match
    if match is not None and match.view_name == "workspace:home":
        return HttpResponseRedirect(reverse("insight:dashboard"))
    return render_not_allowed(
        request, staff=staff, message="Your role does not include case work or residents' details."
    )


def is_lead(staff: StaffMember) -> bool:
    return staff.role in LEAD_ROLES


def sees_support_needs(staff: StaffMember) -> bool:
    """Support needs are for the people who deal with residents, not for administrators."""
    return staff.role in SUPPORT_NEED_ROLES


def require_lead(staff: StaffMember) -> None:
    if not is_lead(staff):
        raise NotPermitted("Only team leads and managers can use this page.")


def answers_personal_data_requests(staff: StaffMember) -> bool:
    """Whether they produce subject access disclosures, erase people and extend the time
    limit of a subject access request."""
    return staff.role in PERSONAL_DATA_REQUEST_ROLES


def require_data_protection_officer(staff: StaffMember) -> None:
    if not answers_personal_data_requests(staff):
        raise NotPermitted("Only data protection officers can use this page.")
