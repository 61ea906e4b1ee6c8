"""Verdicts for an experiment: is variant A better or worse than B, and how sure are we?

Every metric is compared with the test chosen in ``stats``; all p-values of one experiment
are corrected together with Holm's method (several metrics and variants inflate false
alarms). "A is better/worse than B" is said only when the corrected p-value is below alpha;
otherwise the verdict is explicitly "the data cannot tell these variants apart", with the
number of replicates per variant that would detect the observed difference at 80% power.
Power advice uses alpha divided by the number of comparisons (Holm's strictest step), so a
run of that size can pass the correction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from simulations.analysis.power import replicates_for_effect, trials_for_proportions
from simulations.analysis.stats import (
    ConfidenceInterval,
    SignificanceTest,
    bootstrap_mean_ci,
    cliffs_delta,
    compare_proportions,
    compare_rates,
    hedges_g,
    holm,
    odds_ratio,
    risk_difference,
)

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    a_label: str
    b_label: str
    higher_is_better: bool
    a: ConfidenceInterval  # mean (or proportion) of A with its 95% bootstrap interval
    b: ConfidenceInterval
    difference: float  # A - B
    test: SignificanceTest
    hedges_g: float | None = None
    cliffs_delta: float | None = None
    risk_difference: float | None = None
    odds_ratio: float | None = None
    p_adjusted: float | None = None  # Holm-corrected; set by ``decide``
    significant: bool = False
    a_is_better: bool | None = None  # None unless significant
    needed_per_variant: int | None = None  # for the observed difference at 80% power
    needed_unit: str = "replicates"  # "replicates" or "responses"
    verdict: str = ""
    metric_label: str = ""  # how sentences name the metric; the metric's name when empty

    @property
    def named(self) -> str:
        return self.metric_label or self.metric


def compare_replicates(
    metric: str,
    a_label: str,
    a_values: Sequence[float],
    b_label: str,
    b_values: Sequence[float],
    *,
    higher_is_better: bool,
    seed: int = 0,
    metric_label: str = "",
) -> MetricComparison:
    """Compare one per-replicate metric (e.g. negative share of each seed) between variants."""
    test = compare_rates(a_values, b_values)
    delta = cliffs_delta(a_values, b_values)
    a_ci, b_ci = bootstrap_mean_ci(a_values, seed=seed), bootstrap_mean_ci(b_values, seed=seed + 1)
    return MetricComparison(
        metric=metric,
        a_label=a_label,
        b_label=b_label,
        higher_is_better=higher_is_better,
        a=a_ci,
        b=b_ci,
        difference=a_ci.estimate - b_ci.estimate,
        test=test,
        hedges_g=hedges_g(a_values, b_values),
        cliffs_delta=delta,
        metric_label=metric_label,
    )


def wilson_ci(successes: int, trials: int, level: float = 0.95) -> ConfidenceInterval:
    """Wilson score interval of a proportion: exact enough, cheap, sensible at 0% and 100%."""
    low, high = proportion_confint(successes, trials, alpha=1 - level, method="wilson")
    return ConfidenceInterval(successes / trials, float(low), float(high), level, "wilson", trials)


def compare_counts(
    metric: str,
    a_label: str,
    a_successes: int,
    a_trials: int,
    b_label: str,
    b_successes: int,
    b_trials: int,
    *,
    higher_is_better: bool,
) -> MetricComparison:
    """Compare a proportion pooled over responses (e.g. negative replies / all replies).

    Pooling treats every response as independent, but replies in one run answer each other;
    with several replicates prefer ``compare_replicates`` on per-run shares. Pooled counts
    suit a single run per variant or a real-world reference case.
    """
    if min(a_trials, b_trials) < 1:
        raise ValueError("both variants need at least one trial")
    test = compare_proportions(a_successes, a_trials, b_successes, b_trials)
    return MetricComparison(
        metric=metric,
        a_label=a_label,
        b_label=b_label,
        higher_is_better=higher_is_better,
        a=wilson_ci(a_successes, a_trials),
        b=wilson_ci(b_successes, b_trials),
        difference=risk_difference(a_successes, a_trials, b_successes, b_trials),
        test=test,
        risk_difference=risk_difference(a_successes, a_trials, b_successes, b_trials),
        odds_ratio=odds_ratio(a_successes, a_trials, b_successes, b_trials),
        needed_unit="responses",
    )


def _needed(comparison: MetricComparison, alpha: float) -> int | None:
    if comparison.needed_unit == "responses":
        return trials_for_proportions(comparison.a.estimate, comparison.b.estimate, alpha=alpha, power=POWER)
    if comparison.hedges_g is None:  # no spread in either variant: a standardised effect is undefined
        return None
    test = "mann_whitney_u" if comparison.test.test == "mann_whitney_u" else "welch_t"
    return replicates_for_effect(comparison.hedges_g, alpha=alpha, power=POWER, test=test)


def _direction(comparison: MetricComparison) -> float:
    """The sign the chosen test speaks about: rank order for Mann-Whitney, means otherwise."""
    if comparison.test.test == "mann_whitney_u" and comparison.cliffs_delta is not None:
        return comparison.cliffs_delta
    return comparison.difference


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _verdict(c: MetricComparison) -> str:
    values = f"{_fmt(c.a.estimate)} vs {_fmt(c.b.estimate)}"
    if c.significant:
        word = "better" if c.a_is_better else "worse"
        return f"{c.a_label} is {word} than {c.b_label} on {c.named} ({values}, Holm-adjusted p = {c.p_adjusted:.3g})."
    if c.test.p_value is None:
        return f"The data cannot tell {c.a_label} and {c.b_label} apart on {c.named}: {c.test.reason}."
    text = f"The data cannot tell {c.a_label} and {c.b_label} apart on {c.named} ({values}"
    text += f", Holm-adjusted p = {c.p_adjusted:.3g})."
    if c.needed_per_variant is not None:
        text += (
            f" To detect a difference this size at {POWER:.0%} power, run about "
            f"{c.needed_per_variant} {c.needed_unit} per variant."
        )
    elif c.difference == 0:
        text += " No difference was observed at all."
    else:
        text += (
            " The replicates show no spread, so the sample size needed cannot be estimated; add replicates."
        )
    return text


@dataclass(frozen=True)
class ExperimentVerdict:
    comparisons: tuple[MetricComparison, ...]
    alpha: float
    summary: str

    @property
    def any_significant(self) -> bool:
        return any(c.significant for c in self.comparisons)


def _summary(comparisons: Sequence[MetricComparison]) -> str:
    significant = [c for c in comparisons if c.significant]
    if not significant:
        needed = [
            c.needed_per_variant
            for c in comparisons
            if c.needed_unit == "replicates" and c.needed_per_variant
        ]
        text = "The data cannot tell these variants apart on any metric after correcting for multiple comparisons."
        if needed:
            text += f" Detecting the largest observed difference needs about {min(needed)} replicates per variant."
        constant = sum(1 for c in comparisons if c.test.test == "identical")
        if constant == len(comparisons):
            text += (
                " Every replicate of every variant gave the same value on every metric: the runs show no"
                " reaction that differs, so check that the panel reacted at all (the run reports say)."
            )
        elif constant:
            text += (
                f" On {constant} of the {len(comparisons)} comparisons every replicate gave the same value."
            )
        return text
    text = " ".join(c.verdict for c in significant)
    undecided = len(comparisons) - len(significant)
    if undecided:
        text += f" On the other {undecided} comparisons the data cannot tell the variants apart."
    return text


def decide(comparisons: Sequence[MetricComparison], alpha: float = ALPHA) -> ExperimentVerdict:
    """Holm-correct all comparisons together, then write each verdict and the overall one."""
    tested = [i for i, c in enumerate(comparisons) if c.test.p_value is not None]
    adjusted = dict(zip(tested, holm([comparisons[i].test.p_value for i in tested]), strict=True))
    planning_alpha = alpha / max(len(tested), 1)
    decided = []
    for i, comparison in enumerate(comparisons):
        p_adjusted = adjusted.get(i)
        significant = p_adjusted is not None and p_adjusted < alpha
        direction = _direction(comparison)
        a_is_better = (direction > 0) == comparison.higher_is_better if significant and direction else None
        updated = replace(
            comparison,
            p_adjusted=p_adjusted,
            significant=significant and a_is_better is not None,
            a_is_better=a_is_better,
            needed_per_variant=_needed(comparison, planning_alpha),
        )
        decided.append(replace(updated, verdict=_verdict(updated)))
    return ExperimentVerdict(tuple(decided), alpha, _summary(decided))


def compare_variants(
    replicate_metrics: Mapping[str, Sequence[Mapping[str, float | None]]],
    baseline: str,
    metrics: Mapping[str, bool],
    *,
    alpha: float = ALPHA,
    seed: int = 0,
    labels: Mapping[str, str] | None = None,
) -> ExperimentVerdict:
    """Every variant against ``baseline`` on every metric, corrected together.

    ``replicate_metrics`` maps a variant label to one dict of metric values per replicate
    (``RunReport.outcome_metrics()``); ``metrics`` maps a metric name to "higher is better";
    ``labels`` names metrics in the verdict's sentences ("negative share of replies").
    Replicates where a metric is missing (None or NaN) are left out of that metric; a metric
    missing from every replicate of a variant is not compared for that variant.
    """
    if baseline not in replicate_metrics:
        raise ValueError(f"baseline variant {baseline!r} has no replicates")
    comparisons = []
    for variant in sorted(v for v in replicate_metrics if v != baseline):
        for metric, higher_is_better in metrics.items():
            a_values = _present(replicate_metrics[variant], metric)
            b_values = _present(replicate_metrics[baseline], metric)
            if not a_values or not b_values:
                continue
            comparisons.append(
                compare_replicates(
                    metric,
                    variant,
                    a_values,
                    baseline,
                    b_values,
                    higher_is_better=higher_is_better,
                    seed=seed,
                    metric_label=(labels or {}).get(metric, ""),
                )
            )
    return decide(comparisons, alpha)


def _present(replicates: Sequence[Mapping[str, float | None]], metric: str) -> list[float]:
    values = [r.get(metric) for r in replicates]
    return [float(v) for v in values if v is not None and np.isfinite(v)]
