"""The link in a new member of staff's invitation: they choose their password, then sign in
(and set up their authenticator app at that first sign-in)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.invitations import (
    INVITATION_DAYS,
    staff_invitation_accept,
    staff_invitation_open,
)
from civicdesk.web.pages import render_staff_page


@never_cache
def set_password(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link only shows the form, so an email scanner that follows links does not
    use it up; choosing the password does."""
    errors: dict[str, str] = {}
    try:
        if request.method == "POST":
            with transaction.atomic():
                staff = staff_invitation_accept(
                    token=token,
                    password=request.POST.get("password", ""),
                    confirm=request.POST.get("confirm", ""),
                )
            messages.success(
                request,
                f"Your password is set. Sign in as {staff.user.get_username()} with it.",
            )
            return redirect("workspace:sign-in")
        staff = staff_invitation_open(token=token)
    except ValidationFailed as problem:
        if "token" in problem.fields:
            return render_staff_page(
                request,
                "workspace/set_password.html",
                title="This link has expired or has already been used",
                staff=None,
                expired=True,
                days=INVITATION_DAYS,
                status=400,
            )
        errors = problem.fields
        staff = staff_invitation_open(token=token)
    return render_staff_page(
        request,
        "workspace/set_password.html",
        title="Choose your password",
        staff=None,
        errors=errors,
        expired=False,
        username=staff.user.get_username(),
        council=staff.organisation.name,
        status=400 if errors else 200,
    )
