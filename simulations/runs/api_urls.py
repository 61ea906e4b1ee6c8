"""Run endpoints under /api/v1/: runs, their rows, and the live event stream."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from simulations.runs import api
from simulations.runs.sse import run_events_stream

RUN_ROWS = r"runs/(?P<run_id>[^/.]+)"  # like the router's own lookups; not a number -> 404

router = SimpleRouter()
router.register("runs", api.RunViewSet, basename="api_run")
router.register(f"{RUN_ROWS}/actions", api.RunActionViewSet, basename="api_run_action")
router.register(f"{RUN_ROWS}/posts", api.RunPostViewSet, basename="api_run_post")
router.register(f"{RUN_ROWS}/events", api.RunEventViewSet, basename="api_run_event")

urlpatterns = [
    *router.urls,
    path("runs/<int:run_id>/events/stream/", run_events_stream, name="api_run_events_stream"),
]
