"""The admin site asks council staff for both factors, like the workspace (ADR 9).

Anyone with a staff record signs in to the admin with their password and then the code from
their authenticator app, through the workspace's own code pages; a session without both is
not let in. The installation's operators (superusers with no staff record, made with
``createsuperuser``) keep the password sign-in, counted against the same limits.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponseRedirect

from civicdesk.web.http import client_address
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import sign_in_url, signed_in_staff

from .sign_in import (
    active_staff,
    locked_out_message,
    second_factor_start,
    sign_in_failed,
    sign_in_locked_out,
    sign_in_succeeded,
)


class CivicDeskAdminSite(admin.AdminSite):
    site_header = "CivicDesk administration"
    site_title = "CivicDesk"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return active_staff(request.user) is None or signed_in_staff(request) is not None

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        next_path = request.POST.get("next") or request.GET.get("next") or "/admin/"
        password_only = (
            request.user.is_authenticated
            and active_staff(request.user) is not None
            and signed_in_staff(request) is None
        )
        if password_only:
            return HttpResponseRedirect(sign_in_url(next_path))
        if request.method != "POST":
            return super().login(request, extra_context)
        name = request.POST.get("username", "").strip()[:150]
        address = client_address(request)
        if sign_in_locked_out(name.lower(), address):
            return render_staff_page(
                request,
                "workspace/sign_in.html",
                title="Staff sign in",
                staff=None,
                errors={"username": locked_out_message()},
                username=name,
                next_url=next_path,
                status=400,
            )
        user = authenticate(request, username=name, password=request.POST.get("password", ""))
        if user is None:
            sign_in_failed(name.lower(), address)
            return super().login(request, extra_context)
        staff = active_staff(user)
        if staff is not None:
            return second_factor_start(request, staff, next_path)
        if user.is_active and user.is_staff:
            # An operator's password is the whole sign-in: their name stops counting here.
            sign_in_succeeded(name.lower(), address)
        return super().login(request, extra_context)
