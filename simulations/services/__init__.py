"""Writes for simulations; every function is keyword-only and atomic."""

from simulations.services.experiments import (  # noqa: F401
    experiment_mark_if_finished,
    experiment_progress,
    experiment_start,
)
from simulations.services.persona_summaries import persona_summarize, persona_summary_clear  # noqa: F401
from simulations.services.runs import (
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
from simulations.services.scenarios import provider_config_create, provider_config_delete, scenario_create  # noqa: F401
