"""Registering API clients (the key is shown once), Open311 set-up and webhooks, scoped to the
administrator's organisation. Failed webhook deliveries are listed for staff to act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from civicdesk.core.audit import Actor
from civicdesk.organisations.admin_scoping import (
    CaseLinkedAdmin,
    OrganisationScopedAdmin,
    ReadOnlyAdmin,
)

from .choices import Scope, WebhookEvent
from .models import (
    ApiClient,
    ExternalUpdate,
    Open311Jurisdiction,
    WebhookDelivery,
    WebhookSubscription,
)
from .services import api_client_create, api_client_revoke
from .webhooks import webhook_subscribe


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["organisation", "name", "scopes", "requests_per_minute"]


@admin.register(ApiClient)
class ApiClientAdmin(OrganisationScopedAdmin):
    form = ApiClientForm
    list_display = ["name", "organisation", "key_prefix", "scopes", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, key = api_client_create(
            organisation=obj.organisation,
            name=obj.name,
            scopes=list(form.cleaned_data["scopes"]),
            created_by=request.user,  # type: ignore[arg-type]
        )
        ApiClient.objects.filter(pk=client.pk).update(requests_per_minute=obj.requests_per_minute)
        obj.pk = client.pk
        messages.warning(
            request,
            f"The key for {client.name} is {key} . Copy it now: it will not be shown again.",
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            api_client_revoke(client=client, actor=Actor.for_user(request.user))  # type: ignore[arg-type]


@admin.register(Open311Jurisdiction)
class Open311JurisdictionAdmin(OrganisationScopedAdmin):
    list_display = ["jurisdiction_id", "organisation", "batch_intake"]


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["organisation", "name", "url", "events", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(OrganisationScopedAdmin):
    form = WebhookForm
    list_display = ["name", "organisation", "url", "events", "active"]

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        made = webhook_subscribe(
            organisation=obj.organisation,
            name=obj.name,
            url=obj.url,
            events=list(form.cleaned_data["events"]),
        )
        obj.pk = made.pk
        messages.warning(
            request,
            f"Deliveries are signed with the secret {made.secret} . "
            "Give it to the receiving system now: it will not be shown again.",
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    organisation_path = "subscription__organisation"
    list_display = ["created_at", "subscription", "event", "case", "status", "attempts"]
    list_filter = ["status", "event"]
    search_fields = ["case__reference"]
    fields = (
        "subscription",
        "event",
        "case",
        "status",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "response_status",
        "last_error",
        "created_at",
        "delivered_at",
        "failed_at",
    )
    readonly_fields = fields


@admin.register(ExternalUpdate)
class ExternalUpdateAdmin(CaseLinkedAdmin):
    """What back-office systems reported, against which case, and the status it set."""

    list_display = ["recorded_at", "source", "case", "reported_status", "status"]
    list_filter = ["source", "status"]
    search_fields = ["case__reference", "external_id"]
    fields = (
        "source",
        "external_id",
        "case",
        "reported_status",
        "status",
        "description",
        "reported_at",
        "recorded_at",
    )
    readonly_fields = fields
