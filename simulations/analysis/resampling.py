"""Case bootstrap, vectorised: every resample at once, as weights over the rows.

A resample draws the cases (real posts) with replacement; a row then counts as many times
as its case was drawn, so each metric is a weighted one computed for all resamples in a few
array operations (1000 resamples of 5000 rows in milliseconds, not a loop of sklearn calls).
Intervals are percentile intervals; a paired difference uses the same resamples on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

LEVEL = 0.95
RANKING_BLOCK = 200  # resamples per block in weighted_ranking


def interval(samples: np.ndarray) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def paired(policy: np.ndarray, reference: np.ndarray, higher_is_better: bool) -> int:
    """+1 when the paired-difference interval clears 0 the good way, -1 the bad way, else 0."""
    low, high = interval(policy - reference)
    if low is None or high is None:
        return 0
    if higher_is_better:
        return 1 if low > 0 else -1 if high < 0 else 0
    return 1 if high < 0 else -1 if low > 0 else 0


def case_weights(case_ids: Sequence, resamples: int, seed: int) -> np.ndarray:
    """(resamples, rows) multiplicities: each resample draws the cases with replacement."""
    _, inverse = np.unique(np.asarray(case_ids), return_inverse=True)
    cases = int(inverse.max()) + 1
    counts = np.random.default_rng(seed).multinomial(cases, np.full(cases, 1 / cases), size=resamples)
    return counts[:, inverse].astype(float)


def _ranking_block(w: np.ndarray, y: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUC and average precision of rows already sorted by descending score (see below)."""
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * (1 - y), starts, axis=1)
    true_pos, false_pos = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    total_pos, total_neg = true_pos[:, -1], false_pos[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (total_neg[:, None] - false_pos + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)
        precision = np.where(true_pos + false_pos > 0, true_pos / (true_pos + false_pos), 0.0)
        average_precision = (pos * precision).sum(axis=1) / total_pos
    undefined = (total_pos == 0) | (total_neg == 0)
    auc[undefined], average_precision[undefined] = np.nan, np.nan
    return auc, average_precision


def weighted_ranking(
    weights: np.ndarray, labels: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC and average precision under each row of ``weights``.

    Ties count one half in the AUC and form one threshold in the average precision, as in
    sklearn's ``roc_auc_score`` and ``average_precision_score`` with ``sample_weight``.
    NaN where a resample has no positive or no negative. Rows go in blocks that fit the
    processor cache (twice as fast as one pass over all of them).
    """
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    y = labels[order].astype(float)
    blocks = [
        _ranking_block(weights[i : i + RANKING_BLOCK][:, order], y, starts)
        for i in range(0, len(weights), RANKING_BLOCK)
    ]
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


def weighted_mean(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ values) / weights.sum(axis=1)


def spearman_samples(actual: np.ndarray, predicted: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Spearman correlation on every resample: Pearson correlation of the resampled ranks."""
    a = rankdata(actual[index], axis=1)
    p = rankdata(predicted[index], axis=1)
    a -= a.mean(axis=1, keepdims=True)
    p -= p.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * p).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (p * p).sum(axis=1))
