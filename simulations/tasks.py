"""django-q2 entry points: ids in, one service call, nothing else."""

from __future__ import annotations

from simulations.briefs import services as briefs
from simulations.insight import backtests, comparison, narratives, panel_questions, reports
from simulations.runs import shards, stepper


def advance_run(run_id: int) -> str:
    return stepper.advance(run_id=run_id)


def decide_shard(run_id: int, step: int, index: int | None) -> str:
    return shards.decide(run_id=run_id, step=step, index=index)


def watchdog() -> int:
    return stepper.resume_stalled()


def store_run_report(run_id: int) -> bool:
    return reports.run_report_store(run_id=run_id)


def store_experiment_comparison(experiment_id: int) -> bool:
    return comparison.experiment_store_comparison(experiment_id=experiment_id)


def run_backtest(backtest_id: int) -> str:
    return backtests.backtest_execute(backtest_id=backtest_id).status


def ask_panel_question(question_id: int) -> str:
    return panel_questions.panel_question_execute(question_id=question_id).status


def extract_brief(brief_id: int) -> str:
    return briefs.brief_extract(brief_id=brief_id).status


def write_narrative(narrative_id: int) -> str:
    return narratives.narrative_execute(narrative_id=narrative_id).status
