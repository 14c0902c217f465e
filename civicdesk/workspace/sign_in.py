"""Staff sign-in: a password, then a code from an authenticator app; repeated failures lock out.

The first sign-in enrols the authenticator (a QR code and the secret in text). Failures of
either step count against the sign-in name; the network address counts the different names
that failed from it, so one person guessing many accounts is stopped but an office behind one
address is not locked out by its own typos (``core.ratelimit``, ADR 25).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicdesk.core.errors import ValidationFailed
from civicdesk.core.ratelimit import (
    attempts_add,
    attempts_exceeded,
    attempts_forgotten,
    distinct_add,
    distinct_forgotten,
)
from civicdesk.organisations.selectors import active_staff_member
from civicdesk.organisations.two_factor import (
    staff_has_second_factor,
    staff_totp_begin,
    staff_totp_check,
    totp_qr_svg,
)
from civicdesk.web.http import client_address
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import PENDING_KEY, sign_in_with_two_factors, signed_in_staff

if TYPE_CHECKING:
    from civicdesk.organisations.models import StaffMember

# Wrong tries one sign-in name may make before it is locked for SIGN_IN_WINDOW.
SIGN_IN_LIMIT = 5
# Different sign-in names that may fail from one network address before it is locked. Each
# name is counted once however often it fails, and not at all once it has signed in: a council
# office behind one address makes typos in its own few names; someone guessing tries many.
ADDRESS_NAMES_LIMIT = 30
SIGN_IN_WINDOW = 15 * 60
LOCKED_OUT = "Too many tries. Wait 15 minutes, then try again"
# Who to ask for help when locked out, unless STAFF_SIGN_IN_HELP says otherwise.
SIGN_IN_HELP = (
    "If you still cannot sign in, call your council's IT service desk or ask your CivicDesk "
    "administrator."
)
NEXT_KEY = "civicdesk_staff_next"


@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if signed_in_staff(request) is not None:
        return redirect(_next_url(request, request.GET.get("next", "")))
    errors: dict[str, str] = {}
    username = request.POST.get("username", "").strip()[:150]
    if request.method == "POST":
        name, address = username.lower(), client_address(request)
        if sign_in_locked_out(name, address):
            errors["username"] = locked_out_message()
        else:
            user = authenticate(
                request, username=username, password=request.POST.get("password", "")
            )
            staff = active_staff(user)
            if staff is not None:
                return second_factor_start(
                    request, staff, request.POST.get("next") or request.GET.get("next", "")
                )
            sign_in_failed(name, address)
            errors["username"] = "Enter the sign-in name and password of a member of staff"
    return render_staff_page(
        request,
        "workspace/sign_in.html",
        title="Staff sign in",
        staff=None,
        errors=errors,
        username=username,
        next_url=request.POST.get("next") or request.GET.get("next", ""),
        status=400 if errors else 200,
    )


@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    staff = _pending_staff(request)
    if staff is None:
        return redirect("workspace:sign-in")
    if not staff_has_second_factor(staff):
        return redirect("workspace:sign-in-set-up")
    errors = _check_code(request, staff) if request.method == "POST" else {}
    if request.method == "POST" and not errors:
        return _signed_in(request, staff)
    return render_staff_page(
        request,
        "workspace/sign_in_code.html",
        title="Enter the code from your authenticator app",
        staff=None,
        errors=errors,
        status=400 if errors else 200,
    )


@never_cache
def sign_in_set_up(request: HttpRequest) -> HttpResponse:
    staff = _pending_staff(request)
    if staff is None:
        return redirect("workspace:sign-in")
    if staff_has_second_factor(staff):
        return redirect("workspace:sign-in-code")
    secret = staff_totp_begin(staff=staff)
    errors = _check_code(request, staff) if request.method == "POST" else {}
    if request.method == "POST" and not errors:
        return _signed_in(request, staff)
    return render_staff_page(
        request,
        "workspace/sign_in_set_up.html",
        title="Set up your authenticator app",
        staff=None,
        errors=errors,
        qr_svg=totp_qr_svg(staff),
        secret=" ".join(secret[index : index + 4] for index in range(0, len(secret), 4)),
        status=400 if errors else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("workspace:sign-in")


def _check_code(request: HttpRequest, staff: StaffMember) -> dict[str, str]:
    name, address = staff.user.get_username().lower(), client_address(request)
    if sign_in_locked_out(name, address):
        request.session.pop(PENDING_KEY, None)
        return {"code": locked_out_message()}
    try:
        staff_totp_check(staff=staff, code=request.POST.get("code", ""))
    except ValidationFailed as problem:
        sign_in_failed(name, address)
        return problem.fields
    sign_in_succeeded(name, address)
    return {}


def second_factor_start(request: HttpRequest, staff: StaffMember, next_path: str) -> HttpResponse:
    """The password was right: on to the code (or to enrolling an authenticator first). Until
    the code is accepted the session holds only who is part-way through."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = staff.user_id
    request.session[NEXT_KEY] = _next_url(request, next_path)
    if staff_has_second_factor(staff):
        return redirect("workspace:sign-in-code")
    return redirect("workspace:sign-in-set-up")


def _signed_in(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    next_url = request.session.get(NEXT_KEY) or reverse("workspace:home")
    sign_in_with_two_factors(request, staff.user)
    return redirect(next_url)


def _pending_staff(request: HttpRequest) -> StaffMember | None:
    user_id = request.session.get(PENDING_KEY)
    if not isinstance(user_id, int):
        return None
    return active_staff(User.objects.filter(pk=user_id, is_active=True).first())


def active_staff(user: object) -> StaffMember | None:
    if not isinstance(user, User):
        return None
    return active_staff_member(user_id=user.pk)


def locked_out_message() -> str:
    """What a locked-out member of staff is told: when to try again and who to call. The
    help is the installation's (STAFF_SIGN_IN_HELP), not a council's: a sign-in name typed by
    anyone must not tell them which council it belongs to."""
    return f"{LOCKED_OUT}. {settings.STAFF_SIGN_IN_HELP or SIGN_IN_HELP}"


def sign_in_locked_out(name: str, address: str) -> bool:
    return attempts_exceeded(
        kind="staff-name", value=name, limit=SIGN_IN_LIMIT
    ) or attempts_exceeded(kind="staff-address-names", value=address, limit=ADDRESS_NAMES_LIMIT)


def sign_in_failed(name: str, address: str) -> None:
    attempts_add(kind="staff-name", value=name, window_seconds=SIGN_IN_WINDOW)
    distinct_add(
        kind="staff-address-names", value=address, item=name, window_seconds=SIGN_IN_WINDOW
    )


def sign_in_succeeded(name: str, address: str) -> None:
    """The name's wrong tries are forgotten, and it no longer counts against the address."""
    attempts_forgotten(kind="staff-name", value=name)
    distinct_forgotten(
        kind="staff-address-names", value=address, item=name, window_seconds=SIGN_IN_WINDOW
    )


def _next_url(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("workspace:home")
