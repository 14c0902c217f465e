from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "civicdesk.contacts"
    label = "contacts"
    verbose_name = "Contacts"
