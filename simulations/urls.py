from django.urls import path

from simulations import builder_views, views

urlpatterns = [
    # building and starting
    path("simulations/new/", builder_views.scenario_create, name="scenario_create"),
    path("simulations/new/estimate/", builder_views.scenario_estimate, name="scenario_estimate"),
    path("simulations/new/row/", builder_views.scenario_formset_row, name="scenario_formset_row"),
    path("experiments/new/", builder_views.experiment_create, name="experiment_create"),
    path("settings/providers/", builder_views.provider_list, name="provider_list"),
    path("settings/providers/new/", builder_views.provider_create, name="provider_create"),
    path(
        "settings/providers/<int:provider_id>/delete/", builder_views.provider_delete, name="provider_delete"
    ),
    path("stimuli/<int:stimulus_id>/image/", builder_views.stimulus_image, name="stimulus_image"),
    # runs and the run room
    path("simulations/", views.run_list, name="run_list"),
    path("simulations/<int:run_id>/", views.run_detail, name="run_detail"),
    path("simulations/<int:run_id>/pause/", views.run_pause, name="run_pause"),
    path("simulations/<int:run_id>/resume/", views.run_resume, name="run_resume"),
    path("simulations/<int:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("simulations/<int:run_id>/rerun/", views.run_rerun, name="run_rerun"),
    path("simulations/<int:run_id>/fork/", views.run_fork, name="run_fork"),
    path("simulations/<int:run_id>/inject/", views.run_inject, name="run_inject"),
    path("simulations/<int:run_id>/interview/", views.run_interview, name="run_interview"),
    # experiments
    path("experiments/", views.experiment_list, name="experiment_list"),
    path("experiments/<int:experiment_id>/", views.experiment_detail, name="experiment_detail"),
]
