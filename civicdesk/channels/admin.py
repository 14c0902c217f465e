"""The council's inbound addresses, and the messages that came in (read-only), scoped."""

from __future__ import annotations

from django.contrib import admin

from civicdesk.organisations.admin_scoping import CaseLinkedAdmin, OrganisationScopedAdmin

from .models import InboundAddress, InboundMessage


@admin.register(InboundAddress)
class InboundAddressAdmin(OrganisationScopedAdmin):
    list_display = ["address", "channel", "organisation", "reply_within_days"]


@admin.register(InboundMessage)
class InboundMessageAdmin(CaseLinkedAdmin):
    list_display = ["received_at", "channel", "outcome", "case", "note"]
    list_filter = ["outcome", "channel"]
    search_fields = ["case__reference"]
    fields = (
        "organisation",
        "channel",
        "sender",
        "subject",
        "body",
        "received_at",
        "outcome",
        "case",
        "customer",
        "note",
    )
    readonly_fields = fields
