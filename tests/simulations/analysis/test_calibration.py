"""Reliability bins, slope and Brier score on data whose calibration is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit
from sklearn.metrics import brier_score_loss

from simulations.analysis.calibration import reliability


def test_reliability_perfect_and_overconfident():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, size=20000)
    y = rng.random(20000) < p
    calibrated = reliability(y, p)
    assert calibrated.slope == pytest.approx(1.0, abs=0.06)
    assert calibrated.brier == pytest.approx(brier_score_loss(y, p))
    assert calibrated.n == 20000 and len(calibrated.bins) == 10
    assert sum(b.count for b in calibrated.bins) == 20000
    overconfident = reliability(y, expit(3 * logit(p)))
    assert overconfident.slope < 0.8
    assert overconfident.brier > calibrated.brier


def test_one_filled_bin_has_no_slope():
    result = reliability([1, 0, 1], [0.55, 0.55, 0.56])
    assert result.slope is None
    assert [b.count for b in result.bins if b.count] == [3]
    assert result.to_dict()["bins"][5]["observed_rate"] == pytest.approx(2 / 3)
