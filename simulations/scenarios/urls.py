"""Pages that build and start simulations: the scenario builder, experiments, stimulus images."""

from django.urls import path

from simulations.scenarios import media_views, views

urlpatterns = [
    path("simulations/new/", views.scenario_create, name="scenario_create"),
    path("simulations/new/estimate/", views.scenario_estimate, name="scenario_estimate"),
    path("simulations/new/row/", views.scenario_formset_row, name="scenario_formset_row"),
    path("simulations/new/forecast/", views.stimulus_forecast, name="scenario_forecast"),
    path("experiments/new/", views.experiment_create, name="experiment_create"),
    path("stimuli/<int:stimulus_id>/image/", views.stimulus_image, name="stimulus_image"),
    path("stimuli/keyframes/<int:keyframe_id>/", media_views.stimulus_keyframe, name="stimulus_keyframe"),
    path("experiments/", views.experiment_list, name="experiment_list"),
    path("experiments/<int:experiment_id>/", views.experiment_detail, name="experiment_detail"),
]
