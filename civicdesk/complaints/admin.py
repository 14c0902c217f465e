from django.contrib import admin

from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin

from .models import ComplaintReason, ComplaintTimescale


@admin.register(ComplaintReason)
class ComplaintReasonAdmin(OrganisationScopedAdmin):
    list_display = ["name", "customer_experience", "active", "position"]
    list_filter = ["customer_experience", "active"]


@admin.register(ComplaintTimescale)
class ComplaintTimescaleAdmin(OrganisationScopedAdmin):
    list_display = ["stage", "working_days"]
