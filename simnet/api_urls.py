"""REST API v1."""

from django.urls import path

from simnet.tenancy import api as tenancy_api

urlpatterns = [
    path("organization/", tenancy_api.OrganizationView.as_view(), name="api_organization"),
]
