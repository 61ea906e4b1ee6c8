from django.urls import path

from . import views

urlpatterns = [
    path("simulations/", views.run_list, name="run_list"),
    path("simulations/<int:run_id>/", views.run_detail, name="run_detail"),
    path("experiments/", views.experiment_list, name="experiment_list"),
    path("experiments/<int:experiment_id>/", views.experiment_detail, name="experiment_detail"),
]
