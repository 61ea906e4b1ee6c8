"""Post performance forecast: "how will this draft do?" for an account with history.

Per metric a Ridge regression (scikit-learn) predicts log1p(count) minus the account's recent
level (EWMA of log1p counts before the post), so when an account becomes famous the level moves
and the learned effects of time, form and words stay put. The 80% interval is split-conformal:
the 10th and 90th percentiles of residuals on the time-last 20% of training, from a model fitted
on the first 80%. A fitted model is plain JSON (coefficients, IDF weights, quantiles), never a pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import Ridge

from simulations.learning.features import (
    METRICS,
    NUMERIC_NAMES,
    PostRow,
    TextHasher,
    content_features,
    feature_table,
    level_table,
    log_counts,
)
from simulations.learning.priors import own_weight, shrink

__all__ = ["METRICS", "Forecast", "ForecastModel", "MetricForecast", "fit_forecast", "fit_pooled_forecast",
           "predict", "rolling_forecasts", "rolling_origin"]  # fmt: skip

RIDGE_ALPHA = 3.0
CALIBRATION_SHARE = 0.2
INTERVAL = (0.1, 0.9)  # an 80% interval
RECENT_POSTS = 600  # a draft's level reads this many recent posts: older ones weigh < 1e-6 in the EWMA


@dataclass(frozen=True)
class ForecastModel:
    """Everything a forecast needs, as arrays that serialise to JSON exactly."""

    hasher: TextHasher
    feature_mean: np.ndarray  # standardisation of the numeric features
    feature_scale: np.ndarray
    coef: np.ndarray  # metrics x (numeric + text features)
    intercept: np.ndarray  # metrics
    residual_low: np.ndarray  # metrics: conformal quantiles of log1p residuals
    residual_high: np.ndarray
    last_level: np.ndarray  # metrics: the level at the end of training (used when no recent posts)
    n_train: int
    own_weight: float = 1.0  # < 1 when shrunk toward a pooled prior
    prior_level: np.ndarray | None = None  # the pooled level a short history is shrunk toward
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "kind": "engagement_forecast",
            "metrics": list(METRICS),
            "features": list(NUMERIC_NAMES),
            "hasher": self.hasher.to_dict(),
            "feature_mean": self.feature_mean.tolist(),
            "feature_scale": self.feature_scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "residual_low": self.residual_low.tolist(),
            "residual_high": self.residual_high.tolist(),
            "last_level": self.last_level.tolist(),
            "n_train": self.n_train,
            "own_weight": self.own_weight,
            "prior_level": None if self.prior_level is None else self.prior_level.tolist(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> ForecastModel:
        if tuple(data["metrics"]) != METRICS or tuple(data["features"]) != NUMERIC_NAMES:
            raise ValueError("this forecast was stored with other metrics or features; refit it")
        arrays = {
            name: np.asarray(data[name], dtype=float)
            for name in ("feature_mean", "feature_scale", "coef", "intercept", "residual_low",
                         "residual_high", "last_level")
        }  # fmt: skip
        prior = data.get("prior_level")
        return cls(
            hasher=TextHasher.from_dict(data["hasher"]),
            n_train=int(data["n_train"]),
            own_weight=float(data["own_weight"]),
            prior_level=None if prior is None else np.asarray(prior, dtype=float),
            notes=tuple(data.get("notes", ())),
            **arrays,
        )


@dataclass(frozen=True)
class MetricForecast:
    expected: float  # the typical count: expm1 of the predicted log1p count
    low: float  # the 80% interval
    high: float


@dataclass(frozen=True)
class Forecast:
    metrics: dict[str, MetricForecast]
    n_train: int
    level: dict[str, float]  # the account's recent typical count per metric (expm1 of the log level)
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Design:
    numbers: np.ndarray
    texts: list[str]
    targets: np.ndarray  # log1p(count) - level
    times: np.ndarray  # POSIX seconds, to split calibration by time
    end_level: np.ndarray  # the level after the last post
    posts: int  # posts with counts it was built from


def _design(rows: Sequence[PostRow]) -> _Design:
    """Training rows: every post with counts that has at least one earlier post with counts."""
    rows = sorted((r for r in rows if r.counts is not None), key=lambda r: r.created_at)
    if not rows:
        raise ValueError("a forecast needs posts with counts")
    table = feature_table([*rows, PostRow("", rows[-1].created_at)])
    usable = ~np.isnan(table.levels[:-1]).any(axis=1)
    targets = log_counts(rows) - table.levels[:-1]
    return _Design(
        numbers=table.numbers[:-1][usable],
        texts=[r.text for r, keep in zip(rows, usable, strict=True) if keep],
        targets=targets[usable],
        times=np.array([r.created_at.timestamp() for r in rows])[usable],
        end_level=table.levels[-1],
        posts=len(rows),
    )


def _stack(model: ForecastModel, numbers: np.ndarray, texts: Sequence[str]) -> sp.csr_matrix:
    scaled = (numbers - model.feature_mean) / model.feature_scale
    return sp.hstack([sp.csr_matrix(scaled), model.hasher.transform(texts)]).tocsr()


def _ridge(x: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fitted = Ridge(alpha=RIDGE_ALPHA).fit(x, y)
    return np.atleast_2d(fitted.coef_), np.atleast_1d(fitted.intercept_)


def _fit_design(design: _Design, basis: ForecastModel | None = None) -> ForecastModel:
    """Ridge per metric (one multi-target Ridge) plus conformal residual quantiles.

    ``basis`` lends its text weights and feature scaling, so the coefficients live in its space.
    """
    if len(design.targets) < 2:
        raise ValueError("a forecast needs at least 3 posts with counts")
    scale = design.numbers.std(axis=0)
    skeleton = ForecastModel(
        hasher=basis.hasher if basis else TextHasher.fit(design.texts),
        feature_mean=basis.feature_mean if basis else design.numbers.mean(axis=0),
        feature_scale=basis.feature_scale if basis else np.where(scale > 0, scale, 1.0),
        coef=np.zeros(0), intercept=np.zeros(0), residual_low=np.zeros(0), residual_high=np.zeros(0),
        last_level=design.end_level, n_train=design.posts,
    )  # fmt: skip
    order = np.argsort(design.times, kind="stable")
    x = _stack(skeleton, design.numbers, design.texts)[order]
    y = design.targets[order]
    cut = min(max(1, round(len(y) * (1 - CALIBRATION_SHARE))), len(y) - 1)
    coef, intercept = _ridge(x[:cut], y[:cut])
    residuals = y[cut:] - (x[cut:] @ coef.T + intercept)
    coef, intercept = _ridge(x, y)
    return replace(
        skeleton,
        coef=coef,
        intercept=intercept,
        residual_low=np.quantile(residuals, INTERVAL[0], axis=0),
        residual_high=np.quantile(residuals, INTERVAL[1], axis=0),
    )


def fit_forecast(rows: Sequence[PostRow], *, pooled: ForecastModel | None = None) -> ForecastModel:
    """Fit an account's forecast from its own posts; below 30 posts, shrink toward ``pooled`` if given."""
    n = sum(1 for r in rows if r.counts is not None)
    weight = own_weight(n)
    if pooled is None or weight == 1.0:
        return _fit_design(_design(rows))
    note = f"short history ({n} posts): shrunk toward the pooled prior, own weight {weight:.2f}"
    if n < 3:
        return replace(pooled, n_train=n, own_weight=0.0, prior_level=pooled.last_level, notes=(note,))
    own = _fit_design(_design(rows), basis=pooled)
    return replace(
        own,
        coef=shrink(own.coef, pooled.coef, weight),
        intercept=shrink(own.intercept, pooled.intercept, weight),
        residual_low=shrink(own.residual_low, pooled.residual_low, weight),
        residual_high=shrink(own.residual_high, pooled.residual_high, weight),
        own_weight=weight,
        prior_level=pooled.last_level,
        notes=(note,),
    )


