"""The project's URLs plus the webhook pages and API, included where the lead will include them."""

from django.urls import include, path

from simnet.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("settings/webhooks/", include("simnet.webhooks.urls")),
    path("api/v1/webhooks/", include("simnet.webhooks.api_urls")),
    *project_urlpatterns,
]
