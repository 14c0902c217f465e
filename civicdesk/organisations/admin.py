from django.contrib import admin

from .admin_scoping import OrganisationScopedAdmin
from .models import Organisation, StaffMember, Team


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_display = ["name", "kind", "code", "nation"]
    exclude = ["boundary"]


@admin.register(Team)
class TeamAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation", "handles_out_of_hours"]
    list_filter = ["organisation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(StaffMember)
class StaffMemberAdmin(OrganisationScopedAdmin):
    list_display = ["__str__", "organisation", "role", "active"]
    list_filter = ["role", "active"]
    filter_horizontal = ["teams"]
