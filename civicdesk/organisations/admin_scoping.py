"""Django admin, scoped: a council's administrators see and edit only their own organisation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import ForeignKey, ManyToManyField, Model, Q, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from civicdesk.core.errors import NotPermitted

from .models import Organisation, StaffMember
from .selectors import staff_for_user

_ChoiceField = TypeVar("_ChoiceField", bound=ModelChoiceField)


def organisation_id_for(request: HttpRequest) -> int | None:
    """None for a superuser (every organisation); otherwise the staff member's organisation."""
    if request.user.is_superuser:
        return None
    try:
        return staff_for_user(request.user).organisation_id
    except NotPermitted:
        return -1


def _scope_choices(
    queryset: QuerySet[Any], related: type[Model], organisation_id: int
) -> QuerySet[Any]:
    if related is Organisation:
        return queryset.filter(pk=organisation_id)
    if any(f.name == "organisation" for f in related._meta.fields):
        return queryset.filter(organisation_id=organisation_id)
    return queryset


def _field_scoped(
    field: _ChoiceField | None, *, related: type[Model], request: HttpRequest
) -> _ChoiceField | None:
    """The drop-down's choices limited to the signed-in user's organisation."""
    organisation_id = organisation_id_for(request)
    if field is not None and field.queryset is not None and organisation_id is not None:
        field.queryset = _scope_choices(field.queryset, related, organisation_id)
    return field


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
        return _field_scoped(field, related=db_field.related_model, request=request)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _field_scoped(field, related=db_field.related_model, request=request)


class ReadOnlyAdmin(OrganisationScopedAdmin):
    """Records that change only through the domain services, so that every change is audited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


VisibleCases = Callable[[StaffMember], QuerySet[Any]]

# Filled in by the cases app's admin: dependencies point one way, so nothing here imports cases.
_case_visibility: list[VisibleCases] = []


def case_visibility_register(cases_visible_to: VisibleCases) -> None:
    _case_visibility[:] = [cases_visible_to]


class CaseLinkedAdmin(ReadOnlyAdmin):
    """Read-only rows that may belong to a case: rows of a case the user may not see are left out
    (sensitive services are visible only to the handling team)."""

    def case_visible(self, case_ids: QuerySet[Any]) -> Q:
        """Rows that belong to no case, or to one of ``case_ids``."""
        return Q(case__isnull=True) | Q(case_id__in=case_ids)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if not _case_visibility:
            raise ImproperlyConfigured("The cases app has not registered case visibility.")
        try:
            staff = staff_for_user(request.user)
        except NotPermitted:
            return queryset.none()
        return queryset.filter(self.case_visible(_case_visibility[0](staff).values("pk")))


class InstallationAdministratorsOnly(admin.ModelAdmin):
    """Records that belong to the whole installation, not to one council: only its
    administrators (superusers) see or change them, and delete them only where
    ``deletable``."""

    deletable = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and bool(request.user.is_superuser)
