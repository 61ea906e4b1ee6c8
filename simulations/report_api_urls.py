"""Insight API routes; the lead includes this module under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from simulations import report_api

router = SimpleRouter()
router.register("backtests", report_api.BacktestViewSet, basename="api_backtest")

urlpatterns = [
    path("runs/<int:run_id>/report/", report_api.RunReportView.as_view(), name="api_run_report"),
    path(
        "runs/<int:run_id>/export/<slug:what>.<slug:fmt>",
        report_api.RunExportView.as_view(),
        name="api_run_export",
    ),
    path(
        "experiments/<int:experiment_id>/comparison/",
        report_api.ExperimentComparisonView.as_view(),
        name="api_experiment_comparison",
    ),
    *router.urls,
]
