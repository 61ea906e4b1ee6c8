"""Pages of a run's narrative report (a section of the run's report page)."""

from django.urls import path

from simulations.insight import narrative_views as views

urlpatterns = [
    path("simulations/<int:run_id>/narrative/", views.run_narrative, name="run_narrative"),
    path("simulations/<int:run_id>/narrative/new/", views.run_narrative_create, name="run_narrative_create"),
]
