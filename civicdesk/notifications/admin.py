from django.contrib import admin

from civicdesk.organisations.admin_scoping import CaseLinkedAdmin

from .models import OutboxMessage
from .templates import SECRET_TEMPLATES

SHOWN_FIELDS = (
    "organisation",
    "customer",
    "case",
    "template",
    "channel",
    "recipient",
    "address",
    "subject",
    "message",
    "status",
    "attempts",
    "max_attempts",
    "gateway",
    "provider_id",
    "last_error",
    "created_at",
    "sent_at",
    "delivered_at",
    "failed_at",
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(CaseLinkedAdmin):
    """Staff read here what was sent, or would have been sent, to customers."""

    list_display = ["created_at", "channel", "template", "recipient", "status", "attempts"]
    list_filter = ["status", "channel", "template", "gateway"]
    search_fields = ["case__reference"]
    raw_id_fields = ["customer", "case"]

    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS

    @admin.display(description="Message")
    def message(self, obj: OutboxMessage) -> str:
        # A sign-in link would let whoever reads it into the resident's account.
        if obj.template in SECRET_TEMPLATES:
            return "Hidden: this message holds a sign-in link for the resident only."
        return obj.body
