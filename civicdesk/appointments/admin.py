from django.contrib import admin

from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin

from .models import Venue


@admin.register(Venue)
class VenueAdmin(OrganisationScopedAdmin):
    list_display = ["name", "kind", "address", "active"]
    list_filter = ["kind", "active"]
