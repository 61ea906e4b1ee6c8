"""Tail-risk statistics, the E-I index, pile-ons and harm labellers against known values."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from simnet.llm.base import LLMResponse
from simulations.analysis.ei_index import ei_index
from simulations.analysis.harm import LexiconHarmLabeller, LLMHarmJudge, pile_ons
from simulations.analysis.records import PostKind, PostRecord
from simulations.analysis.safety import engagement_lost
from simulations.analysis.tail_risk import clopper_pearson, harm_rate, rule_of_three, trials_to_see_one


@pytest.mark.parametrize(("k", "n"), [(0, 50), (1, 10), (3, 1000), (7, 7), (12, 4321)])
def test_clopper_pearson_matches_statsmodels_beta(k: int, n: int) -> None:
    low, high = clopper_pearson(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="beta")
    assert low == pytest.approx(ref_low, abs=1e-12) and high == pytest.approx(ref_high, abs=1e-12)


def test_clopper_pearson_known_value() -> None:
    # 0 of 10: upper bound 1 - 0.025 ** (1/10) = 0.3085 (exact two-sided)
    assert clopper_pearson(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10))


def test_rule_of_three_and_trials_to_see_one() -> None:
    assert rule_of_three(3000) == pytest.approx(0.001)
    # the rule of three approximates the exact one-sided bound 1 - 0.05 ** (1/n)
    assert rule_of_three(3000) == pytest.approx(1 - 0.05 ** (1 / 3000), rel=0.01)
    assert trials_to_see_one(1 / 10_000) == math.ceil(math.log(0.05) / math.log(1 - 1e-4)) == 29956


def test_harm_rate_zero_events_gives_bound_and_replicates_needed() -> None:
    rate = harm_rate("threat", [0, 0, 0], [1000, 1000, 1000])
    assert rate.enough_data and rate.per_10k == 0
    assert rate.rule_of_three_per_10k == pytest.approx(10.0)  # 3 / 3000 per 10,000
    assert rate.replicates_to_see_one == 30  # 29,956 actions at 1/10,000, 1,000 a replicate
    assert "rule of three" in rate.note and "30 replicates" in rate.note


def test_harm_rate_with_events_and_not_enough_data() -> None:
    rate = harm_rate("harassment", [2, 3], [400, 600])
    low, high = proportion_confint(5, 1000, method="beta")
    assert rate.per_10k == pytest.approx(50.0)
    assert (rate.low_per_10k, rate.high_per_10k) == (pytest.approx(low * 1e4), pytest.approx(high * 1e4))
    assert rate.rule_of_three_per_10k is None
    single = harm_rate("threat", [1], [500])
    assert not single.enough_data and single.per_10k is None and "not enough data" in single.note


def test_ei_index_on_a_hand_made_graph() -> None:
    groups = {"a": "D", "b": "D", "c": "R", "d": "R"}
    ties = [("a", "b"), ("a", "c"), ("c", "d"), ("d", "c"), ("b", "c"), ("a", "a"), ("a", "zed")]
    result = ei_index(ties, groups)
    assert (result.external, result.internal, result.skipped) == (2, 3, 2)
    assert result.index == pytest.approx(-0.2)
    assert ei_index([("a", "b")], groups).index == -1.0
    assert ei_index([], groups).index is None


def _reply(pid: str, author: str, parent: str, step: int) -> PostRecord:
    return PostRecord(pid, author, PostKind.REPLY, "x", step, parent_id=parent, root_id=parent)


def test_pile_on_needs_enough_distinct_people_within_the_window() -> None:
    root = PostRecord("p0", "victim", PostKind.POST, "hello", 0)
    replies = [_reply("r1", "a", "p0", 1), _reply("r2", "b", "p0", 2), _reply("r3", "c", "p0", 2)]
    late = [_reply("r1", "a", "p0", 1), _reply("r2", "b", "p0", 2), _reply("r3", "c", "p0", 5)]
    same = [_reply("r1", "a", "p0", 1), _reply("r2", "a", "p0", 1), _reply("r3", "b", "p0", 1)]
    hostile = {"r1": True, "r2": True, "r3": True}
    found = pile_ons([root, *replies], hostile)
    assert [(p.target_id, p.first_step, p.people) for p in found] == [("victim", 1, 3)]
    assert pile_ons([root, *late], hostile) == []
    assert pile_ons([root, *same], hostile) == []
    assert pile_ons([root, *replies], {"r1": True, "r2": True}) == []


def test_lexicon_labeller_says_what_it_is_and_labels_classes() -> None:
    labeller = LexiconHarmLabeller()
    assert labeller.kind == "lexicon" and "lexicon" in labeller.description
    labels = labeller.label(
        ["I will find you, watch your back", "you idiot", "go back where you came from", "hi"]
    )
    assert labels == [
        frozenset({"threat"}),
        frozenset({"harassment"}),
        frozenset({"identity_attack"}),
        frozenset(),
    ]


class _Scripted:
    name, model = "scripted", "judge-1"

    def __init__(self, answers: list) -> None:
        self.answers = answers
        self.seen: list = []

    def generate(self, requests):
        self.seen += requests
        return [
            LLMResponse(r.key, "", data=a, error=None if a is not None else "boom")
            for r, a in zip(requests, self.answers, strict=True)
        ]


def test_model_judge_uses_answers_and_falls_back_to_the_lexicon() -> None:
    provider = _Scripted([{"classes": ["threat"]}, {"classes": ["nonsense"]}, None])
    judge = LLMHarmJudge(provider)  # type: ignore[arg-type]
    labels = judge.label(["polite words", "you idiot", "shut up"])
    assert labels == [frozenset({"threat"}), frozenset({"harassment"}), frozenset({"harassment"})]
    assert (judge.judged, judge.fallbacks, judge.kind) == (1, 2, "model")
    assert provider.seen[0].temperature == 0.0 and provider.seen[0].schema is not None


def test_engagement_lost_against_the_baseline() -> None:
    lost = engagement_lost([100, 110, 90], [50, 55, 45], seed=3)
    assert lost["estimate"] == pytest.approx(0.5)
    assert lost["low"] <= 0.5 <= lost["high"] and lost["n"] == 3
    assert engagement_lost([100], [50]) is None
