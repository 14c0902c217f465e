from django.contrib import admin
from django.urls import path

from civicdesk.core.views import health, home
from civicdesk.notifications.views import notify_receipt

admin.site.site_header = "CivicDesk administration"
admin.site.site_title = "CivicDesk"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", health, name="health"),
    path("notifications/notify/receipts", notify_receipt, name="notify-receipt"),
    path("admin/", admin.site.urls),
]
