"""Reliability of predicted probabilities: do events predicted at 30% happen 30% of the time?

Predictions are put in equal-width bins on [0, 1]; each bin compares its mean prediction with
the observed rate. The slope of a weighted least-squares line of observed rate on mean
prediction (weights = bin counts) summarises the diagram: 1 is calibrated, below 1 is
overconfident (predictions too extreme), above 1 underconfident. The Brier score is the mean
squared error of the probabilities (sklearn's ``brier_score_loss``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import brier_score_loss


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    mean_predicted: float | None  # None for an empty bin
    observed_rate: float | None
    count: int


@dataclass(frozen=True)
class Reliability:
    bins: tuple[Bin, ...]
    brier: float
    n: int
    slope: float | None  # None when fewer than two non-empty bins (or they share one prediction)

    def to_dict(self) -> dict:
        return asdict(self)


def _slope(filled: Sequence[Bin]) -> float | None:
    predicted = np.array([b.mean_predicted for b in filled])
    if len(filled) < 2 or np.ptp(predicted) == 0:
        return None
    observed = np.array([b.observed_rate for b in filled])
    weights = np.sqrt([b.count for b in filled])  # polyfit weighs residuals, so sqrt(count)
    return float(np.polyfit(predicted, observed, 1, w=weights)[0])


def reliability(y_true: Sequence[bool], p: Sequence[float], bins: int = 10) -> Reliability:
    """Reliability diagram, Brier score and calibration slope of probabilities ``p``."""
    y, prob = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    if y.shape != prob.shape or y.size == 0:
        raise ValueError("y_true and p must be non-empty and of the same length")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)  # p == 1 goes in the last bin
    table = []
    for i in range(bins):
        inside = which == i
        count = int(inside.sum())
        table.append(
            Bin(
                low=float(edges[i]),
                high=float(edges[i + 1]),
                mean_predicted=float(prob[inside].mean()) if count else None,
                observed_rate=float(y[inside].mean()) if count else None,
                count=count,
            )
        )
    filled = [b for b in table if b.count]
    return Reliability(tuple(table), float(brier_score_loss(y, prob)), int(y.size), _slope(filled))
