"""Comparing an experiment's variants: per-variant intervals, tests, a verdict and power advice.

Each completed run is one replicate: its report's ``outcome_metrics`` (engagement rate,
cascade size, negative share ...) are the numbers compared. Every variant gets a bootstrap
95% interval per metric; every other variant is compared with the first one (the baseline,
usually the original ad) by ``analysis.experiment.compare_variants``, which picks the test,
corrects all p-values together (Holm) and says when the data cannot tell variants apart.
Failed and cancelled runs are left out and counted, so a page never silently compares fewer
replicates than it claims.

Once the experiment is completed the comparison is stored in ``Experiment.result["comparison"]``.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from simulations.analysis.experiment import compare_variants
from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.power import replicates_for_difference
from simulations.analysis.report import OUTCOME_METRICS
from simulations.analysis.stats import bootstrap_mean_ci
from simulations.insight.example_replies import variant_examples
from simulations.insight.reports import run_outcome_metrics
from simulations.models import FINAL_STATUSES, Experiment, Run, RunStatus

COMPARISON_VERSION = "3"  # 2: verdicts name metrics in words and say when no replicate differed;
# 3: example replies per variant
MIN_REPLICATES = 2  # a variance needs two values

METRIC_LABELS = {
    "engagement_rate": "Engagement rate (engagements per impression)",
    "cascade_size": "Cascade size (people reached)",
    "negative_share": "Negative share of replies and quotes",
    "oppose_share": "Share of responses opposing the stimulus",
    "accusation_share": "Share of responses making accusations",
    "quote_repost_ratio": "Quotes per repost",
    "backlash_score": "Backlash risk score (0-3)",
}


def _in_sentence(label: str) -> str:
    """ "Negative share of replies and quotes" -> "negative share of replies and quotes"."""
    return label[:1].lower() + label[1:]


def _labels(experiment: Experiment) -> list[str]:
    return [str(v["label"]) for v in experiment.variants]


def experiment_status_counts(experiment: Experiment) -> dict:
    """Runs per variant and status: the progress a page shows while the experiment runs."""
    rows = Run.objects.filter(experiment=experiment).values_list("variant", "status")
    counts: dict[str, Counter[str]] = {label: Counter() for label in _labels(experiment)}
    for variant, status in rows:
        counts.setdefault(variant, Counter())[status] += 1
    total = sum(sum(c.values()) for c in counts.values())
    finished = sum(c[s] for c in counts.values() for s in FINAL_STATUSES)
    return {
        "runs": total,
        "finished": finished,
        "completed": sum(c[RunStatus.COMPLETED] for c in counts.values()),
        "share": finished / total if total else 0.0,
        "variants": [
            {
                "label": label,
                "runs": sum(c.values()),
                "completed": c[RunStatus.COMPLETED],
                "left_out": c[RunStatus.FAILED] + c[RunStatus.CANCELLED],
                "waiting": sum(c.values()) - sum(c[s] for s in FINAL_STATUSES),
            }
            for label, c in counts.items()
        ],
    }


def _present(values: list[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _interval(values: list[float], seed: int) -> dict | None:
    if not values:
        return None
    ci = bootstrap_mean_ci(values, seed=seed)
    return {"estimate": ci.estimate, "low": ci.low, "high": ci.high, "n": ci.n, "method": ci.method}


def _replicates(experiment: Experiment) -> dict[str, list[dict[str, float | None]]]:
    """Variant label -> outcome metrics of each completed run (in seed order)."""
    runs = Run.objects.filter(experiment=experiment, status=RunStatus.COMPLETED).select_related("scenario")
    by_variant: dict[str, list[dict[str, float | None]]] = {label: [] for label in _labels(experiment)}
    for run in runs.order_by("variant", "seed", "id"):
        by_variant.setdefault(run.variant, []).append(run_outcome_metrics(run))
    return by_variant


def build_comparison(experiment: Experiment) -> dict:
    labels = _labels(experiment)
    replicates = _replicates(experiment)
    baseline = labels[0] if labels else ""
    per_variant = {
        label: {
            metric: _interval(_present([r.get(metric) for r in rows]), seed=experiment.pk or 0)
            for metric in OUTCOME_METRICS
        }
        for label, rows in replicates.items()
    }
    short = [label for label in labels if len(replicates.get(label, [])) < MIN_REPLICATES]
    verdict = None
    if labels and not short:
        result = compare_variants(
            {label: replicates[label] for label in labels},
            baseline,
            OUTCOME_METRICS,
            seed=experiment.pk or 0,
            labels={name: _in_sentence(label) for name, label in METRIC_LABELS.items()},
        )
        verdict = {**to_jsonable(result), "any_significant": result.any_significant}
    return {
        "version": COMPARISON_VERSION,
        "baseline": baseline,
        "variants": [
            {
                "label": str(v["label"]),
                "stimulus_text": v.get("stimulus_text", ""),
                "overrides": v.get("overrides", {}),
            }
            for v in experiment.variants
        ],
        "metrics": [
            {"name": name, "label": METRIC_LABELS.get(name, name), "higher_is_better": better}
            for name, better in OUTCOME_METRICS.items()
        ],
        "per_variant": per_variant,
        "replicates": replicates,
        "progress": experiment_status_counts(experiment),
        "verdict": verdict,
        "waiting_for": short,
        "examples": variant_examples(experiment, labels),
    }


def experiment_comparison(experiment: Experiment, *, rebuild: bool = False) -> dict:
    """The comparison page's data: stored once the experiment is completed, live before."""
    stored = (experiment.result or {}).get("comparison")
    if experiment.status == "completed":
        if stored and stored.get("version") == COMPARISON_VERSION and not rebuild:
            return stored
        comparison = build_comparison(experiment)
        result = {**(experiment.result or {}), "comparison": comparison}
        Experiment.objects.filter(organization_id=experiment.organization_id, pk=experiment.pk).update(
            result=result
        )
        experiment.result = result
        return comparison
    return build_comparison(experiment)


def experiment_store_comparison(*, experiment_id: int) -> bool:
    """Build and keep the comparison of an experiment that just completed (call it when
    ``experiment_mark_if_finished`` returns True). False when it is missing or not completed."""
    experiment = Experiment.unscoped.filter(pk=experiment_id, status="completed").first()
    if experiment is None:
        return False
    experiment_comparison(experiment, rebuild=True)
    return True


def replicates_needed(comparison: dict, metric: str, difference: float) -> int | None:
    """Replicates per variant to detect ``difference`` in ``metric`` at 80% power (alpha 0.05).

    Uses the metric's spread within variants (pooled standard deviation of the replicates
    so far); None when there is no spread to go on (fewer than two values in every variant,
    or every replicate gave the same number)."""
    if metric not in OUTCOME_METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if difference == 0:
        return None
    groups = [_present([r.get(metric) for r in rows]) for rows in comparison["replicates"].values()]
    groups = [g for g in groups if len(g) >= MIN_REPLICATES]
    if not groups:
        return None
    dof = sum(len(g) - 1 for g in groups)
    pooled = math.sqrt(sum((len(g) - 1) * float(np.var(g, ddof=1)) for g in groups) / dof)
    if pooled == 0:
        return None
    return replicates_for_difference(abs(difference), pooled)
