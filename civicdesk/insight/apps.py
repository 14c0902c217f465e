from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "civicdesk.insight"
    label = "insight"
    verbose_name = "Insight"
