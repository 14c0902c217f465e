from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "civicdesk.catalogue"
    label = "catalogue"
    verbose_name = "Service catalogue"

    def ready(self) -> None:
        from . import signals

        signals.connect()
