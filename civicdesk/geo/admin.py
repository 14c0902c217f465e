from django.contrib import admin

from civicdesk.organisations.admin_scoping import ReadOnlyAdmin

from .models import Street


@admin.register(Street)
class StreetAdmin(ReadOnlyAdmin):
    """The street list changes only through the importer (``manage.py import_streets``)."""

    list_display = ["name", "locality", "usrn", "adoption", "maintainer"]
    list_filter = ["adoption"]
    search_fields = ["name", "locality", "usrn"]
    exclude = ["min_latitude", "max_latitude", "min_longitude", "max_longitude"]