def fit_pooled_forecast(accounts: Sequence[Sequence[PostRow]]) -> ForecastModel:
    """One model over many accounts (levels computed within each account): the prior for short histories.

    Its ``last_level`` is the median account's level, the level a new account is shrunk toward.
    """
    designs = [d for d in (_design(rows) for rows in accounts if rows) if len(d.targets)]
    pooled = _Design(
        numbers=np.vstack([d.numbers for d in designs]),
        texts=[t for d in designs for t in d.texts],
        targets=np.vstack([d.targets for d in designs]),
        times=np.concatenate([d.times for d in designs]),
        end_level=np.median([d.end_level for d in designs], axis=0),
        posts=sum(d.posts for d in designs),
    )
    return replace(_fit_design(pooled), notes=(f"pooled over {len(designs)} accounts",))


def _level(model: ForecastModel, recent: Sequence[PostRow], draft: PostRow) -> tuple[np.ndarray, np.ndarray]:
    """The draft's numeric features and its level: from the recent posts, shrunk when the history is short."""
    rows = sorted((r for r in recent if r.counts is not None), key=lambda r: r.created_at)[-RECENT_POSTS:]
    columns, levels = level_table([*rows, replace(draft, counts=None)])
    own = levels[-1]
    own = np.where(np.isnan(own), model.last_level, own)
    if model.prior_level is not None:
        own = shrink(own, model.prior_level, model.own_weight)
    return np.concatenate([content_features(draft), columns[-1]]), own


