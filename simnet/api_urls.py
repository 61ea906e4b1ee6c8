"""REST API v1."""

from django.urls import include, path

from simnet.tenancy import api as tenancy_api

urlpatterns = [
    path("organization/", tenancy_api.OrganizationView.as_view(), name="api_organization"),
    path("", include("simnet.tenancy.api_urls")),
    path("webhooks/", include("simnet.webhooks.api_urls")),
    path("", include("personas.api.urls")),
    path("", include("scraping.api_urls")),
    path("", include("simnet.providers.api_urls")),
    path("", include("simulations.api_urls")),
]
