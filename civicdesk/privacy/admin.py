"""The retention schedule, which a council's administrators set in the admin site."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest

from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin, organisation_id_for

from .models import RetentionSchedule, ServiceAreaRetention


class ServiceAreaRetentionInline(admin.TabularInline):
    model = ServiceAreaRetention
    extra = 0

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        organisation_id = organisation_id_for(request)
        if field is not None and field.queryset is not None and organisation_id is not None:
            field.queryset = field.queryset.filter(organisation_id=organisation_id)
        return field


@admin.register(RetentionSchedule)
class RetentionScheduleAdmin(OrganisationScopedAdmin):
    list_display = [
        "organisation",
        "closed_cases_months",
        "contacts_months",
        "documents_months",
        "notifications_months",
        "chats_days",
        "page_feedback_months",
        "audit_months",
        "updated_at",
    ]
    inlines = [ServiceAreaRetentionInline]
    fieldsets = [
        (
            None,
            {
                "description": "How long each kind of record is kept. Until you save a "
                "schedule the defaults shown here apply; confirm them with your records "
                "manager. The worker applies the schedule once a day: records past their time "
                "are removed, or anonymised where the council counts them, unless a case is "
                "still open or a complaint is open or with the Ombudsman. Data protection "
                "officers see what will go next week on the staff pages.",
                "fields": [
                    "organisation",
                    "closed_cases_months",
                    "contacts_months",
                    "documents_months",
                    "notifications_months",
                    "chats_days",
                    "page_feedback_months",
                    "audit_months",
                ],
            },
        )
    ]
