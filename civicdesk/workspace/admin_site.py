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
from django.urls import URLPattern, URLResolver, path, reverse

from civicdesk.organisations.selectors import councils_administered
from civicdesk.web.http import client_address
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import sign_in_url, signed_in_staff

from .catalogue_upload import catalogue_upload_index, catalogue_upload_page
from .channels_checklist import channels_checklist_index, channels_checklist_page
from .council_create_page import council_create_page
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

    def get_urls(self) -> list[URLPattern | URLResolver]:
        # Not under channels/ or catalogue/, which are those apps' own admin pages.
        going_live = [
            path(
                "channels-checklist/",
                self.admin_view(channels_checklist_index),
                name="channels-checklist-index",
            ),
            path(
                "channels-checklist/<slug:council>/",
                self.admin_view(channels_checklist_page),
                name="channels-checklist",
            ),
            path(
                "council-create/",
                self.admin_view(council_create_page),
                name="council-create",
            ),
            path(
                "catalogue-upload/",
                self.admin_view(catalogue_upload_index),
                name="catalogue-upload-index",
            ),
            path(
                "catalogue-upload/<slug:council>/",
                self.admin_view(catalogue_upload_page),
                name="catalogue-upload",
            ),
        ]
        return going_live + super().get_urls()

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The admin's index, with the channels checklist and the catalogue upload first for
        those who may see them."""
        apps = super().get_app_list(request, app_label)
        if app_label is None and request.user.is_superuser:
            apps.insert(
                0,
                {
                    "name": "Councils on this installation",
                    "app_label": "councils",
                    "app_url": reverse("admin:council-create", current_app=self.name),
                    "has_module_perms": True,
                    "models": [
                        {
                            "name": "Add or update a council",
                            "object_name": "CouncilCreate",
                            "admin_url": reverse("admin:council-create", current_app=self.name),
                            "add_url": None,
                            "view_only": True,
                            "perms": {"view": True},
                        }
                    ],
                },
            )
        if app_label is None and councils_administered(request.user).exists():
            url = reverse("admin:channels-checklist-index", current_app=self.name)
            checklist = {
                "name": "Channels checklist",
                "object_name": "ChannelsChecklist",
                "admin_url": url,
                "add_url": None,
                "view_only": True,
                "perms": {"view": True},
            }
            upload = {
                "name": "Service catalogue upload",
                "object_name": "CatalogueUpload",
                "admin_url": reverse("admin:catalogue-upload-index", current_app=self.name),
                "add_url": None,
                "view_only": True,
                "perms": {"view": True},
            }
            apps.insert(
                0,
                {
                    "name": "Going live",
                    "app_label": "going_live",
                    "app_url": url,
                    "has_module_perms": True,
                    "models": [checklist, upload],
                },
            )
        return apps

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
