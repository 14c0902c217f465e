from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "civicdesk.workspace"
    label = "workspace"
    verbose_name = "Staff workspace"
