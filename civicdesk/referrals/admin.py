"""Organisations on other systems that take referrals: set up by the installation's
administrators, because every organisation on the installation may refer to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from civicdesk.notifications.links import public_page_link
from civicdesk.organisations.admin_scoping import InstallationAdministratorsOnly

from .choices import EndpointKind
from .models import ExternalOrganisation, ReferralDispatch

SECRET_FIELDS = ("api_key", "signing_secret")


class ExternalOrganisationForm(forms.ModelForm):
    """The key and secret are never shown again; left blank, they stay as they were."""

    endpoint_url = forms.URLField(assume_scheme="https", max_length=500)
    api_key = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), max_length=200
    )
    signing_secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), max_length=200
    )

    class Meta:
        model = ExternalOrganisation
        fields = [
            "name",
            "endpoint_kind",
            "endpoint_url",
            "service_code",
            "jurisdiction_id",
            "api_key",
            "signing_secret",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in SECRET_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        if cleaned.get("endpoint_kind") == "open311" and not cleaned.get("service_code"):
            self.add_error("service_code", "Enter the Open311 service code to send referrals as")
        if cleaned.get("endpoint_kind") == "webhook" and not cleaned.get("signing_secret"):
            self.add_error("signing_secret", "Enter the secret the receiver checks signatures with")
        return cleaned


@admin.register(ExternalOrganisation)
class ExternalOrganisationAdmin(InstallationAdministratorsOnly):
    form = ExternalOrganisationForm
    list_display = ["name", "endpoint_kind", "endpoint_url", "active"]
    list_filter = ["endpoint_kind", "active"]
    readonly_fields = ["status_address"]

    @admin.display(description="Their status updates go to")
    def status_address(self, obj: ExternalOrganisation) -> str:
        """For a webhook receiver: the address its system posts status updates to (ADR 49)."""
        if obj.pk is None or obj.endpoint_kind != EndpointKind.WEBHOOK:
            return "Only for a webhook receiver, once saved"
        if not obj.signing_secret:
            return "None until it has a signing secret to check their updates with"
        if not obj.active:
            return "None while it is not active"
        return public_page_link("referral-status", obj.public_id)


@admin.register(ReferralDispatch)
class ReferralDispatchAdmin(InstallationAdministratorsOnly):
    """Referrals on their way out; the failed ones are for an administrator to follow up."""

    list_display = ["referral", "status", "attempts", "last_error", "delivered_at"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in ReferralDispatch._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
