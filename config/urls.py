from django.contrib import admin
from django.urls import include, path

from civicdesk.core.views import health
from civicdesk.notifications.views import notify_receipt
from civicdesk.portal.views import index

urlpatterns = [
    path("", index, name="home"),
    path("healthz", health, name="health"),
    path("notifications/notify/receipts", notify_receipt, name="notify-receipt"),
    path("admin/", admin.site.urls),
    path("", include("civicdesk.api.urls")),
    path("staff/insight/", include("civicdesk.insight.urls")),
    path("staff/", include("civicdesk.workspace.urls")),
    path("", include("civicdesk.assistant.urls")),
    path("", include("civicdesk.portal.urls")),
]
