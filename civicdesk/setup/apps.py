from django.apps import AppConfig


class SetupConfig(AppConfig):
    name = "civicdesk.setup"
    label = "setup"
    verbose_name = "Setting up a council"
