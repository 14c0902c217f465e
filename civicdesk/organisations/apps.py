from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "civicdesk.organisations"
    label = "organisations"
    verbose_name = "Organisations and staff"
