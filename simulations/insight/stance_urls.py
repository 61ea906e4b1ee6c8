"""Pages of a run's stance readings and opinion dynamics."""

from django.urls import path

from simulations.insight import stance_views as views

urlpatterns = [
    path("simulations/<int:run_id>/stance/", views.run_stance, name="run_stance"),
    path("simulations/<int:run_id>/stance/poll/", views.run_stance_poll, name="run_stance_poll"),
]
