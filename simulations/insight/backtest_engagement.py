"""The engagement backtest: each of an account's last N posts forecast from the posts before it.

The forecast (``learning.engagement.rolling_forecasts``) is judged against references that also
read only earlier posts: the expanding ``history_mean``, the rolling means of the last 20 and 200
posts, and ``everyone_ignores`` (zero). Counts of a single account suffice: no shared reactors
are needed. The forecast's 80% intervals are checked too: the share of real counts inside them,
with a Wilson 95% interval and its n (a calibration of the intervals).

Pure (learners and analysis, no Django).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from simulations.analysis.honest import EVERYONE_IGNORES, Table, score_engagement
from simulations.analysis.references import rolling_mean
from simulations.learning.engagement import rolling_forecasts
from simulations.learning.features import METRICS, PostRow

FORECAST = "forecast"
HISTORY_MEAN = "history_mean"
ROLLING = (20, 200)
MIN_POSTS = 30
NOMINAL_COVERAGE = 0.8


class NotEnoughPosts(ValueError):
    """Fewer than ``MIN_POSTS`` posts with counts: nothing a forecast could be judged on."""


@dataclass(frozen=True)
class Coverage:
    metric: str
    inside: int
    n: int
    share: float
    low: float
    high: float
    nominal: float = NOMINAL_COVERAGE


@dataclass(frozen=True)
class EngagementBacktest:
    table: Table
    coverage: tuple[Coverage, ...]
    posts: int  # posts with counts
    origins: int  # posts forecast
    first_origin: str  # ISO time of the first forecast post


def _counts(rows: Sequence[PostRow], metric: str) -> np.ndarray:
    return np.array([float((row.counts or {}).get(metric, 0) or 0) for row in rows])


def run_engagement_backtest(
    rows: Sequence[PostRow], *, last_n: int = 200, seed: int = 0
) -> EngagementBacktest:
    """Score the rolling-origin forecast of the last ``last_n`` posts against the references."""
    rows = sorted((r for r in rows if r.counts is not None), key=lambda r: r.created_at)
    if len(rows) < MIN_POSTS:
        raise NotEnoughPosts(
            f"{len(rows)} posts with engagement counts; a backtest needs at least {MIN_POSTS}"
        )
    results = rolling_forecasts(rows, last_n=last_n)
    first = len(rows) - len(results)
    metrics = [m for m in METRICS if _counts(rows, m).any()]
    actual = {m: _counts(rows, m)[first:] for m in metrics}
    predictions: dict[str, dict[str, np.ndarray]] = {
        FORECAST: {m: np.array([f.metrics[m].expected for _, f in results]) for m in metrics},
        HISTORY_MEAN: {m: rolling_mean(_counts(rows, m), len(rows))[first:] for m in metrics},
        **{
            f"rolling_mean_{k}": {m: rolling_mean(_counts(rows, m), k)[first:] for m in metrics}
            for k in ROLLING
        },
        EVERYONE_IGNORES: {m: np.zeros(len(results)) for m in metrics},
    }
    train_total = sum(_counts(rows[:first], m) for m in metrics)
    table = score_engagement(
        actual,
        predictions,
        references=[r for r in predictions if r != FORECAST],
        train_log_values=np.log1p(train_total),
        seed=seed,
    )
    return EngagementBacktest(
        table=table,
        coverage=tuple(_coverage(m, actual[m], results) for m in metrics),
        posts=len(rows),
        origins=len(results),
        first_origin=rows[first].created_at.isoformat(),
    )


def _coverage(metric: str, actual: np.ndarray, results) -> Coverage:
    inside = int(
        sum(
            f.metrics[metric].low <= a <= f.metrics[metric].high
            for a, (_, f) in zip(actual, results, strict=True)
        )
    )
    low, high = proportion_confint(inside, len(actual), alpha=0.05, method="wilson")
    return Coverage(metric, inside, len(actual), inside / len(actual), float(low), float(high))
