from django.contrib import admin

from civicdesk.organisations.admin_scoping import CaseLinkedAdmin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(CaseLinkedAdmin):
    """Staff read here what was sent, or would have been sent, to customers."""

    list_display = ["created_at", "channel", "template", "recipient", "status", "attempts"]
    list_filter = ["status", "channel", "template", "gateway"]
    search_fields = ["case__reference"]
    raw_id_fields = ["customer", "case"]
