"""Pages of panel questions."""

from django.urls import path

from simulations.insight import panel_questions_views as views

urlpatterns = [
    path("panels/<int:panel_id>/questions/", views.panel_question_list, name="panel_question_list"),
    path("panels/<int:panel_id>/questions/new/", views.panel_question_create, name="panel_question_create"),
    path("questions/<int:question_id>/", views.panel_question_detail, name="panel_question_detail"),
]
