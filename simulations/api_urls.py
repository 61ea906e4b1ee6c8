"""Simulations API routes, one room each; included by simnet/api_urls.py under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("simulations.scenarios.api_urls")),
    path("", include("simulations.runs.api_urls")),
    path("", include("simulations.insight.api_urls")),
    path("", include("simulations.insight.panel_questions_api_urls")),
    path("", include("simulations.briefs.api_urls")),
    path("", include("simulations.insight.narrative_api_urls")),
    path("", include("simulations.insight.stance_api_urls")),
    path("", include("simulations.insight.safety_api_urls")),
]
