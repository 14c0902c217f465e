from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicdesk.core"
    label = "core"
    verbose_name = "Core"
