"""Backtest scores on a small real-shaped case, every number computed by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from simulations.analysis.backtest import (
    MissingBaseline,
    compare,
    main_reactions,
    matthews,
    precision_at_k,
    roc_auc,
    score_backtest,
)
from simulations.analysis.records import ActionKind, Reaction
from simulations.analysis.sentiment import Sentiment, TextSentiment

# What six real accounts did when the ad came out (e never saw it), and one provider's simulation.
REAL = [
    ("a", "reply", "This ad is sexist and tone-deaf."),
    ("b", "like", ""),
    ("c", "ignore", ""),
    ("d", "quote", "lol hostage video"),
    ("f", "repost", ""),
]
SIMULATED = [
    Reaction("a", ActionKind.REPLY, "Sexist ad, honestly.", 0.9),
    Reaction("a", ActionKind.LIKE, ""),
    Reaction("b", ActionKind.IGNORE, "", 0.4),
    Reaction("c", ActionKind.LIKE, "", 0.6),
    Reaction("d", ActionKind.REPLY, "This is a hostage video lol", 0.8),
    Reaction("e", ActionKind.LIKE, "", 0.3),
    Reaction("f", ActionKind.IGNORE, "", 0.2),
]
TONE = {
    "This ad is sexist and tone-deaf.": Sentiment.NEGATIVE,
    "lol hostage video": Sentiment.POSITIVE,
    "Sexist ad, honestly.": Sentiment.NEGATIVE,
    "This is a hostage video lol": Sentiment.NEUTRAL,
}


class TableClassifier:
    name = "table"

    def classify(self, texts: Sequence[str], context: str = "") -> list[TextSentiment]:
        return [TextSentiment(TONE[t], 0.0) for t in texts]


@pytest.fixture(scope="module")
def score():
    return score_backtest(REAL, SIMULATED, provider="offline", classifier=TableClassifier())


def test_who_engaged(score):
    # real engagers a, b, d, f; non-engagers c, e. Of the 8 (engager, non-engager) pairs the
    # simulated score orders 5 correctly: (a,c) (a,e) (b,e) (d,c) (d,e).
    assert (score.personas, score.real_engagers, score.simulated_engagers) == (6, 4, 4)
    assert score.roc_auc == pytest.approx(5 / 8)
    # k = 4: top scores a .9, d .8, c .6, b .4 -> a, d, b really engaged
    assert score.k == 4 and score.precision_at_k == pytest.approx(3 / 4)


def test_kind_of_engagement(score):
    assert score.kind_accuracy == pytest.approx(1 / 6)  # only a (reply) matches
    mcc = {ks.kind: ks.mcc for ks in score.kind_mcc}
    assert mcc[ActionKind.REPLY] == pytest.approx(4 / math.sqrt(40))  # tp 1, fp 1, fn 0, tn 4
    assert mcc[ActionKind.LIKE] == pytest.approx(-2 / math.sqrt(40))  # tp 0, fp 2, fn 1, tn 3
    assert mcc[ActionKind.IGNORE] == pytest.approx(-0.5)  # tp 0, fp 2, fn 2, tn 2
    assert mcc[ActionKind.QUOTE] == 0.0 and mcc[ActionKind.REPOST] == 0.0  # never simulated
    assert [ks.kind for ks in score.kind_mcc] == [
        ActionKind.QUOTE, ActionKind.REPLY, ActionKind.REPOST, ActionKind.LIKE, ActionKind.IGNORE,
    ]  # fmt: skip
    assert score.mean_mcc == pytest.approx((4 / math.sqrt(40) - 2 / math.sqrt(40) - 0.5) / 5)


def test_volume(score):
    assert (score.volume_real, score.volume_simulated, score.volume_error) == (4, 5, 1)
    assert score.volume_relative_error == pytest.approx(0.25)


def test_sentiment_distance(score):
    assert score.sentiment_real == {"positive": 0.5, "neutral": 0.0, "negative": 0.5}
    assert score.sentiment_simulated == {"positive": 0.0, "neutral": 0.5, "negative": 0.5}
    # M = (neg .5, neu .25, pos .25); KL(P||M) = KL(Q||M) = 0.5 bit; JS distance = sqrt(0.5)
    assert score.sentiment_distance == pytest.approx(math.sqrt(0.5))


def test_theme_overlap(score):
    # real terms: ad sexist tone-deaf lol hostage video + "ad sexist" "sexist tone-deaf" "lol hostage" "hostage video"
    # simulated: sexist ad honestly hostage video lol + "sexist ad" "ad honestly" "hostage video" "video lol"
    # shared: ad sexist lol hostage video "hostage video" -> 6 of 14
    assert score.theme_overlap == pytest.approx(6 / 14)
    assert len(score.real_terms) == len(score.simulated_terms) == 10


def test_main_reaction_keeps_the_most_expressive_action_and_the_highest_score():
    rows = [Reaction("a", ActionKind.LIKE, "", 0.7), Reaction("a", ActionKind.QUOTE, "hm", 0.2)]
    assert main_reactions(rows)["a"] == Reaction("a", ActionKind.QUOTE, "hm", 0.7)


def test_building_blocks_edge_cases():
    assert roc_auc([True, True], [0.1, 0.9]) is None
    assert roc_auc([True, False], [0.5, 0.5]) == 0.5
    assert precision_at_k({"a": True}, {"a": 1.0}, 0) is None
    assert matthews([True, False], [True, False]) == 1.0
    assert matthews([True, True], [True, True]) == 0.0


def test_binary_predictions_without_scores_and_vader_by_default():
    result = score_backtest(
        [("a", "reply", "So sexist.")], [("a", "reply", "Sexist and gross.")], provider="baseline"
    )
    assert result.roc_auc is None  # one persona, one class
    assert result.kind_accuracy == 1.0 and result.precision_at_k == 1.0
    assert result.sentiment_real == {"positive": 0.0, "neutral": 0.0, "negative": 1.0}
    assert result.sentiment_distance == 0.0


def test_compare_lists_the_baseline_first_and_counts_wins(score):
    baseline = score_backtest(
        REAL, [("a", "like"), ("b", "like")], provider="baseline", classifier=TableClassifier()
    )
    table = compare({"offline": score, "baseline": baseline, "anthropic": score})
    assert [row["provider"] for row in table.rows] == ["baseline", "anthropic", "offline"]
    assert table.rows[0]["beats_baseline"] is None
    # baseline (a, b like; e absent so 5 personas): engagers a b d f, non-engager c;
    # auc: (a,c) (b,c) right, (d,c) (f,c) ties -> 3/4; precision@4: a b c d -> 3/4;
    # kinds: b and c match -> 2/5; mcc like 3/sqrt(24), ignore 2/sqrt(24), others 0;
    # volume 2 of 4 -> relative error 1/2; writes nothing -> no sentiment, overlap 0.
    base = table.rows[0]
    assert base["roc_auc"] == pytest.approx(3 / 4) and base["precision_at_k"] == pytest.approx(3 / 4)
    assert base["kind_accuracy"] == pytest.approx(2 / 5)
    assert base["mean_mcc"] == pytest.approx(5 / math.sqrt(24) / 5)
    assert base["volume_relative_error"] == pytest.approx(0.5)
    assert base["sentiment_distance"] is None and base["theme_overlap"] == 0.0
    # offline wins on volume error (1/4 < 1/2) and theme overlap (6/14 > 0), nothing else
    assert table.rows[2]["beats_baseline"] == 2
    markdown = table.to_markdown()
    assert markdown.splitlines()[0].startswith("| provider | roc_auc |")
    assert markdown.splitlines()[2].startswith("| baseline | 0.750 | 0.750 | 0.400 |")
    assert markdown.splitlines()[2].endswith("| — | 0.000 | — |")
    with pytest.raises(MissingBaseline):
        compare({"offline": score})
