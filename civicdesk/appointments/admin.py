from django.contrib import admin

from civicdesk.organisations.admin_scoping import OrganisationScopedAdmin

from .models import OpeningTime, Session, Venue


class OpeningTimeInline(admin.TabularInline):
    model = OpeningTime
    extra = 0


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["kind", "weekday", "starts", "ends", "summary", "active"]


@admin.register(Venue)
class VenueAdmin(OrganisationScopedAdmin):
    """Offices, hubs and libraries, with the hours and sessions residents are told about on
    every service's page."""

    list_display = ["name", "kind", "address", "active"]
    list_filter = ["kind", "active"]
    inlines = [OpeningTimeInline, SessionInline]
