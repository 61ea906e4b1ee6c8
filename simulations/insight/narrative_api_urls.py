"""Narrative reports API routes under /api/v1/."""

from django.urls import path

from simulations.insight import narrative_api as api

urlpatterns = [
    path("runs/<int:run_id>/narratives/", api.RunNarrativeListView.as_view(), name="api_run_narratives"),
    path(
        "runs/<int:run_id>/narratives/<int:narrative_id>/",
        api.RunNarrativeDetailView.as_view(),
        name="api_run_narrative",
    ),
]
