"""Stance API routes under /api/v1/."""

from django.urls import path

from simulations.insight import stance_api as api

urlpatterns = [
    path("runs/<int:run_id>/stance/", api.RunStanceReportView.as_view(), name="api_run_stance"),
    path(
        "runs/<int:run_id>/stance/readings/",
        api.RunStanceReadingsView.as_view(),
        name="api_run_stance_readings",
    ),
    path("runs/<int:run_id>/stance/poll/", api.RunStancePollView.as_view(), name="api_run_stance_poll"),
]
