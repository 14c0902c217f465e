from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "civicdesk.appointments"
    label = "appointments"
    verbose_name = "Appointments and reception"
