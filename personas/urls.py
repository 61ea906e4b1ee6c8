from django.urls import path

from . import views

urlpatterns = [
    path("", views.panel_list, name="panel_list"),
    path("<int:panel_id>/", views.panel_detail, name="panel_detail"),
]
