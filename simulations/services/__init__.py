"""Writes for simulations; every function is keyword-only and atomic."""

from .experiments import experiment_mark_if_finished, experiment_progress, experiment_start  # noqa: F401
from .persona_summaries import persona_summarize, persona_summary_clear  # noqa: F401
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
from .scenarios import provider_config_create, provider_config_delete, scenario_create  # noqa: F401
