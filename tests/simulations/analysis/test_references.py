"""Reference predictors: fitted on the past only, shrunk where the past is thin."""

from __future__ import annotations

import numpy as np
import pytest

from simulations.analysis.references import everyone_ignores, history_mean, own_rate, rolling_mean


def test_rolling_mean_uses_past_only():
    series = np.array([1.0, 3.0, 7.0, 15.0, 1000.0])
    means = rolling_mean(series, 2)
    assert np.isnan(means[0])  # no past at the first origin
    assert means[1] == pytest.approx(1.0)  # only what exists
    assert means[4] == pytest.approx(np.expm1(np.log1p([7.0, 15.0]).mean()))
    changed = series.copy()
    changed[4] = 0.0
    assert rolling_mean(changed, 2)[4] == means[4]  # the value at the origin never leaks in


def test_own_rate_shrinks_sparse():
    counts = {"busy": (50, 100), "new": (1, 1), "heavy": (90, 100)}
    pooled = 141 / 201
    rates = own_rate(counts, ["busy", "new", "heavy", "unseen"])
    assert rates[1] == pytest.approx((1 + 5 * pooled) / 6)  # one like is not a 100% rate
    assert rates[1] < 1.0
    assert rates[0] == pytest.approx((50 + 5 * pooled) / 105)  # plenty of data: close to its own rate
    assert rates[3] == pytest.approx(pooled)


def test_history_mean_and_ignores():
    assert history_mean([0, 3, 15]) == pytest.approx(np.expm1(np.mean(np.log1p([0, 3, 15]))))
    assert not everyone_ignores(4).any() and len(everyone_ignores(4)) == 4
