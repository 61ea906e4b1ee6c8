"""Is simulated opinion as spread, and as disagreeing, as the survey the panel was sampled from?

LLM agents drift to one agreeable middle. A sampled panel's members are survey respondents, so
their answers give a reference: their left-right self-placement on the same 7-point width as
the poll (-3..+3). Two checks, each with n and an interval:

- variance collapse: the simulated stances' SD with a bootstrap interval against the reference
  SD; flagged when the whole interval lies below ``COLLAPSE_RATIO`` of it;
- agreeableness: the share agreeing (> 0) with a Wilson interval against the share the
  reference places on the question's agreeing side; flagged when the interval lies above it.

The reference answers another question (left-right placement, not this one): a spread it does not
reach is a warning to read with that in mind, not a measurement error of the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import proportion_confint

COLLAPSE_RATIO = 0.75
RESAMPLES = 2000
MIN_N = 5


@dataclass(frozen=True)
class SpreadCheck:
    n: int
    simulated_sd: float
    low: float
    high: float
    reference_n: int
    reference_sd: float
    ratio: float
    collapsed: bool


@dataclass(frozen=True)
class AgreeCheck:
    n: int
    agree_share: float
    low: float
    high: float
    reference_n: int
    reference_share: float
    too_agreeable: bool


def weighted_sd(values: Sequence[float], weights: Sequence[float] | None = None) -> float:
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    mean = np.average(x, weights=w)
    variance = np.average((x - mean) ** 2, weights=w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    return float(np.sqrt(variance * n_eff / (n_eff - 1)))  # the unbiased-by-effective-n variance


def spread_check(
    simulated: Sequence[float],
    reference: Sequence[float],
    reference_weights: Sequence[float] | None = None,
    *,
    seed: int = 0,
) -> SpreadCheck | None:
    """None when either side has fewer than ``MIN_N`` values (not enough to judge a spread)."""
    if len(simulated) < MIN_N or len(reference) < MIN_N:
        return None
    x = np.asarray(simulated, dtype=float)
    rng = np.random.default_rng(seed)
    samples = rng.choice(x, size=(RESAMPLES, len(x)), replace=True).std(axis=1, ddof=1)
    low, high = (float(v) for v in np.quantile(samples, [0.025, 0.975]))
    sd = float(x.std(ddof=1))
    ref_sd = weighted_sd(reference, reference_weights)
    ratio = sd / ref_sd if ref_sd else float("inf")
    return SpreadCheck(len(x), sd, low, high, len(reference), ref_sd, ratio, high < COLLAPSE_RATIO * ref_sd)


def agree_check(simulated: Sequence[int], reference_sides: Sequence[float]) -> AgreeCheck | None:
    """``reference_sides``: each reference member's position turned so that > 0 means the agreeing side."""
    if len(simulated) < MIN_N or len(reference_sides) < MIN_N:
        return None
    agree = sum(1 for v in simulated if v > 0)
    low, high = proportion_confint(agree, len(simulated), method="wilson")
    share = sum(1 for v in reference_sides if v > 0) / len(reference_sides)
    return AgreeCheck(
        len(simulated),
        agree / len(simulated),
        float(low),
        float(high),
        len(reference_sides),
        share,
        low > share,
    )
