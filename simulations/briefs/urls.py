"""Pages of briefs."""

from django.urls import path

from simulations.briefs import views

urlpatterns = [
    path("briefs/", views.brief_list, name="brief_list"),
    path("briefs/new/", views.brief_create, name="brief_create"),
    path("briefs/template/", views.brief_from_starter, name="brief_from_starter"),
    path("briefs/<int:brief_id>/", views.brief_detail, name="brief_detail"),
    path("briefs/<int:brief_id>/draft/", views.brief_save, name="brief_save"),
    path("briefs/<int:brief_id>/ask/", views.brief_ask_view, name="brief_ask"),
    path("briefs/<int:brief_id>/run/", views.brief_run, name="brief_run"),
]
