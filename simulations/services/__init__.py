"""Writes for simulations; every function is keyword-only and atomic."""

from .runs import (  # noqa: F401
    run_cancel,
    run_estimate,
    run_fork,
    run_inject,
    run_interview,
    run_pause,
    run_rerun,
    run_resume,
    run_start,
)
from .scenarios import provider_config_create, scenario_create  # noqa: F401
