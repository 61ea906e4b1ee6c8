"""How fast runs really go here: seconds per decision, measured on the organization's finished runs.

A fixed throughput per provider kind left every time estimate short of the truth (a "high" of
64 s for a run that took 95 s): the machine, the model, the queue and the panel all change the
pace. Completed runs already carry what is needed (start, finish, one action row per decision),
so nothing new is stored: the pace is read back from the last comparable runs, those with the
same provider kind, model and policy. Until one exists, the estimate keeps the fixed default and
says so; with fewer than three, its range is widened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Count

from simulations.engine.estimate import Range
from simulations.models import Run, RunStatus

RECENT_RUNS = 20  # recent enough to follow an upgrade of the machine or the model
MIN_MEASURED_RUNS = 3  # below this, the measured spread is too thin to trust: the range is widened
FEW_RUNS_MARGIN = 0.25  # how much wider, each way, the range of one or two measured runs is


@dataclass(frozen=True)
class Pace:
    """Seconds per decision (fast, typical, slow) and what they rest on; ``seconds_per_decision``
    is None while no comparable run has been measured (the fixed default applies)."""

    measured_runs: int
    seconds_per_decision: Range | None
    summary: str

    def as_dict(self) -> dict:
        return {
            "measured_runs": self.measured_runs,
            "calibrated": self.seconds_per_decision is not None,
            "summary": self.summary,
        }


def measured_seconds_per_decision(*, organization_id: int, kind: str, model: str, policy: str) -> list[float]:
    """Seconds per decision of the last ``RECENT_RUNS`` completed runs like this one, newest first.
    Forks are left out: their clock started after steps they inherited."""
    rows = (
        Run.objects.filter(
            organization_id=organization_id,
            status=RunStatus.COMPLETED,
            policy=policy,
            parent__isnull=True,
            started_at__isnull=False,
            finished_at__isnull=False,
            reproducibility__provider=kind,
            reproducibility__model=model,
        )
        .annotate(decisions=Count("actions"))
        .filter(decisions__gt=0)
        .order_by("-finished_at", "-id")
        .values_list("started_at", "finished_at", "decisions")[:RECENT_RUNS]
    )
    return [(finished - started).total_seconds() / decisions for started, finished, decisions in rows]


def measured_range(seconds: list[float]) -> Range:
    """Fast, typical and slow seconds per decision. From three runs on: the 10th percentile, the
    median, and the 90th percentile or the mean if higher (one very slow run pulls the mean above
    the percentile, and the high end must cover it). Below three: the fastest and slowest run,
    each widened by ``FEW_RUNS_MARGIN``."""
    if not seconds:
        raise ValueError("no measured runs")
    typical = float(np.median(seconds))
    if len(seconds) < MIN_MEASURED_RUNS:
        return Range(min(seconds) * (1 - FEW_RUNS_MARGIN), typical, max(seconds) * (1 + FEW_RUNS_MARGIN))
    fast, slow = (float(v) for v in np.percentile(seconds, [10, 90]))
    return Range(fast, typical, max(slow, float(np.mean(seconds))))


def pace_for(*, organization_id: int, kind: str, model: str, policy: str, default_rate: float | None) -> Pace:
    """The measured pace of runs like this one (same provider kind, model and policy), or the
    fixed default with a note saying that nothing was measured yet."""
    seconds = measured_seconds_per_decision(
        organization_id=organization_id, kind=kind, model=model, policy=policy
    )
    n = len(seconds)
    if n == 0:
        default = (
            f"a rough default of {1 / default_rate:.2g} s per decision" if default_rate else "no default"
        )
        return Pace(
            0,
            None,
            "Time not calibrated: no runs measured yet with this provider and policy in this "
            f"organization, so it uses {default}; it is measured from the first finished run on.",
        )
    pace = measured_range(seconds)
    basis = (
        f"Time measured on the last {n} finished runs"
        if n >= MIN_MEASURED_RUNS
        else f"Time measured on only n={n} finished run{'s' if n != 1 else ''}"
    )
    spread = (
        f"up to {pace.high:.2g} s at the slow end"
        if n >= MIN_MEASURED_RUNS
        else f"a range widened by {FEW_RUNS_MARGIN:.0%} until {MIN_MEASURED_RUNS} runs have finished"
    )
    return Pace(
        n,
        pace,
        f"{basis} with this provider and policy in this organization: typically {pace.expected:.2g} s "
        f"per decision, {spread}.",
    )
