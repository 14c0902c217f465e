from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "civicdesk.referrals"
    label = "referrals"
    verbose_name = "Referrals"
