"""VADER sentiment, explainable stance rules, the classifier protocol and segment negativity."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from simulations.analysis.records import PersonaRecord, PostKind, PostRecord
from simulations.analysis.sentiment import (
    Sentiment,
    SentimentClassifier,
    Stance,
    TextSentiment,
    VaderClassifier,
    default_classifier,
    label_responses,
    negative_share_by_segment,
    sentiment_from_score,
    stance_toward_stimulus,
    summarize,
)

AD = PostRecord(
    "ad", "brand", PostKind.POST, "The gift that gives back.", 0, is_stimulus=True, stimulus_id="A"
)


def reply(post_id: str, author: str, text: str, parent: str = "ad", step: int = 1, kind=PostKind.REPLY):
    return PostRecord(post_id, author, kind, text, step, parent_id=parent, root_id="ad")


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.05, Sentiment.POSITIVE),
        (0.0499, Sentiment.NEUTRAL),
        (-0.0499, Sentiment.NEUTRAL),
        (-0.05, Sentiment.NEGATIVE),
    ],
)
def test_vader_thresholds(score, expected):
    assert sentiment_from_score(score) is expected


def test_vader_scores_match_the_package_for_ordinary_words():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    text = "I love this bike, it is great!"
    [label] = VaderClassifier().classify([text])
    assert label.score == SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    assert label.sentiment is Sentiment.POSITIVE


def test_backlash_words_missing_from_stock_vader_are_negative():
    text = "Sexist and body shaming. Who approved this ad?"
    [stock] = VaderClassifier(extra_lexicon={}).classify([text])
    [ours] = VaderClassifier().classify([text])
    assert stock.sentiment is Sentiment.POSITIVE  # why the supplement exists
    assert ours.sentiment is Sentiment.NEGATIVE


def test_default_classifier_is_shared_and_satisfies_the_protocol():
    assert default_classifier() is default_classifier()
    assert isinstance(default_classifier(), SentimentClassifier)


@pytest.mark.parametrize(
    ("text", "sentiment", "parent", "answers_stimulus", "stance", "reason_start"),
    [
        ("Exactly.", Sentiment.NEUTRAL, Stance.OPPOSE, False, Stance.OPPOSE, "agrees"),
        ("Exactly.", Sentiment.NEUTRAL, Stance.SUPPORT, True, Stance.SUPPORT, "agrees"),
        ("Nope, it's fine.", Sentiment.POSITIVE, Stance.OPPOSE, False, Stance.SUPPORT, "contradicts"),
        ("No.", Sentiment.NEUTRAL, Stance.SUPPORT, True, Stance.OPPOSE, "contradicts"),
        ("Love how sexist this is", Sentiment.POSITIVE, Stance.SUPPORT, True, Stance.OPPOSE, "accusation"),
        ("Love this ad", Sentiment.POSITIVE, Stance.SUPPORT, True, Stance.SUPPORT, "support cue"),
        ("lol hostage video", Sentiment.POSITIVE, Stance.SUPPORT, True, Stance.NEUTRAL, "joke cue"),
        ("What a lovely morning", Sentiment.POSITIVE, Stance.SUPPORT, True, Stance.SUPPORT, "positive tone"),
        ("Ugh, awful", Sentiment.NEGATIVE, Stance.SUPPORT, True, Stance.OPPOSE, "negative tone"),
        ("Ugh, awful", Sentiment.NEGATIVE, Stance.OPPOSE, False, Stance.NEUTRAL, "answers another"),
        ("It is a bike.", Sentiment.NEUTRAL, None, False, Stance.NEUTRAL, "neutral tone"),
    ],
)
def test_stance_rules(text, sentiment, parent, answers_stimulus, stance, reason_start):
    found, reasons = stance_toward_stimulus(text, sentiment, parent, answers_stimulus)
    assert found is stance
    assert reasons[0].startswith(reason_start)


def test_label_responses_inherits_stance_along_a_thread():
    posts = [
        AD,
        reply("c1", "p1", "This ad is sexist."),
        reply("c2", "p2", "Exactly.", parent="c1", step=2),
        reply("c3", "p3", "No, it's just a bike.", parent="c1", step=2),
        PostRecord("rp", "p4", PostKind.REPOST, "", 2, parent_id="ad", root_id="ad"),
        reply("c4", "p5", "Ugh, awful.", parent="rp", step=3),
        PostRecord("other", "p6", PostKind.POST, "Lunch time", 1),
    ]
    labels = {lb.post_id: lb for lb in label_responses(posts)}
    assert set(labels) == {"c1", "c2", "c3", "c4"}
    assert labels["c1"].stance is Stance.OPPOSE and labels["c1"].sentiment is Sentiment.NEGATIVE
    assert labels["c2"].stance is Stance.OPPOSE  # agrees with the critic
    assert labels["c3"].stance is Stance.SUPPORT  # contradicts the critic
    assert labels["c4"].stance is Stance.OPPOSE  # a repost of the ad is the ad
    assert {lb.stimulus_post_id for lb in labels.values()} == {"ad"}
    assert labels["c1"].reasons[0].startswith("VADER compound")


def test_label_responses_orders_parents_first_even_within_a_step():
    posts = [AD, reply("b", "p2", "Exactly.", parent="z", step=1), reply("z", "p1", "So sexist.", step=1)]
    labels = {lb.post_id: lb for lb in label_responses(posts)}
    assert labels["b"].stance is Stance.OPPOSE


class FixedJudge:
    """A stand-in for an LLM classifier: answers from a table and judges stance itself."""

    name = "fixed"

    def __init__(self) -> None:
        self.contexts: list[str] = []

    def classify(self, texts: Sequence[str], context: str = "") -> list[TextSentiment]:
        self.contexts.append(context)
        return [TextSentiment(Sentiment.NEGATIVE, -0.9, Stance.OPPOSE, "judge: mocks the ad") for _ in texts]


def test_a_classifier_that_judges_stance_skips_the_rules_and_gets_the_context():
    judge = FixedJudge()
    assert isinstance(judge, SentimentClassifier)
    [label] = label_responses([AD, reply("c1", "p1", "I love this ad!")], judge, context=AD.text)
    assert label.stance is Stance.OPPOSE and label.reasons == ("judge: mocks the ad",)
    assert judge.contexts == [AD.text]


def test_summary_and_negative_share_by_segment():
    posts = [
        AD,
        reply("c1", "p1", "Sexist garbage."),
        reply("c2", "p2", "Tone-deaf and gross."),
        reply("c3", "p3", "I love this ad, great gift!"),
        reply("c4", "stranger", "Body shaming, yikes."),
    ]
    labels = label_responses(posts)
    summary = summarize(labels)
    assert (summary.responses, summary.negative, summary.positive) == (4, 3, 1)
    assert summary.negative_share == 0.75
    assert (summary.oppose, summary.support) == (3, 1)
    personas = [
        PersonaRecord("p1", traits={"gender": "female"}),
        PersonaRecord("p2", traits={"gender": "male"}),
        PersonaRecord("p3", traits={"gender": "male"}),
        PersonaRecord("p9", traits={"gender": "nonbinary"}),
    ]
    shares = {s.segment: s for s in negative_share_by_segment(labels, personas, "gender")}
    assert shares["female"].negative_share == 1.0
    assert shares["male"].negative_share == 0.5
    assert shares["unknown"].responses == 1  # the author is not on the panel
    assert shares["nonbinary"].responses == 0 and shares["nonbinary"].negative_share is None


def test_summary_of_nothing():
    assert summarize([]).negative_share is None


def test_a_reply_whose_parent_is_missing_still_belongs_to_its_stimulus():
    orphan = PostRecord("o", "p1", PostKind.REPLY, "Exactly.", 2, parent_id="deleted", root_id="ad")
    [label] = label_responses([AD, orphan])
    assert label.stimulus_post_id == "ad" and label.parent_id == "deleted"
    assert label.stance is Stance.SUPPORT  # agreeing with the thread's start: the ad itself
