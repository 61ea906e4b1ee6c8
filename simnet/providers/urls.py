"""Provider settings pages; included under /settings/providers/."""

from django.urls import path

from simnet.providers import views

urlpatterns = [
    path("", views.provider_list, name="provider_list"),
    path("new/", views.provider_create, name="provider_create"),
    path("<int:provider_id>/delete/", views.provider_delete, name="provider_delete"),
]
