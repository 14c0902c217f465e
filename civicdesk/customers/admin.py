from django.contrib import admin

from civicdesk.organisations.admin_scoping import ReadOnlyAdmin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "postcode", "preferred_channel", "merged_into"]
    exclude = ["date_of_birth"]
