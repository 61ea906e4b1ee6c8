"""Reference predictors a policy must beat before its scores mean anything.

Each is fitted on the training period only and never sees the test period:

- ``everyone_ignores``: nobody engages. On rare engagement it looks accurate and must never
  be reported as beating anything;
- ``own_rate``: each persona engages at its own past rate, shrunk toward the pooled rate by
  a Beta prior worth ``PRIOR_STRENGTH`` posts, so a persona seen twice is not predicted 0 or 1;
- ``history_mean`` / ``rolling_mean``: a post gets the typical engagement of earlier posts.

Engagement counts are heavy-tailed, so the engagement references average log1p(count) and
return counts again (expm1), ready to sit beside a policy's predicted counts.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

PRIOR_STRENGTH = 5.0


def everyone_ignores(n: int) -> np.ndarray:
    """Probability 0 of engaging for each of ``n`` (post, persona) pairs."""
    return np.zeros(n)


def own_rate(train_counts: Mapping[Hashable, tuple[int, int]], personas: Sequence[Hashable]) -> np.ndarray:
    """Each persona's shrunk engagement rate, (engaged + 5 * pooled) / (seen + 5).

    ``train_counts`` maps a persona to (posts engaged with, posts seen) in training; a persona
    missing from it gets the pooled rate.
    """
    engaged = sum(e for e, _ in train_counts.values())
    seen = sum(s for _, s in train_counts.values())
    pooled = engaged / seen if seen else 0.0
    rates = []
    for persona in personas:
        e, s = train_counts.get(persona, (0, 0))
        rates.append((e + PRIOR_STRENGTH * pooled) / (s + PRIOR_STRENGTH))
    return np.asarray(rates, dtype=float)


def history_mean(train_values: Sequence[float]) -> float:
    """The count whose log1p is the training posts' mean log1p(count)."""
    values = np.asarray(train_values, dtype=float)
    if values.size == 0:
        raise ValueError("history_mean needs at least one training value")
    return float(np.expm1(np.log1p(values).mean()))


def rolling_mean(series: Sequence[float], k: int) -> np.ndarray:
    """For each origin i, the log1p-mean count of the ``k`` values before i (never i itself).

    Early origins use the fewer values that exist; origin 0 has no past and gets NaN, so pass
    the training history in front of the test posts and keep the tail.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    logs = np.log1p(np.asarray(series, dtype=float))
    sums = np.concatenate(([0.0], np.cumsum(logs)))
    origins = np.arange(len(logs))
    starts = np.maximum(origins - k, 0)
    counts = origins - starts
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums[origins] - sums[starts]) / counts
    return np.expm1(means)
