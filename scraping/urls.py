from django.urls import path

from scraping import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("new/", views.import_create, name="import_create"),
    path("audience/new/", views.audience_create, name="audience_create"),
    path("template.csv", views.import_template, name="import_template"),
    path("<int:job_id>/", views.import_detail, name="import_detail"),
    path("<int:job_id>/retry/", views.import_retry, name="import_retry"),
    path("<int:job_id>/cancel/", views.import_cancel, name="import_cancel"),
]
