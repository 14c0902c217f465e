from django.contrib import admin
from django.urls import include, path

from civicdesk.hooks.health import health
from civicdesk.portal.views import index

# A request we cannot read at all (such as an upload whose file name is too long) gets a page
# saying why in plain English, not Django's bare "Bad Request (400)".
handler400 = "civicdesk.portal.errors.bad_request"
# Addresses that lead nowhere, and faults of ours, get the council's own pages (or the
# installation's, outside any council's address), never Django's.
handler404 = "civicdesk.portal.errors.page_not_found"
handler500 = "civicdesk.portal.errors.server_error"

urlpatterns = [
    path("", index, name="home"),
    path("healthz", health, name="health"),
    path("", include("civicdesk.hooks.urls")),
    path("admin/", admin.site.urls),
    path("", include("civicdesk.api.urls")),
    path("staff/insight/", include("civicdesk.workspace.insight_urls")),
    path("staff/", include("civicdesk.workspace.urls")),
    path("", include("civicdesk.portal.ask_urls")),
    path("", include("civicdesk.portal.urls")),
]
