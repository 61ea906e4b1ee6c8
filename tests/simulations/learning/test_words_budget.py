"""The words budget: a cheap policy decides for everyone, the model writes for the admitted only."""

from __future__ import annotations

from collections import Counter

import pytest

from simnet.llm.base import FeedItem, LLMRequest, LLMResponse, Situation, Usage
from simulations.learning.hybrid import MODEL_WORDS, OVER_BUDGET, HybridProvider
from simulations.learning.words_budget import WordsBudget
from tests.simulations.learning.test_hybrid import FITNESS, _model

WORDS = "Love this, my legs still hurt from yesterday."


class CountingWriter:
    """A writer whose every text passes the quality gate; counts the calls it gets."""

    name, model = "writer", "w-1"

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, requests):
        self.calls += len(requests)
        return [LLMResponse(r.key, WORDS, usage=Usage(input_tokens=10, output_tokens=5)) for r in requests]


def _crowd(n: int, *, propensities: dict | None = None) -> list[LLMRequest]:
    requests = []
    for i in range(n):
        items = (FeedItem("p1", "coach", "coach", FITNESS, "post", relevance=0.9),)
        situation = Situation(
            f"a{i}", 3, items, propensities or {"post": 0.0}, {}, "feed", voice=f"You are a{i}."
        )
        requests.append(LLMRequest(f"a{i}", "system", "user", seed=1000 + i, situation=situation))
    return requests


def _gather(provider: HybridProvider, requests: list[LLMRequest], batch: int) -> list[LLMResponse]:
    provider.plan_words(requests)
    answers = []
    for start in range(0, len(requests), batch):
        answers += provider.generate(requests[start : start + batch])
    return answers


def test_a_cap_is_honoured_across_batches_and_the_others_react_without_words():
    requests = _crowd(200)
    unlimited = Counter(
        a.data["action"] for a in HybridProvider(_model(), CountingWriter()).generate(requests)
    )
    assert unlimited["reply"] > 40  # the control: many want to speak

    writer = CountingWriter()
    answers = _gather(HybridProvider(_model(), writer, budget=WordsBudget(max_calls=7)), requests, batch=9)
    written = [a for a in answers if a.data["text"]]
    unvoiced = [a for a in answers if OVER_BUDGET in a.data["reason"]]
    assert writer.calls == 7 and len(written) == 7
    assert all(a.data["text"] == WORDS and MODEL_WORDS in a.data["reason"] for a in written)
    assert len(unvoiced) == unlimited["reply"] - 7  # every other speaker still acted, without words
    assert {a.data["action"] for a in unvoiced} == {"like"} and all(
        a.data["target"] == "P1" for a in unvoiced
    )
    assert all(not a.data["text"] and MODEL_WORDS not in a.data["reason"] for a in unvoiced)
    assert all(a.data["reason"].startswith("reaction model: reply chance") for a in unvoiced)


def test_the_pick_is_the_same_whatever_the_batches():
    requests = _crowd(120)
    budget = WordsBudget(max_calls=5, share=0.5)
    one = _gather(HybridProvider(_model(), CountingWriter(), budget=budget), requests, batch=120)
    many = _gather(HybridProvider(_model(), CountingWriter(), budget=budget), requests, batch=4)
    assert [a.data for a in one] == [a.data for a in many]


def test_a_share_writes_for_exactly_that_share_of_the_speakers():
    requests = _crowd(200)
    speakers = sum(
        a.data["action"] == "reply" for a in HybridProvider(_model(), CountingWriter()).generate(requests)
    )
    writer = CountingWriter()
    answers = _gather(HybridProvider(_model(), writer, budget=WordsBudget(share=0.25)), requests, batch=50)
    assert writer.calls == round(0.25 * speakers) == sum(bool(a.data["text"]) for a in answers)


def test_zero_calls_means_no_model_words_at_all():
    writer = CountingWriter()
    answers = _gather(HybridProvider(_model(), writer, budget=WordsBudget(max_calls=0)), _crowd(80), batch=80)
    assert writer.calls == 0 and not any(a.data["text"] for a in answers)


def test_a_budget_without_the_step_is_refused():
    with pytest.raises(RuntimeError, match="plan_words"):
        HybridProvider(_model(), CountingWriter(), budget=WordsBudget(max_calls=3)).generate(_crowd(3))


def test_without_a_reaction_model_the_rules_decide_and_the_model_writes():
    requests = _crowd(300, propensities={"reply": 0.3, "like": 0.3, "post": 0.05})
    writer = CountingWriter()
    answers = HybridProvider(None, writer).generate(requests)
    actions = Counter(a.data["action"] for a in answers)
    assert actions["reply"] > 30 and actions["like"] > 30 and actions["post"] > 3
    worded = [a for a in answers if a.data["action"] in ("reply", "quote", "post")]
    assert writer.calls == len(worded) and all(a.data["text"] == WORDS for a in worded)
    assert all(
        a.data["reason"].startswith("calibrated baseline") for a in answers if a.data["action"] != "ignore"
    )


class CopyingWriter(CountingWriter):
    """Copies the post it answers: the quality gate refuses every text."""

    def generate(self, requests):
        self.calls += len(requests)
        return [LLMResponse(r.key, r.user.split('"')[1], usage=Usage(output_tokens=5)) for r in requests]


def test_refused_texts_are_not_asked_again_within_a_budget():
    writer = CopyingWriter()
    answers = _gather(
        HybridProvider(_model(), writer, budget=WordsBudget(max_calls=6)), _crowd(200), batch=25
    )
    assert writer.calls == 6  # a retry would be a call over the budget
    refused = [a for a in answers if "without words: quality gate" in a.data["reason"]]
    assert len(refused) == 6 and all(a.data["action"] == "like" and not a.data["text"] for a in refused)
    assert not any(a.error for a in answers)