def predict(model: ForecastModel, draft: PostRow, recent: Sequence[PostRow]) -> Forecast:
    """Expected counts and 80% intervals for ``draft``, given the account's ``recent`` posts with counts."""
    numbers, level = _level(model, recent, draft)
    x = _stack(model, numbers[None, :], [draft.text])
    centre = level + (x @ model.coef.T + model.intercept)[0]
    notes = list(model.notes)
    if not any(r.counts is not None for r in recent):
        notes.append("no recent posts with counts: the level is the one at the end of training")
    return Forecast(
        metrics={
            m: MetricForecast(
                expected=float(np.expm1(centre[j])),
                low=float(max(np.expm1(centre[j] + model.residual_low[j]), 0.0)),
                high=float(np.expm1(centre[j] + model.residual_high[j])),
            )
            for j, m in enumerate(METRICS)
        },
        n_train=model.n_train,
        level=dict(zip(METRICS, np.expm1(level).tolist(), strict=True)),
        notes=tuple(notes),
    )


def rolling_forecasts(
    rows: Sequence[PostRow], last_n: int = 200, refit_every: int = 20
) -> list[tuple[PostRow, Forecast]]:
    """Backtest: each of the last ``last_n`` posts forecast from the posts before it only.

    The model is refitted every ``refit_every`` origins (on everything before that origin); between
    refits the level still follows every earlier post's counts, as it would in use.
    """
    rows = sorted((r for r in rows if r.counts is not None), key=lambda r: r.created_at)
    first = max(len(rows) - last_n, 3)
    results, model = [], None
    for t in range(first, len(rows)):
        if model is None or (t - first) % refit_every == 0:
            model = fit_forecast(rows[:t])
        results.append((rows[t], predict(model, rows[t], rows[:t])))
    return results


def rolling_origin(
    rows: Sequence[PostRow], last_n: int = 200, refit_every: int = 20
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per metric, (actual counts, expected counts) over the rolling origins of ``rolling_forecasts``."""
    results = rolling_forecasts(rows, last_n=last_n, refit_every=refit_every)
    return {
        m: (
            np.array([float(row.counts.get(m, 0) or 0) for row, _ in results]),
            np.array([forecast.metrics[m].expected for _, forecast in results]),
        )
        for m in METRICS
    }
