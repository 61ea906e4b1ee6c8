"""The run list and the run room with its controls."""

from django.urls import path

from simulations.runs import views

urlpatterns = [
    path("simulations/", views.run_list, name="run_list"),
    path("simulations/<int:run_id>/", views.run_detail, name="run_detail"),
    path("simulations/<int:run_id>/pause/", views.run_pause, name="run_pause"),
    path("simulations/<int:run_id>/resume/", views.run_resume, name="run_resume"),
    path("simulations/<int:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("simulations/<int:run_id>/rerun/", views.run_rerun, name="run_rerun"),
    path("simulations/<int:run_id>/fork/", views.run_fork, name="run_fork"),
    path("simulations/<int:run_id>/inject/", views.run_inject, name="run_inject"),
    path("simulations/<int:run_id>/interview/", views.run_interview, name="run_interview"),
]
