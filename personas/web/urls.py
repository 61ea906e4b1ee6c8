"""Panel and persona pages; included under /panels/."""

from django.urls import path

from personas.web import panels as views
from personas.web import personas as persona_views

urlpatterns = [
    path("", views.panel_list, name="panel_list"),
    path("new/", views.panel_create, name="panel_create"),
    path("new/population/", views.panel_create_population, name="panel_create_population"),
    path("new/population/<int:job_id>/", views.population_job, name="population_job"),
    path("new/board/", views.panel_create_board, name="panel_create_board"),
    path("demo/", views.panel_demo, name="panel_demo"),
    path("<int:panel_id>/", views.panel_detail, name="panel_detail"),
    path("<int:panel_id>/edit/", views.panel_edit, name="panel_edit"),
    path("<int:panel_id>/delete/", views.panel_delete, name="panel_delete"),
    path("<int:panel_id>/copy/", views.panel_copy, name="panel_copy"),
    path("<int:panel_id>/share/", views.panel_share, name="panel_share"),
    path("<int:panel_id>/unshare/", views.panel_unshare, name="panel_unshare"),
    path("<int:panel_id>/personas/new/", persona_views.persona_create, name="persona_create"),
    path("<int:panel_id>/personas/<int:persona_id>/", persona_views.persona_detail, name="persona_detail"),
    path("<int:panel_id>/personas/<int:persona_id>/edit/", persona_views.persona_edit, name="persona_edit"),
    path(
        "<int:panel_id>/personas/<int:persona_id>/remove/",
        persona_views.persona_remove,
        name="persona_remove",
    ),
    path(
        "<int:panel_id>/personas/<int:persona_id>/summary/",
        persona_views.persona_summarize,
        name="persona_summarize",
    ),
    path(
        "<int:panel_id>/personas/<int:persona_id>/summary/remove/",
        persona_views.persona_summary_clear,
        name="persona_summary_clear",
    ),
]
