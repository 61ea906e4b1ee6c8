"""The project's URLs plus the insight pages and API, included where the lead will include them."""

from django.urls import include, path

from simnet.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("", include("simulations.report_urls")),
    path("api/v1/", include("simulations.report_api_urls")),
    *project_urlpatterns,
]
