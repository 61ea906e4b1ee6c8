"""Insight pages; the lead includes this module at the site root."""

from django.urls import path

from simulations import report_views

urlpatterns = [
    path("simulations/<int:run_id>/report/", report_views.run_report, name="run_report"),
    path(
        "simulations/<int:run_id>/export/<slug:what>.<slug:fmt>",
        report_views.run_export,
        name="run_export",
    ),
    path(
        "experiments/<int:experiment_id>/compare/", report_views.experiment_compare, name="experiment_compare"
    ),
    path("backtests/", report_views.backtest_list, name="backtest_list"),
    path("backtests/new/", report_views.backtest_create, name="backtest_create"),
    path("backtests/<int:backtest_id>/", report_views.backtest_detail, name="backtest_detail"),
]
