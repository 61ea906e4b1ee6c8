"""REST API v1."""

from django.urls import include, path

from simnet.api.sse import run_events_stream
from simnet.tenancy import api as tenancy_api

urlpatterns = [
    path("organization/", tenancy_api.OrganizationView.as_view(), name="api_organization"),
    path("", include("simnet.tenancy.api_urls")),
    path("webhooks/", include("simnet.webhooks.api_urls")),
    path("", include("personas.api_urls")),
    path("", include("scraping.api_urls")),
    path("", include("simulations.api_urls")),
    path("", include("simulations.report_api_urls")),
    path("runs/<int:run_id>/events/stream/", run_events_stream, name="api_run_events_stream"),
]
