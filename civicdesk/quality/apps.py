from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "civicdesk.quality"
    label = "quality"
    verbose_name = "Quality checks"
