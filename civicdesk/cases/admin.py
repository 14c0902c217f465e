from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from civicdesk.core.errors import NotPermitted
from civicdesk.organisations.admin_scoping import ReadOnlyAdmin, case_visibility_register
from civicdesk.organisations.selectors import staff_for_user

from .models import Case
from .selectors import cases_visible_to

case_visibility_register(cases_visible_to)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "request_type", "status", "clock_state", "due_at", "team"]
    list_filter = ["status", "clock_state", "priority", "channel"]
    search_fields = ["reference"]
    raw_id_fields = ["customer", "duplicate_of"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if request.user.is_superuser:
            return super().get_queryset(request)
        try:
            return cases_visible_to(staff_for_user(request.user))
        except NotPermitted:
            return Case.objects.none()
