from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "civicdesk.feedback"
    label = "feedback"
    verbose_name = "Feedback"
