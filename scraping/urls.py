from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
]
