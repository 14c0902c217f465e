from django.contrib import admin

from civicdesk.organisations.admin_scoping import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "subject_type", "subject_id", "action", "actor_label"]
    list_filter = ["subject_type", "action"]
