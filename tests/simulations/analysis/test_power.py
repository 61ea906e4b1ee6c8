"""Power advice: monotonic in effect, power and alpha, and equal to statsmodels' own answers."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from simulations.analysis.power import (
    MANN_WHITNEY_EFFICIENCY,
    replicates_for_difference,
    replicates_for_effect,
    trials_for_proportions,
)


@pytest.mark.parametrize("effect", [0.2, 0.5, 0.8, 1.5])
def test_matches_statsmodels_t_test_power(effect):
    expected = TTestIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8, ratio=1.0)
    assert replicates_for_effect(effect) == math.ceil(expected)
    assert replicates_for_effect(-effect) == math.ceil(expected)


def test_known_value_for_a_medium_effect():
    assert replicates_for_effect(0.5) == 64  # the textbook answer for d = 0.5


def test_mann_whitney_needs_more_by_its_relative_efficiency():
    t_size = TTestIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8, ratio=1.0)
    assert replicates_for_effect(0.5, test="mann_whitney_u") == math.ceil(t_size / MANN_WHITNEY_EFFICIENCY)


def test_monotonic_in_effect_power_and_alpha():
    sizes = [replicates_for_effect(d) for d in (0.2, 0.3, 0.5, 0.8, 1.2, 2.0)]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    by_power = [replicates_for_effect(0.5, power=p) for p in (0.6, 0.7, 0.8, 0.9, 0.95)]
    assert by_power == sorted(by_power) and len(set(by_power)) == len(by_power)
    by_alpha = [replicates_for_effect(0.5, alpha=a) for a in (0.001, 0.01, 0.05, 0.1)]
    assert by_alpha == sorted(by_alpha, reverse=True)


def test_raw_difference_is_standardised_by_the_spread():
    assert replicates_for_difference(0.05, 0.1) == replicates_for_effect(0.5)
    with pytest.raises(ValueError):
        replicates_for_difference(0.05, 0.0)


def test_proportions_match_statsmodels_normal_power():
    h = proportion_effectsize(0.48, 0.21)
    expected = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    assert trials_for_proportions(0.48, 0.21) == math.ceil(expected)
    assert trials_for_proportions(0.21, 0.48) == math.ceil(expected)
    assert trials_for_proportions(0.3, 0.3) is None


def test_edge_cases():
    assert replicates_for_effect(0.0) is None
    assert replicates_for_effect(10.0) == 2  # never fewer than two replicates per variant
    assert replicates_for_effect(1e-4) > 1_000_000
    with pytest.raises(ValueError):
        replicates_for_effect(0.5, power=1.0)
    with pytest.raises(ValueError):
        replicates_for_effect(0.5, test="anova")
