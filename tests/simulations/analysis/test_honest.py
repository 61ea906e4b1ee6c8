"""Honest scoring: intervals, references that must be beaten, and the warnings that travel along."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from simulations.analysis.honest import (
    EVERYONE_IGNORES,
    ReactionPrediction,
    Table,
    score_engagement,
    score_reactions,
    score_texts,
    shift_warning,
)
from simulations.analysis.references import own_rate
from simulations.analysis.resampling import case_weights, weighted_ranking


def reaction_world(seed: int = 0, cases: int = 60, personas: int = 40):
    """Personas with stable, very different engagement rates; training and test drawn alike."""
    rng = np.random.default_rng(seed)
    rate = rng.beta(0.6, 3.0, size=personas)
    train = rng.binomial(20, rate)
    persona = np.tile(np.arange(personas), cases)
    case = np.repeat(np.arange(cases), personas)
    true_p = rate[persona]
    engaged = rng.random(len(persona)) < true_p
    action = np.where(engaged, rng.choice(["like", "reply"], size=len(persona)), "ignore")
    own = own_rate({i: (int(train[i]), 20) for i in range(personas)}, list(persona))
    return case, engaged, action, true_p, own


def test_ignore_everything_never_beats():
    case, engaged, action, _, own = reaction_world()
    n = len(engaged)
    table = score_reactions(
        case,
        engaged,
        action,
        {
            "own_rate": ReactionPrediction(own),
            "silent": ReactionPrediction(np.zeros(n), np.zeros(n), np.full(n, "ignore")),
        },
        references=["own_rate"],
        resamples=300,
    )
    assert table.references == (EVERYONE_IGNORES, "own_rate")  # added by itself, references first
    silent = next(r for r in table.rows if r.name == "silent")
    assert all(cell.beats == () for cell in silent.cells.values())
    assert table.beats_all(silent) == ()
    assert silent.cells["roc_auc"].metric.value is None
    assert silent.cells["pr_auc"].metric.value is None
    assert "constant" in silent.cells["roc_auc"].metric.note
    assert [w.code for w in table.warnings] == ["degenerate"]
    assert "silent" in table.warnings[0].text
    # the informative reference is really better, and the table says so
    assert "own_rate" in silent.cells["brier"].loses_to


def test_informative_policy_beats():
    case, engaged, action, true_p, own = reaction_world()
    table = score_reactions(
        case,
        engaged,
        action,
        {"own_rate": ReactionPrediction(own), "oracle": ReactionPrediction(true_p)},
        references=["own_rate"],
        resamples=300,
    )
    oracle = next(r for r in table.rows if r.name == "oracle").cells["roc_auc"]
    reference = next(r for r in table.rows if r.name == "own_rate").cells["roc_auc"].metric
    assert oracle.metric.value == pytest.approx(roc_auc_score(engaged, true_p))
    assert oracle.metric.low < oracle.metric.value < oracle.metric.high
    assert set(oracle.beats) == {EVERYONE_IGNORES, "own_rate"}
    assert "roc_auc" in table.beats_all(next(r for r in table.rows if r.name == "oracle"))
    assert oracle.metric.value > reference.value


def test_weighted_ranking_matches_sklearn_with_sample_weight():
    rng = np.random.default_rng(3)
    labels = rng.random(300) < 0.3
    scores = np.round(rng.random(300), 1)  # many ties
    weights = case_weights(np.repeat(np.arange(30), 10), 5, seed=1)
    auc, ap = weighted_ranking(weights, labels, scores)
    for i in range(5):
        assert auc[i] == pytest.approx(roc_auc_score(labels, scores, sample_weight=weights[i]))
        assert ap[i] == pytest.approx(average_precision_score(labels, scores, sample_weight=weights[i]))


def test_bootstrap_of_5000_rows_is_fast():
    rng = np.random.default_rng(0)
    labels, scores = rng.random(5000) < 0.2, rng.random(5000)
    start = time.perf_counter()
    weighted_ranking(case_weights(np.repeat(np.arange(250), 20), 1000, seed=0), labels, scores)
    assert time.perf_counter() - start < 2.0


def test_small_n_warns():
    real = {"p1": ["This ad is sexist.", "Love it!", "meh", "tone-deaf garbage", "so cute", "why"]}
    simulated = {"policy": {"p1": [("What a sexist ad.", "Our new ad"), ("Love this!", "Our new ad")]}}
    table = score_texts(real, simulated, resamples=200)
    assert [w.code for w in table.warnings] == ["small_n"]
    tone = next(r for r in table.rows if r.name == "policy").cells["tone_js"].metric
    assert tone.value is not None and tone.low is not None and tone.high is not None
    assert tone.n == 2
    assert next(r for r in table.rows if r.name == "real").kind == "reference"


def test_copy_share_and_copying_warning():
    source = "Introducing the new bike that changes how you train at home every day"
    simulated = {
        "parrot": {
            "c1": [(source, source), ("changes how you train at home every day wow", source)],
            "c2": [("Honestly the price is too high for me", source), ("Nice colours", source)],
        }
    }
    table = score_texts({"c1": ["great"], "c2": ["too pricey"]}, simulated, resamples=100)
    copy = next(r for r in table.rows if r.name == "parrot").cells["copy_share"].metric
    assert copy.value == pytest.approx(0.5)
    assert "copying" in [w.code for w in table.warnings]


def test_text_table_with_more_resamples_than_theme_refits():
    real = {f"c{i}": [f"love the bike ride number {i}", "too expensive for me"] for i in range(12)}
    simulated = {"policy": {f"c{i}": [("the bike ride looks great", f"post {i}")] for i in range(12)}}
    table = score_texts(real, simulated, resamples=1000)
    theme = next(r for r in table.rows if r.name == "policy").cells["theme_overlap"].metric
    assert theme.value is not None and theme.low is not None and theme.low <= theme.value <= theme.high


def test_shift_warning():
    rng = np.random.default_rng(0)
    train = np.log1p(rng.poisson(20, size=300))
    jump = np.log1p(rng.poisson(200, size=60))
    assert shift_warning(train, rng.permutation(train)) is None  # the same posts in another order
    warning = shift_warning(train, jump)
    assert warning is not None and warning.code == "shift"


def test_engagement_table_uses_log_counts_and_shift():
    rng = np.random.default_rng(1)
    likes = rng.poisson(rng.gamma(1.0, 30.0, size=80))
    actual = {"likes": likes}
    predictions = {
        "history_mean": {"likes": np.full(80, 10.0)},
        "policy": {"likes": likes * 1.1},
    }
    train = np.log1p(rng.poisson(3, size=200))
    table = score_engagement(
        actual, predictions, references=["history_mean"], train_log_values=train, resamples=300
    )
    policy = next(r for r in table.rows if r.name == "policy")
    assert policy.cells["likes_mae"].metric.value == pytest.approx(
        np.mean(np.abs(np.log1p(likes) - np.log1p(likes * 1.1)))
    )
    assert set(table.beats_all(policy)) == {"likes_mae", "likes_spearman"}
    assert "shift" in [w.code for w in table.warnings]


def test_table_roundtrip_and_markdown():
    case, engaged, action, true_p, own = reaction_world(cases=8, personas=10)
    table = score_reactions(
        case,
        engaged,
        action,
        {"own_rate": ReactionPrediction(own), "oracle": ReactionPrediction(true_p, None, action)},
        references=["own_rate"],
        resamples=100,
    )
    assert Table.from_dict(table.to_dict()) == table
    markdown = table.to_markdown()
    assert "n = 8 cases" in markdown
    lines = markdown.splitlines()
    names = [line.split("|")[1].strip() for line in lines if line.startswith("| ") and "kind" not in line]
    assert names == [EVERYONE_IGNORES, "own_rate", "oracle"]
    assert "beats all references" in markdown
    assert "**small_n**" in markdown
    oracle = next(r for r in table.rows if r.name == "oracle").cells["roc_auc"].metric
    assert f"{oracle.value:.3f} [{oracle.low:.3f}, {oracle.high:.3f}]" in markdown
    assert table.to_dict()["rows"][0]["beats_all_references"] == []


def test_constant_policy_never_beats_even_a_worse_reference():
    case, engaged, action, _, own = reaction_world()
    n = len(engaged)
    wild = np.where(own > 0.2, 1.0, 0.9)  # ranks a little, but its probabilities are absurd
    table = score_reactions(
        case,
        engaged,
        action,
        {"wild": ReactionPrediction(wild), "silent": ReactionPrediction(np.zeros(n))},
        references=["wild"],
        resamples=200,
    )
    silent = next(r for r in table.rows if r.name == "silent")
    wild_brier = next(r for r in table.rows if r.name == "wild").cells["brier"].metric.value
    assert silent.cells["brier"].metric.value < wild_brier  # a point win on Brier...
    assert silent.cells["brier"].beats == ()  # ...that is never reported as beating
