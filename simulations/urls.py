"""Simulation pages, one room each: building (scenarios), running (runs), reading (insight)."""

from django.urls import include, path

urlpatterns = [
    path("", include("simulations.scenarios.urls")),
    path("", include("simulations.runs.urls")),
    path("", include("simulations.insight.urls")),
    path("", include("simulations.insight.panel_questions_urls")),
    path("", include("simulations.insight.narrative_urls")),
    path("", include("simulations.insight.stance_urls")),
    path("", include("simulations.briefs.urls")),
]
