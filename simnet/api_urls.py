"""REST API v1."""

from django.urls import include, path

from simnet.accounts import api as accounts_api

urlpatterns = [
    path("organization/", accounts_api.OrganizationView.as_view(), name="api_organization"),
    path("", include("simnet.accounts.api_urls")),
    path("webhooks/", include("simnet.webhooks.api_urls")),
    path("", include("personas.api.urls")),
    path("", include("scraping.api_urls")),
    path("", include("simnet.providers.api_urls")),
    path("", include("simulations.api_urls")),
]
