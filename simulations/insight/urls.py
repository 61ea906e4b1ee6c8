"""Insight pages."""

from django.urls import path

from simulations.insight import views

urlpatterns = [
    path("simulations/<int:run_id>/report/", views.run_report, name="run_report"),
    path(
        "simulations/<int:run_id>/export/<slug:what>.<slug:fmt>",
        views.run_export,
        name="run_export",
    ),
    path(
        "experiments/<int:experiment_id>/compare/", views.experiment_compare, name="experiment_compare"
    ),
    path("backtests/", views.backtest_list, name="backtest_list"),
    path("backtests/new/", views.backtest_create, name="backtest_create"),
    path("backtests/<int:backtest_id>/", views.backtest_detail, name="backtest_detail"),
]
