from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "civicdesk.customers"
    label = "customers"
    verbose_name = "Customers"
