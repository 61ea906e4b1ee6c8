"""Websocket routes."""

from django.urls import path

from simulations.runs.consumers import RunEventsConsumer

websocket_urlpatterns = [
    path("ws/runs/<int:run_id>/", RunEventsConsumer.as_asgi(), name="ws_run_events"),
]
