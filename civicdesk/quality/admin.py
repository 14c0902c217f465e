from django.contrib import admin

from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin

from .models import QualityCriterion


@admin.register(QualityCriterion)
class QualityCriterionAdmin(OrganisationScopedAdmin):
    list_display = ["name", "guidance", "active", "position"]
    list_filter = ["active"]
