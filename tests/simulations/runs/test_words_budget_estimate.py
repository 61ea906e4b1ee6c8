"""A hybrid crowd's estimate counts only the model calls its words budget allows."""

from __future__ import annotations

import pytest

from simulations.learning.words_budget import WordsBudget
from simulations.runs.policy import cap_estimate


def _estimate() -> dict:
    calls = {"low": 10_000.0, "expected": 40_000.0, "high": 90_000.0}
    return {
        "calls": dict(calls),
        "input_tokens": {k: 500 * v for k, v in calls.items()},
        "output_tokens": {k: 30 * v for k, v in calls.items()},
        "cost_usd": {k: 0.001 * v for k, v in calls.items()},
        "notes": [],
    }


def test_the_cap_and_the_share_bound_calls_tokens_and_cost():
    data = _estimate()
    cap_estimate(data, WordsBudget(max_calls=500, share=0.5), steps=10)
    assert data["calls"] == {"low": 5_000.0, "expected": 5_000.0, "high": 5_000.0}
    assert data["cost_usd"]["high"] == pytest.approx(5.0) and data["input_tokens"]["low"] == pytest.approx(
        2_500_000
    )
    assert "500 a step, 50% of the speakers" in data["notes"][0]


def test_no_budget_leaves_the_estimate_alone():
    data = _estimate()
    cap_estimate(data, WordsBudget(), steps=10)
    assert data == _estimate()
