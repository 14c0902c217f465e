from django.urls import URLPattern, URLResolver, path, re_path
from django.views.generic import RedirectView

from . import open311
from .rest import api

FORMAT = r"\.(?P<fmt>xml|json)"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path(
        "open311/v2/",
        RedirectView.as_view(url="discovery.xml", permanent=False),
        name="open311-root",
    ),
    re_path(rf"^open311/v2/discovery{FORMAT}$", open311.discovery, name="open311-discovery"),
    re_path(rf"^open311/v2/services{FORMAT}$", open311.services, name="open311-services"),
    re_path(
        rf"^open311/v2/services/(?P<service_code>[\w-]+){FORMAT}$",
        open311.service_definition,
        name="open311-service",
    ),
    re_path(rf"^open311/v2/requests{FORMAT}$", open311.requests, name="open311-requests"),
    re_path(
        rf"^open311/v2/requests/(?P<service_request_id>[\w-]+){FORMAT}$",
        open311.request_detail,
        name="open311-request",
    ),
    re_path(
        rf"^open311/v2/tokens/(?P<token>[\w-]+){FORMAT}$",
        open311.token_detail,
        name="open311-token",
    ),
    re_path(
        rf"^open311/v2/servicerequestupdates{FORMAT}$", open311.updates, name="open311-updates"
    ),
]
