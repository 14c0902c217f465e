"""Django admin, scoped: a council's administrators see and edit only their own organisation."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from civicdesk.core.errors import NotPermitted

from .models import Organisation
from .selectors import staff_for_user


def organisation_id_for(request: HttpRequest) -> int | None:
    """None for a superuser (every organisation); otherwise the staff member's organisation."""
    if request.user.is_superuser:
        return None
    try:
        return staff_for_user(request.user).organisation_id
    except NotPermitted:
        return -1


class OrganisationScopedAdmin(admin.ModelAdmin):
    """Rows, and the choices in drop-downs, limited to the signed-in user's organisation."""

    organisation_path = "organisation"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        organisation_id = organisation_id_for(request)
        if organisation_id is None:
            return queryset
        return queryset.filter(**{self.organisation_path: organisation_id})

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        organisation_id = organisation_id_for(request)
        if field is not None and field.queryset is not None and organisation_id is not None:
            related: type[Model] = db_field.related_model
            if related is Organisation:
                field.queryset = field.queryset.filter(pk=organisation_id)
            elif any(f.name == "organisation" for f in related._meta.fields):
                field.queryset = field.queryset.filter(organisation_id=organisation_id)
        return field


class ReadOnlyAdmin(OrganisationScopedAdmin):
    """Records that change only through the domain services, so that every change is audited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
