"""The project's URLs plus the Django admin (simnet/urls.py does not route the admin)."""

from django.contrib import admin
from django.urls import path

from simnet.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("admin/", admin.site.urls), *project_urlpatterns]
