from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "civicdesk.integrations"
    label = "integrations"
    verbose_name = "API clients and webhooks"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the webhook receiver
