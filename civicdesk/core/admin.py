from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet

from civicdesk.organisations.admin_scoping import CaseLinkedAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(CaseLinkedAdmin):
    list_display = ["at", "subject_type", "subject_id", "action", "actor_label"]
    list_filter = ["subject_type", "action"]

    def case_visible(self, case_ids: QuerySet[Any]) -> Q:
        return ~Q(subject_type="case") | Q(subject_id__in=case_ids)
