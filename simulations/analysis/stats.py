"""Statistics for comparing variants across replicates (seeds): intervals, tests, effect sizes.

Test choice for a per-replicate rate (documented so the UI can say why):
- fewer than 2 values in a group: no test ("too few replicates");
- all values identical in both groups: no difference, p = 1;
- either group has no spread (every seed gave the same number): Mann-Whitney U, because a
  t-test divides by the spread;
- both groups have at least ``LARGE_SAMPLE`` values: Welch's t-test (the mean is close to
  normal whatever the data look like);
- otherwise Welch's t-test when Shapiro-Wilk does not reject normality (p > 0.05) in either
  group, else Mann-Whitney U (rates bounded at 0 or 1 are often skewed).

Proportions pooled over responses use Pearson's chi-squared test (with Yates' correction,
scipy's default for 2x2) unless an expected cell count is below 5 (Cochran's rule), then
Fisher's exact test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

LARGE_SAMPLE = 30
NORMALITY_ALPHA = 0.05
MIN_EXPECTED_COUNT = 5
BCA_MAX_VALUES = 1000


@dataclass(frozen=True)
class ConfidenceInterval:
    estimate: float
    low: float
    high: float
    level: float
    method: str  # "bca", "percentile", or "degenerate" (one value, or all values equal)
    n: int


def bootstrap_mean_ci(
    values: Sequence[float],
    *,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    method: str = "bca",
) -> ConfidenceInterval:
    """Bootstrap interval of the mean; same values and seed give the same interval.

    BCa (bias-corrected and accelerated) by default; percentile when asked, when BCa is
    undefined for the data, or above ``BCA_MAX_VALUES`` values (its jackknife grows with the
    square of the sample; replicate counts are far below that).
    """
    if method not in ("bca", "percentile"):
        raise ValueError(f"method must be 'bca' or 'percentile', got {method!r}")
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("a confidence interval needs at least one value")
    if np.all(data == data[0]):  # one value, or every value the same: nothing to resample
        value = float(data[0])
        return ConfidenceInterval(value, value, value, level, "degenerate", int(data.size))
    mean = float(data.mean())
    if data.size > BCA_MAX_VALUES:
        method = "percentile"
    result = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=level,
        n_resamples=n_resamples,
        method="BCa" if method == "bca" else "percentile",
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    if method == "bca" and not (np.isfinite(low) and np.isfinite(high)):
        return bootstrap_mean_ci(values, level=level, n_resamples=n_resamples, seed=seed, method="percentile")
    return ConfidenceInterval(mean, float(low), float(high), level, method, int(data.size))


@dataclass(frozen=True)
class SignificanceTest:
    test: str  # "welch_t", "mann_whitney_u", "chi_squared", "fisher_exact", "identical", "none"
    statistic: float | None
    p_value: float | None  # None when no test could be run
    reason: str  # why this test was chosen (or why none was)


def welch_t(a: Sequence[float], b: Sequence[float], reason: str = "") -> SignificanceTest:
    result = stats.ttest_ind(a, b, equal_var=False)
    return SignificanceTest("welch_t", float(result.statistic), float(result.pvalue), reason)


def mann_whitney(a: Sequence[float], b: Sequence[float], reason: str = "") -> SignificanceTest:
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    return SignificanceTest("mann_whitney_u", float(result.statistic), float(result.pvalue), reason)


def _looks_normal(values: np.ndarray) -> bool:
    return len(values) >= 3 and stats.shapiro(values).pvalue > NORMALITY_ALPHA


def compare_rates(a: Sequence[float], b: Sequence[float]) -> SignificanceTest:
    """Two-sided test of a per-replicate metric, chosen by the rule in the module docstring."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if min(len(x), len(y)) < 2:
        return SignificanceTest("none", None, None, "fewer than 2 replicates in a variant")
    if np.all(x == x[0]) and np.all(y == x[0]):
        return SignificanceTest(
            "identical", None, 1.0, "every replicate of both variants gave the same value"
        )
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return mann_whitney(x, y, "a variant gave the same value in every replicate (no spread)")
    if min(len(x), len(y)) >= LARGE_SAMPLE:
        return welch_t(x, y, f"both variants have at least {LARGE_SAMPLE} replicates")
    if _looks_normal(x) and _looks_normal(y):
        return welch_t(x, y, "Shapiro-Wilk does not reject normality in either variant")
    return mann_whitney(x, y, "Shapiro-Wilk rejects normality (or too few values to check)")


def compare_proportions(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> SignificanceTest:
    """Chi-squared test of two proportions, Fisher's exact test when counts are small."""
    if min(trials_a, trials_b) < 1:
        return SignificanceTest("none", None, None, "a variant has no trials")
    for successes, trials in ((successes_a, trials_a), (successes_b, trials_b)):
        if not 0 <= successes <= trials:
            raise ValueError(f"successes must be between 0 and trials, got {successes} of {trials}")
    table = np.array([[successes_a, trials_a - successes_a], [successes_b, trials_b - successes_b]])
    if np.any(table.sum(axis=0) == 0):
        return SignificanceTest("identical", None, 1.0, "every trial in both variants had the same outcome")
    expected = stats.contingency.expected_freq(table)
    if expected.min() < MIN_EXPECTED_COUNT:
        result = stats.fisher_exact(table)
        reason = f"an expected count is below {MIN_EXPECTED_COUNT} (Cochran's rule)"
        return SignificanceTest("fisher_exact", float(result.statistic), float(result.pvalue), reason)
    chi2, p_value, _, _ = stats.chi2_contingency(table)
    return SignificanceTest("chi_squared", float(chi2), float(p_value), "every expected count is at least 5")


def cohens_d(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Mean difference (a - b) over the pooled standard deviation; None if undefined."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or len(y) < 2:
        return None
    pooled = ((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / (len(x) + len(y) - 2)
    if pooled == 0:
        return None
    return float((x.mean() - y.mean()) / math.sqrt(pooled))


def hedges_g(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Cohen's d with the small-sample bias correction J = 1 - 3 / (4 (n_a + n_b) - 9)."""
    d = cohens_d(a, b)
    if d is None:
        return None
    return d * (1 - 3 / (4 * (len(a) + len(b)) - 9))


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float | None:
    """P(a > b) - P(a < b) over all pairs: -1..1, no assumption about the distribution."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) == 0 or len(y) == 0:
        return None
    diff = x[:, None] - y[None, :]
    return float((np.sum(diff > 0) - np.sum(diff < 0)) / diff.size)


def risk_difference(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    return successes_a / trials_a - successes_b / trials_b


def odds_ratio(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """Odds of success in a over b; 0.5 is added to every cell when one is zero (Haldane-Anscombe)."""
    cells = np.array([successes_a, trials_a - successes_a, successes_b, trials_b - successes_b], dtype=float)
    if np.any(cells == 0):
        cells += 0.5
    return float((cells[0] * cells[3]) / (cells[1] * cells[2]))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order (monotone, capped at 1)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
