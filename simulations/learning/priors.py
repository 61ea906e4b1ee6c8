"""Pooled priors for short histories: a new account borrows from accounts like it.

With fewer than ``SHORT_HISTORY`` posts an account's own fit is mostly noise, so its level and
coefficients are blended with a pooled model, trusting its own data with weight n / (n + 20): the
usual empirical-Bayes shrinkage, where 20 posts of prior evidence weigh as much as 20 of its own.
"""

from __future__ import annotations

import numpy as np

SHORT_HISTORY = 30
PRIOR_STRENGTH = 20


def own_weight(n: int) -> float:
    """How much an account's own fit counts: 1 from ``SHORT_HISTORY`` posts on, n / (n + 20) below."""
    return 1.0 if n >= SHORT_HISTORY else n / (n + PRIOR_STRENGTH)


def shrink(own: np.ndarray, pooled: np.ndarray, weight: float) -> np.ndarray:
    """Own estimate pulled toward the pooled one; NaN own values (no data) take the pooled value."""
    own = np.where(np.isnan(own), pooled, own)
    return weight * own + (1 - weight) * pooled
