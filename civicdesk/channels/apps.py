from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "civicdesk.channels"
    label = "channels"
    verbose_name = "Inbound channels"
