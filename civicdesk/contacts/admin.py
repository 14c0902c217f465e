from django.contrib import admin

from civicdesk.organisations.admin_scoping import CaseLinkedAdmin

from .models import Contact


@admin.register(Contact)
class ContactAdmin(CaseLinkedAdmin):
    list_display = ["started_at", "channel", "reason", "outcome", "is_repeat", "case"]
    list_filter = ["channel", "reason", "outcome", "is_repeat"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "case"]
