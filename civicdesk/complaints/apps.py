from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "civicdesk.complaints"
    label = "complaints"
    verbose_name = "Complaints"
