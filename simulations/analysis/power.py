"""How many replicates (or responses) per variant are needed to detect a difference.

Two-sided tests at 80% power by default, solved with statsmodels: the two-sample t-test
power for a standardised mean difference (Cohen's d), and the normal approximation with
Cohen's h for two proportions. For Mann-Whitney U the t-test size is divided by its
asymptotic relative efficiency (3 / pi, about 0.955, for normal data), the usual planning
rule. When statsmodels cannot solve (a vanishing effect), the normal approximation
n = 2 ((z_(1 - alpha/2) + z_power) / d)^2 is used instead.
"""

from __future__ import annotations

import math
import warnings

from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

MANN_WHITNEY_EFFICIENCY = 3 / math.pi
MIN_PER_GROUP = 2


def _normal_approximation(effect_size: float, alpha: float, power: float) -> float:
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return 2 * (z / effect_size) ** 2


def _solve(solver: TTestIndPower | NormalIndPower, effect_size: float, alpha: float, power: float) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns and returns nan when it cannot converge
        n = solver.solve_power(effect_size=abs(effect_size), alpha=alpha, power=power, ratio=1.0)
    n = float(n) if n is not None else math.nan
    return n if math.isfinite(n) and n > 0 else _normal_approximation(abs(effect_size), alpha, power)


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must be between 0 and 1, got {alpha} and {power}")


def replicates_for_effect(
    effect_size: float, *, alpha: float = 0.05, power: float = 0.8, test: str = "welch_t"
) -> int | None:
    """Replicates per variant to detect a standardised difference ``effect_size`` (Cohen's d).

    None when the effect is zero (no number of replicates would detect it).
    """
    _check(alpha, power)
    if test not in ("welch_t", "mann_whitney_u"):
        raise ValueError(f"test must be 'welch_t' or 'mann_whitney_u', got {test!r}")
    if effect_size == 0 or not math.isfinite(effect_size):
        return None
    n = _solve(TTestIndPower(), effect_size, alpha, power)
    if test == "mann_whitney_u":
        n /= MANN_WHITNEY_EFFICIENCY
    return max(MIN_PER_GROUP, math.ceil(n))


def replicates_for_difference(
    difference: float,
    standard_deviation: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    test: str = "welch_t",
) -> int | None:
    """Replicates per variant to detect a raw difference of means, given the metric's spread."""
    if standard_deviation <= 0:
        raise ValueError("the standard deviation must be positive")
    return replicates_for_effect(difference / standard_deviation, alpha=alpha, power=power, test=test)


def trials_for_proportions(p_a: float, p_b: float, *, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Trials (e.g. responses) per variant to tell proportions ``p_a`` and ``p_b`` apart."""
    _check(alpha, power)
    if p_a == p_b:
        return None
    h = float(proportion_effectsize(p_a, p_b))
    return max(MIN_PER_GROUP, math.ceil(_solve(NormalIndPower(), h, alpha, power)))
