"""Insight API routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from simulations.insight import api

router = SimpleRouter()
router.register("backtests", api.BacktestViewSet, basename="api_backtest")

urlpatterns = [
    path("runs/<int:run_id>/report/", api.RunReportView.as_view(), name="api_run_report"),
    path(
        "runs/<int:run_id>/export/<slug:what>.<slug:fmt>",
        api.RunExportView.as_view(),
        name="api_run_export",
    ),
    path(
        "experiments/<int:experiment_id>/comparison/",
        api.ExperimentComparisonView.as_view(),
        name="api_experiment_comparison",
    ),
    path("forecasts/", api.ForecastView.as_view(), name="api_forecast"),
    *router.urls,
]
