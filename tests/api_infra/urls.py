"""The project's URLs plus the infrastructure under test (the lead wires the real ones)."""

from django.urls import path

from simnet.urls import urlpatterns as project_urlpatterns
from simulations.runs.sse import run_events_stream
from tests.api_infra import views

urlpatterns = [
    path("api/v1/test/errors/<str:kind>/", views.ErrorView.as_view(), name="test_errors"),
    path("api/v1/test/limited/", views.LimitedView.as_view(), name="test_limited"),
    path("api/v1/test/work/", views.StartWorkView.as_view(), name="test_work"),
    path("api/v1/runs/<int:run_id>/events/stream/", run_events_stream, name="api_run_events_stream"),
    *project_urlpatterns,
]
