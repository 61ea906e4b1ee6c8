"""Experiment statistics against scipy/statsmodels on known inputs, and by hand where small."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

from simulations.analysis.stats import (
    bootstrap_mean_ci,
    cliffs_delta,
    cohens_d,
    compare_proportions,
    compare_rates,
    hedges_g,
    holm,
    mann_whitney,
    odds_ratio,
    risk_difference,
    welch_t,
)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20191202)


def test_welch_t_equals_scipy():
    a, b = [0.61, 0.55, 0.70, 0.66, 0.58, 0.64], [0.31, 0.45, 0.38, 0.29, 0.50]
    expected = scipy_stats.ttest_ind(a, b, equal_var=False)
    result = welch_t(a, b)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_mann_whitney_equals_scipy():
    a, b = [3, 5, 8, 9, 12, 15], [1, 2, 2, 4, 6]
    expected = scipy_stats.mannwhitneyu(a, b, alternative="two-sided")
    result = mann_whitney(a, b)
    assert (result.statistic, result.p_value) == pytest.approx((expected.statistic, expected.pvalue))


def test_rule_picks_welch_for_large_samples(rng):
    a, b = rng.exponential(1.0, 40), rng.exponential(1.3, 35)  # skewed, but n >= 30 in both
    result = compare_rates(a, b)
    assert result.test == "welch_t"
    assert result.p_value == pytest.approx(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_rule_picks_welch_for_small_normal_samples():
    a = [0.50, 0.52, 0.48, 0.51, 0.49, 0.53, 0.47, 0.50]
    b = [0.40, 0.43, 0.38, 0.41, 0.42, 0.39, 0.44, 0.40]
    result = compare_rates(a, b)
    assert result.test == "welch_t" and "Shapiro" in result.reason


def test_rule_picks_mann_whitney_for_small_skewed_samples():
    a = [0.01, 0.02, 0.01, 0.03, 0.02, 0.90, 0.01, 0.02]  # one seed exploded
    b = [0.10, 0.12, 0.11, 0.09, 0.13, 0.10, 0.11, 0.12]
    result = compare_rates(a, b)
    assert result.test == "mann_whitney_u"
    assert result.p_value == pytest.approx(scipy_stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def test_rule_edge_cases():
    assert compare_rates([0.5], [0.4, 0.6]).p_value is None
    identical = compare_rates([0.2, 0.2, 0.2], [0.2, 0.2])
    assert (identical.test, identical.p_value) == ("identical", 1.0)
    no_spread = compare_rates([0.2] * 6, [0.3] * 6)
    assert no_spread.test == "mann_whitney_u" and no_spread.p_value < 0.01


def test_proportions_use_chi_squared_when_counts_are_large():
    table = np.array([[48, 52], [21, 79]])
    chi2, p_value, _, _ = scipy_stats.chi2_contingency(table)
    result = compare_proportions(48, 100, 21, 100)
    assert result.test == "chi_squared"
    assert (result.statistic, result.p_value) == pytest.approx((chi2, p_value))


def test_proportions_use_fisher_when_an_expected_count_is_small():
    expected = scipy_stats.fisher_exact([[4, 6], [0, 10]])
    result = compare_proportions(4, 10, 0, 10)
    assert result.test == "fisher_exact"
    assert result.p_value == pytest.approx(expected.pvalue)


def test_proportion_edge_cases():
    assert compare_proportions(0, 0, 1, 5).p_value is None
    assert compare_proportions(0, 10, 0, 12).test == "identical"
    with pytest.raises(ValueError):
        compare_proportions(6, 5, 1, 5)


def test_effect_sizes_by_hand():
    a, b = [1, 2, 3, 4], [3, 4, 5, 6]
    assert cohens_d(a, b) == pytest.approx(-2 / np.sqrt(5 / 3))  # pooled variance 5/3
    assert hedges_g(a, b) == pytest.approx(-2 / np.sqrt(5 / 3) * (1 - 3 / 23))
    assert cliffs_delta([1, 2, 3], [2, 2, 4]) == pytest.approx(-1 / 3)  # 2 greater, 5 smaller of 9 pairs
    assert cohens_d([1, 1], [1, 1]) is None and cohens_d([1], [2, 3]) is None
    assert cliffs_delta([], [1]) is None


def test_risk_difference_and_odds_ratio():
    assert risk_difference(48, 100, 21, 100) == pytest.approx(0.27)
    assert odds_ratio(48, 100, 21, 100) == pytest.approx(
        scipy_stats.fisher_exact([[48, 52], [21, 79]]).statistic
    )
    assert odds_ratio(4, 10, 0, 10) == pytest.approx((4.5 * 10.5) / (6.5 * 0.5))  # Haldane-Anscombe


def test_holm_equals_statsmodels():
    p_values = [0.01, 0.04, 0.03, 0.005, 0.2]
    expected = multipletests(p_values, method="holm")[1]
    np.testing.assert_allclose(holm(p_values), expected)
    assert holm([]) == []


def test_bootstrap_ci_is_reproducible_by_seed(rng):
    values = rng.beta(2, 5, 12)
    first, again = bootstrap_mean_ci(values, seed=4), bootstrap_mean_ci(values, seed=4)
    other = bootstrap_mean_ci(values, seed=5)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    assert first.estimate == pytest.approx(values.mean())
    assert first.low < first.estimate < first.high
    assert first.method == "bca" and first.n == 12


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_ci_covers_the_true_mean_about_95_percent_of_the_time(method):
    rng = np.random.default_rng(11)
    true_mean, trials = 0.3, 200
    covered = 0
    for trial in range(trials):
        sample = rng.normal(true_mean, 0.1, 30)
        ci = bootstrap_mean_ci(sample, seed=trial, n_resamples=1000, method=method)
        covered += ci.low <= true_mean <= ci.high
    assert 0.89 <= covered / trials <= 0.99


def test_bootstrap_falls_back_to_percentile_for_large_samples(rng):
    ci = bootstrap_mean_ci(rng.random(1500), n_resamples=200)
    assert ci.method == "percentile" and ci.low < ci.estimate < ci.high


def test_bootstrap_degenerate_inputs():
    assert bootstrap_mean_ci([0.4]).method == "degenerate"
    flat = bootstrap_mean_ci([0.2, 0.2, 0.2])
    assert (flat.low, flat.high, flat.method) == (0.2, 0.2, "degenerate")
    with pytest.raises(ValueError):
        bootstrap_mean_ci([])
    with pytest.raises(ValueError):
        bootstrap_mean_ci([1.0, 2.0], method="normal")
