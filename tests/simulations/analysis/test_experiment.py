"""Verdicts: 'better/worse' only when significant after Holm, otherwise an explicit 'cannot tell'."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from simulations.analysis.experiment import (
    compare_counts,
    compare_replicates,
    compare_variants,
    decide,
)
from simulations.analysis.power import replicates_for_effect, trials_for_proportions
from simulations.analysis.stats import holm


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(2019)


def test_a_clear_difference_is_reported_with_direction(rng):
    original = rng.normal(0.62, 0.05, 12).clip(0, 1)
    self_gift = rng.normal(0.12, 0.05, 12).clip(0, 1)
    comparison = compare_replicates(
        "negative share", "B", self_gift, "A", original, higher_is_better=False, seed=1
    )
    verdict = decide([comparison])
    [decided] = verdict.comparisons
    assert decided.significant and decided.a_is_better
    assert decided.verdict.startswith("B is better than A on negative share (0.1")
    assert "Holm-adjusted p = " in decided.verdict
    assert verdict.summary == decided.verdict
    assert decided.a.low < decided.a.estimate < decided.a.high
    assert decided.hedges_g < -3 and decided.cliffs_delta == -1.0


def test_higher_is_better_flips_the_word(rng):
    a, b = rng.normal(0.30, 0.02, 10), rng.normal(0.20, 0.02, 10)
    [up] = decide([compare_replicates("engagement rate", "A", a, "B", b, higher_is_better=True)]).comparisons
    [down] = decide(
        [compare_replicates("negative share", "A", a, "B", b, higher_is_better=False)]
    ).comparisons
    assert "A is better than B" in up.verdict and "A is worse than B" in down.verdict


def test_overlapping_variants_cannot_be_told_apart_and_get_power_advice(rng):
    a, b = rng.normal(0.50, 0.10, 8), rng.normal(0.47, 0.10, 8)
    comparison = compare_replicates("negative share", "B", a, "A", b, higher_is_better=False)
    verdict = decide([comparison])
    [decided] = verdict.comparisons
    assert not decided.significant and decided.a_is_better is None
    assert decided.needed_per_variant == replicates_for_effect(decided.hedges_g, test=decided.test.test)
    assert decided.verdict.startswith("The data cannot tell B and A apart on negative share")
    assert f"run about {decided.needed_per_variant} replicates per variant" in decided.verdict
    assert verdict.summary.startswith("The data cannot tell these variants apart on any metric")
    assert not verdict.any_significant


def test_holm_correction_decides_across_metrics(rng):
    base = compare_replicates(
        "m", "B", rng.normal(0, 1, 10), "A", rng.normal(0, 1, 10), higher_is_better=True
    )
    raw = [0.01, 0.04, 0.03]
    comparisons = [
        replace(base, metric=f"m{i}", difference=1.0, test=replace(base.test, p_value=p))
        for i, p in enumerate(raw)
    ]
    comparisons = [replace(c, test=replace(c.test, test="welch_t")) for c in comparisons]
    verdict = decide(comparisons)
    assert [c.p_adjusted for c in verdict.comparisons] == pytest.approx(holm(raw))  # 0.03, 0.06, 0.06
    assert [c.significant for c in verdict.comparisons] == [True, False, False]
    assert "On the other 2 comparisons the data cannot tell the variants apart." in verdict.summary
    # planning uses Holm's strictest step: alpha / 3
    hedges = verdict.comparisons[1].hedges_g
    assert verdict.comparisons[1].needed_per_variant == replicates_for_effect(hedges, alpha=0.05 / 3)


def test_too_few_replicates_is_said_plainly():
    [decided] = decide(
        [compare_replicates("m", "B", [0.4], "A", [0.5, 0.6], higher_is_better=True)]
    ).comparisons
    assert decided.p_adjusted is None and not decided.significant
    assert decided.verdict == "The data cannot tell B and A apart on m: fewer than 2 replicates in a variant."


def test_identical_replicates_say_no_difference():
    [decided] = decide(
        [compare_replicates("m", "B", [0.4] * 5, "A", [0.4] * 5, higher_is_better=True)]
    ).comparisons
    assert decided.verdict.endswith("No difference was observed at all.")


def test_pooled_counts_use_proportion_tests_and_advise_responses():
    comparison = compare_counts("negative replies", "B", 21, 100, "A", 48, 100, higher_is_better=False)
    [decided] = decide([comparison]).comparisons
    assert decided.test.test == "chi_squared"
    assert decided.risk_difference == pytest.approx(-0.27)
    assert decided.significant and decided.a_is_better
    assert decided.needed_unit == "responses"
    assert decided.needed_per_variant == trials_for_proportions(0.21, 0.48)
    low, high = proportion_confint(21, 100, method="wilson")
    assert (decided.a.estimate, decided.a.low, decided.a.high, decided.a.method) == (
        0.21,
        low,
        high,
        "wilson",
    )
    with pytest.raises(ValueError):
        compare_counts("x", "B", 0, 0, "A", 1, 2, higher_is_better=True)


def test_compare_variants_tests_every_variant_against_the_baseline(rng):
    def replicates(negative_mean: float, rate_mean: float) -> list[dict[str, float | None]]:
        return [
            {
                "negative_share": float(rng.normal(negative_mean, 0.04)),
                "engagement_rate": float(rng.normal(rate_mean, 0.02)),
            }
            for _ in range(10)
        ]

    data = {"A": replicates(0.6, 0.10), "B": replicates(0.15, 0.10), "C": replicates(0.58, 0.10)}
    data["C"][0]["negative_share"] = None  # a failed replicate is left out, not counted as zero
    verdict = compare_variants(data, "A", {"negative_share": False, "engagement_rate": True}, seed=3)
    assert [(c.a_label, c.metric) for c in verdict.comparisons] == [
        ("B", "negative_share"), ("B", "engagement_rate"), ("C", "negative_share"), ("C", "engagement_rate"),
    ]  # fmt: skip
    by_key = {(c.a_label, c.metric): c for c in verdict.comparisons}
    assert by_key[("B", "negative_share")].significant and by_key[("B", "negative_share")].a_is_better
    assert by_key[("C", "negative_share")].a.n == 9
    assert verdict.summary.startswith("B is better than A on negative_share")
    with pytest.raises(ValueError):
        compare_variants(data, "Z", {"negative_share": False})


def test_verdicts_name_metrics_in_words_when_given_labels():
    data = {
        "A": [{"negative_share": v} for v in (0.61, 0.58, 0.66, 0.6, 0.63)],
        "B": [{"negative_share": v} for v in (0.11, 0.16, 0.12, 0.14, 0.1)],
    }
    labels = {"negative_share": "negative share of replies"}
    [named] = compare_variants(data, "A", {"negative_share": False}, labels=labels).comparisons
    assert named.verdict.startswith("B is better than A on negative share of replies (")
    [bare] = compare_variants(data, "A", {"negative_share": False}).comparisons
    assert bare.verdict.startswith("B is better than A on negative_share (")


def test_the_summary_says_when_replicates_show_no_reaction_that_differs():
    silent = {"A": [{"m": 0.0, "n": 0.0}] * 5, "B": [{"m": 0.0, "n": 0.0}] * 5}
    summary = compare_variants(silent, "A", {"m": True, "n": True}).summary
    assert summary.startswith("The data cannot tell these variants apart")
    assert "Every replicate of every variant gave the same value on every metric" in summary
    partly = {
        "A": [{"m": 0.0, "n": v} for v in (1, 2, 3, 4)],
        "B": [{"m": 0.0, "n": v} for v in (2, 3, 1, 4)],
    }
    summary = compare_variants(partly, "A", {"m": True, "n": True}).summary
    assert "On 1 of the 2 comparisons every replicate gave the same value." in summary
