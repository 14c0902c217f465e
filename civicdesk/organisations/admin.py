from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest

from .admin_scoping import OrganisationScopedAdmin, organisation_id_for
from .models import Organisation, StaffMember, Team


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_display = ["name", "kind", "code", "nation"]
    exclude = ["boundary"]


@admin.register(Team)
class TeamAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation", "handles_out_of_hours"]
    list_filter = [("organisation", admin.RelatedOnlyFieldListFilter)]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(StaffMember)
class StaffMemberAdmin(OrganisationScopedAdmin):
    list_display = ["__str__", "organisation", "role", "active"]
    list_filter = ["role", "active"]
    filter_horizontal = ["teams"]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name != "user" or field is None or field.queryset is None:
            return field
        organisation_id = organisation_id_for(request)
        if organisation_id is not None:
            # Only people already on this organisation's staff: never another council's users,
            # nor accounts with no staff record (residents).
            field.queryset = field.queryset.filter(staff__organisation_id=organisation_id)
        return field
