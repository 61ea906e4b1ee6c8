"""Top-level URLs. Every customer page and endpoint derives the organization from the
credential; tests/simnet/test_isolation.py walks this tree and proves cross-organization 404s."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from simnet import dashboard, health
from simnet.api import docs as api_docs

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("start/demo-panels/", dashboard.demo_panels, name="demo_panels_add"),
    path("start/peloton-example/", dashboard.peloton_example, name="peloton_example"),
    path("health/", health.health, name="health"),
    path("", include("simnet.accounts.urls")),
    path("settings/webhooks/", include("simnet.webhooks.urls")),
    path("panels/", include("personas.web.urls")),
    path("imports/", include("scraping.urls")),
    path("settings/providers/", include("simnet.providers.urls")),
    path("", include("simulations.urls")),
    path("api/v1/", include("simnet.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", api_docs.swagger_ui, name="api_docs"),
    path("api/redoc/", api_docs.redoc, name="api_redoc"),
]

handler403 = "simnet.views.forbidden"
handler404 = "simnet.views.not_found"
