"""Trust & safety API routes under /api/v1/."""

from django.urls import path

from simulations.insight import safety_api

urlpatterns = [
    path("runs/<int:run_id>/safety/", safety_api.RunSafetyView.as_view(), name="api_run_safety"),
    path(
        "experiments/<int:experiment_id>/safety/",
        safety_api.ExperimentSafetyView.as_view(),
        name="api_experiment_safety",
    ),
]
