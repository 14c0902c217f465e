from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "civicdesk.assistant"
    label = "assistant"
    verbose_name = "Ask, the assistant"
