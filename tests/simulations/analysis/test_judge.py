"""The language-model judge as a sentiment classifier: labels, fallbacks, what it paid."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from simnet.llm.base import LLMRequest, LLMResponse, QuotaExceeded, Usage
from simnet.llm.pricing import FREE, Price
from simnet.llm.tokens import count_tokens
from simulations.analysis.judge import (
    JUDGE_SCHEMA,
    LABEL_TOKENS,
    MAX_TOKENS,
    LLMJudge,
    judge_cost,
    judge_system,
)
from simulations.analysis.records import PostKind, PostRecord
from simulations.analysis.sentiment import Sentiment, Stance, label_responses
from simulations.engine.estimate import Range

AD = "The gift that gives back. Give the Peloton Bike this holiday."


class TableJudge:
    """Answers from a table (text -> answer JSON); a text it does not know gets an error."""

    name = "table"
    model = "judge-1"

    def __init__(self, answers: dict[str, dict | str], cached: Sequence[str] = ()) -> None:
        self.answers = answers
        self.cached = set(cached)
        self.requests: list[LLMRequest] = []

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        self.requests += requests
        responses = []
        for request in requests:
            text = request.user.removeprefix("Text to label:\n")
            answer = self.answers.get(text)
            if answer is None:
                responses.append(LLMResponse(request.key, "", error="no answer"))
                continue
            data = answer if isinstance(answer, dict) else None
            cached = text in self.cached
            usage = Usage(input_tokens=100, output_tokens=10, cost_usd=0.001)
            responses.append(LLMResponse(request.key, str(answer), data=data, usage=usage, cached=cached))
        return responses


def test_labels_come_from_the_judge_with_the_stimulus_in_the_stable_prefix():
    judge = TableJudge({"lol she looks like a hostage": {"sentiment": "neutral", "stance": "oppose"}})
    [label] = LLMJudge(judge).classify(["lol she looks like a hostage"], context=AD)
    assert (label.sentiment, label.stance, label.score) == (Sentiment.NEUTRAL, Stance.OPPOSE, 0.0)
    assert label.reason == "judged by judge-1"
    [request] = judge.requests
    assert AD in request.system and "hostage" not in request.system  # the prefix is shared by every reply
    assert request.schema == JUDGE_SCHEMA and request.temperature == 0.0


def test_unusable_answers_fall_back_to_the_lexicon_and_are_counted():
    judge = TableJudge(
        {
            "Love it, great gift": {"sentiment": "positive", "stance": "support"},
            "Sexist and tone-deaf.": {"sentiment": "furious", "stance": "oppose"},  # not a label
        }
    )
    classifier = LLMJudge(judge)
    good, bad_label, no_answer = classifier.classify(
        ["Love it, great gift", "Sexist and tone-deaf.", "What a terrible, awful ad"], context=AD
    )
    assert good.sentiment is Sentiment.POSITIVE and good.stance is Stance.SUPPORT
    assert bad_label.sentiment is Sentiment.NEGATIVE and bad_label.stance is None  # VADER: the rules decide
    assert no_answer.sentiment is Sentiment.NEGATIVE and no_answer.reason.startswith(
        "vader (the judge gave no"
    )
    assert (classifier.judged, classifier.fallbacks) == (1, 2)


def test_only_answers_not_served_from_the_cache_are_paid_for():
    answers = {t: {"sentiment": "negative", "stance": "oppose"} for t in ("a b c", "d e f", "g h i")}
    classifier = LLMJudge(TableJudge(answers, cached=["d e f"]))
    classifier.classify(list(answers))
    assert classifier.usage.calls == 2 and classifier.usage.cost_usd == pytest.approx(0.002)


def test_large_batches_are_split_and_keep_their_order():
    texts = [f"reply number {i}" for i in range(70)]
    answers = {
        t: {"sentiment": "positive" if i % 2 else "negative", "stance": "neutral"}
        for i, t in enumerate(texts)
    }
    judge = TableJudge(answers)
    labels = LLMJudge(judge).classify(texts)
    assert [lb.sentiment for lb in labels] == [
        Sentiment.POSITIVE if i % 2 else Sentiment.NEGATIVE for i in range(70)
    ]
    assert len({r.key for r in judge.requests}) == 70


def test_the_judges_stance_replaces_the_cue_rules_in_a_report():
    posts = [
        PostRecord("ad", "brand", PostKind.POST, AD, 0, is_stimulus=True),
        PostRecord(
            "r1", "p1", PostKind.REPLY, "lol she looks like a hostage", 1, parent_id="ad", root_id="ad"
        ),
    ]
    judge = TableJudge({"lol she looks like a hostage": {"sentiment": "negative", "stance": "oppose"}})
    [judged] = label_responses(posts, LLMJudge(judge), context=AD)
    [ruled] = label_responses(posts)
    assert (judged.sentiment, judged.stance) == (Sentiment.NEGATIVE, Stance.OPPOSE)
    assert ruled.stance is Stance.NEUTRAL  # the cue rules read it as a joke, not as opposition


def test_a_provider_wide_failure_reaches_the_caller():
    class Broke:
        name, model = "broke", "x"

        def generate(self, requests):
            raise QuotaExceeded("no credit")

    with pytest.raises(QuotaExceeded):
        LLMJudge(Broke()).classify(["anything"])


def test_the_judges_cost_is_one_call_per_response_at_the_models_prices() -> None:
    price = Price(input=2.0, output=10.0, cache_read=0.2, cache_write=2.5)
    cost = judge_cost(Range(0, 50, 200), context=AD, text_tokens=Range(10, 30, 120), price=price)
    prefix = count_tokens(judge_system(AD)) + 5
    assert cost.calls == Range(0, 50, 200)
    assert cost.input_tokens == Range(0, 50 * (prefix + 30), 200 * (prefix + 120))
    assert cost.output_tokens == Range(0, 50 * LABEL_TOKENS, 200 * MAX_TOKENS)
    expected_usd = (50 * (prefix + 30) * 2.0 + 50 * LABEL_TOKENS * 10.0) / 1_000_000
    assert cost.cost_usd.low == 0 and cost.cost_usd.expected == pytest.approx(expected_usd)
    free = judge_cost(Range(0, 50, 200), context=AD, text_tokens=Range(10, 30, 120), price=FREE)
    assert free.cost_usd.high == 0
