"""The project's URLs plus test views that exercise the API infrastructure."""

from django.urls import path

from simnet.urls import urlpatterns as project_urlpatterns
from tests.simnet.api import views

urlpatterns = [
    path("api/v1/test/errors/<str:kind>/", views.ErrorView.as_view(), name="test_errors"),
    path("api/v1/test/limited/", views.LimitedView.as_view(), name="test_limited"),
    path("api/v1/test/work/", views.StartWorkView.as_view(), name="test_work"),
    *project_urlpatterns,
]
