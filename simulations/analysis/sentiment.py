"""Sentiment of every reply and quote, and its stance toward the stimulus, offline.

Sentiment comes from a pluggable ``SentimentClassifier``; the default is VADER (compound
>= 0.05 positive, <= -0.05 negative, as its authors recommend). Stance is decided by rules
that can be read back to the customer, applied in this order:

1. a reply that opens by agreeing ("Exactly.", "This!") takes the stance of what it answers,
   one that opens by contradicting ("No,", "Nope") takes the opposite (answering the
   stimulus itself counts as answering a supporter);
2. an accusation cue ("sexist", "tone-deaf", "boycott") means oppose;
3. a support cue ("love this", "want one") means support unless the tone is negative;
4. a joke cue ("lol", "hostage video", 😂) without a support cue means neutral: VADER reads
   laughter as positive, but mocking an ad is not supporting it;
5. otherwise the sentiment decides, but only for direct answers to the stimulus (or to an
   unrelated post): a friendly reply to a critic is not support for the ad, so replies to
   other replies without a marker or cue are neutral.

A classifier may return its own stance (an LLM judge does); then the rules are skipped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.spatial.distance import jensenshannon
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from simulations.analysis.lexicon import (
    accusation_cues,
    joke_cues,
    opens_with_agreement,
    opens_with_disagreement,
    support_cues,
)
from simulations.analysis.metrics import thread_parents
from simulations.analysis.records import RESPONSE_KINDS, PersonaRecord, PostKind, PostRecord, segment_values

VADER_POSITIVE = 0.05
VADER_NEGATIVE = -0.05
# Five tone bins of the VADER compound score: very negative .. very positive. Three labels
# (negative/neutral/positive) hide a shift from "mildly annoyed" to "furious".
FIVE_BIN_EDGES = (-1, -0.6, -0.2, 0.2, 0.6, 1)


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Stance(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class TextSentiment:
    sentiment: Sentiment
    score: float  # -1 (most negative) .. 1 (most positive)
    stance: Stance | None = None  # None: let the cue rules decide
    reason: str = ""


@runtime_checkable
class SentimentClassifier(Protocol):
    """Anything that labels texts in one batch; ``context`` is the stimulus text, if known."""

    name: str

    def classify(self, texts: Sequence[str], context: str = "") -> list[TextSentiment]: ...


def sentiment_from_score(score: float) -> Sentiment:
    if score >= VADER_POSITIVE:
        return Sentiment.POSITIVE
    if score <= VADER_NEGATIVE:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


# VADER's lexicon (2014) lacks much of the vocabulary of a modern brand backlash: it scores
# "racist" -3.0 but does not know "sexist", so "Sexist and body shaming. Who approved this?"
# came out positive. These words are added on VADER's -4..+4 scale, each valued like its
# nearest existing VADER entry (sexist ~ racist, shaming ~ shame, cringe ~ awkward...).
BACKLASH_LEXICON = {
    "sexist": -3.0, "sexism": -3.1, "misogynist": -3.0, "misogynistic": -3.0, "misogyny": -3.1,
    "homophobic": -3.0, "transphobic": -3.0, "ableist": -2.6, "shaming": -2.1, "body-shaming": -2.4,
    "fat-shaming": -2.4, "bodyshaming": -2.4, "tone-deaf": -2.0, "dystopian": -1.8, "cringe": -1.6,
    "cringey": -1.6, "cringy": -1.6, "yikes": -1.2, "creepy": -1.9, "toxic": -2.2, "controlling": -1.2,
    "garbage": -1.9, "objectifying": -2.3, "patronizing": -1.8, "condescending": -1.9, "manipulative": -2.0,
    "exploitative": -2.2, "gaslighting": -2.4, "unfollowing": -1.0, "unfollowed": -1.0, "unsubscribing": -1.0,
}  # fmt: skip


class VaderClassifier:
    """VADER's lexicon-and-rules scorer: fast, offline, decent on short social text.

    ``extra_lexicon`` adds or overrides words (default ``BACKLASH_LEXICON``; pass ``{}``
    for stock VADER). Sarcasm stays out of its reach: "lol" and 😂 score positive even
    when people mock an ad, which is why themes flag jokes separately.
    """

    name = "vader"

    def __init__(self, extra_lexicon: Mapping[str, float] | None = None) -> None:
        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon.update(BACKLASH_LEXICON if extra_lexicon is None else extra_lexicon)

    def classify(self, texts: Sequence[str], context: str = "") -> list[TextSentiment]:
        labels = []
        for text in texts:
            score = self._analyzer.polarity_scores(text)["compound"]
            labels.append(
                TextSentiment(sentiment_from_score(score), score, reason=f"VADER compound {score:+.2f}")
            )
        return labels


@cache
def default_classifier() -> VaderClassifier:
    """One shared VADER instance (loading its lexicon takes a moment)."""
    return VaderClassifier()


@dataclass(frozen=True)
class ResponseLabel:
    post_id: str
    author_id: str
    kind: PostKind
    step: int
    parent_id: str | None
    stimulus_post_id: str | None  # the stimulus whose cascade this response is in, if any
    text: str
    sentiment: Sentiment
    score: float
    stance: Stance
    reasons: tuple[str, ...]


def stance_toward_stimulus(
    text: str, sentiment: Sentiment, parent_stance: Stance | None, answers_stimulus: bool
) -> tuple[Stance, tuple[str, ...]]:
    """The stance rules of this module's docstring, with the reasons that fired."""
    if parent_stance in (Stance.SUPPORT, Stance.OPPOSE):
        flipped = Stance.OPPOSE if parent_stance is Stance.SUPPORT else Stance.SUPPORT
        if opens_with_agreement(text):
            return parent_stance, (f"agrees with a post that is {parent_stance}",)
        if opens_with_disagreement(text):
            return flipped, (f"contradicts a post that is {parent_stance}",)
    accusations = accusation_cues(text)
    if accusations:
        return Stance.OPPOSE, (f"accusation cue: {', '.join(accusations)}",)
    supports = support_cues(text)
    if supports and sentiment is not Sentiment.NEGATIVE:
        return Stance.SUPPORT, (f"support cue: {', '.join(supports)}",)
    jokes = joke_cues(text)
    if jokes:
        return Stance.NEUTRAL, (f"joke cue without support: {', '.join(jokes)} (mockery is not support)",)
    if parent_stance is not None and not answers_stimulus:
        return Stance.NEUTRAL, ("answers another response without a clear marker",)
    if sentiment is Sentiment.POSITIVE:
        return Stance.SUPPORT, ("positive tone",)
    if sentiment is Sentiment.NEGATIVE:
        return Stance.OPPOSE, ("negative tone",)
    return Stance.NEUTRAL, ("neutral tone",)


def _parents_first(posts: Sequence[PostRecord], parents: Mapping[str, str | None]) -> list[PostRecord]:
    """Posts ordered so a parent always precedes its replies (cycles go last)."""
    children: dict[str, list[PostRecord]] = defaultdict(list)
    ordered = sorted(posts, key=lambda p: (p.step, p.post_id))
    for post in ordered:
        if parents[post.post_id] is not None:
            children[parents[post.post_id]].append(post)
    queue = [p for p in ordered if parents[p.post_id] is None]
    for post in queue:  # grows while iterating: a breadth-first walk
        queue.extend(children[post.post_id])
    seen = {p.post_id for p in queue}
    return queue + [p for p in ordered if p.post_id not in seen]


def label_responses(
    posts: Sequence[PostRecord], classifier: SentimentClassifier | None = None, context: str = ""
) -> list[ResponseLabel]:
    """Sentiment and stance of every reply and quote with text, in thread order."""
    classifier = classifier or default_classifier()
    parents = thread_parents(posts)
    ordered = _parents_first(posts, parents)
    responses = [p for p in ordered if p.kind in RESPONSE_KINDS and p.text.strip()]
    scored = dict(
        zip((p.post_id for p in responses), classifier.classify([p.text for p in responses], context))
    )
    stance: dict[str, Stance | None] = {}
    stimulus_of: dict[str, str | None] = {}
    carries_stimulus: set[str] = set()  # the stimulus and plain reposts of it
    labels = []
    for post in ordered:
        parent = parents[post.post_id]
        if post.is_stimulus:
            stance[post.post_id], stimulus_of[post.post_id] = Stance.SUPPORT, post.post_id
            carries_stimulus.add(post.post_id)
            continue
        stimulus_of[post.post_id] = stimulus_of.get(parent) if parent else None
        judged = scored.get(post.post_id)
        if judged is None:  # reposts, posts without text: a repost carries its parent's stance
            is_repost = post.kind is PostKind.REPOST and parent is not None
            stance[post.post_id] = stance.get(parent) if is_repost else None
            if is_repost and parent in carries_stimulus:
                carries_stimulus.add(post.post_id)
            continue
        if judged.stance is not None:
            post_stance, reasons = judged.stance, (judged.reason,)
        else:
            answers_stimulus = parent in carries_stimulus
            post_stance, rule_reasons = stance_toward_stimulus(
                post.text, judged.sentiment, stance.get(parent) if parent else None, answers_stimulus
            )
            reasons = (judged.reason, *rule_reasons) if judged.reason else rule_reasons
        stance[post.post_id] = post_stance
        labels.append(
            ResponseLabel(
                post_id=post.post_id,
                author_id=post.author_id,
                kind=post.kind,
                step=post.step,
                parent_id=post.parent_id,
                stimulus_post_id=stimulus_of[post.post_id],
                text=post.text,
                sentiment=judged.sentiment,
                score=judged.score,
                stance=post_stance,
                reasons=reasons,
            )
        )
    return labels


@dataclass(frozen=True)
class ResponseRow:
    """One labelled reply or quote as a flat row (the ``responses`` export): reasons joined."""

    post_id: str
    author_id: str
    author_handle: str
    kind: PostKind
    step: int
    parent_id: str | None
    stimulus_post_id: str | None
    text: str
    sentiment: Sentiment
    score: float
    stance: Stance
    reasons: str


def response_rows(labels: Iterable[Mapping], handles: Mapping[str, str]) -> list[ResponseRow]:
    """Flat rows from labels as a report JSON holds them (``RunReport.to_dict()["responses"]``)."""
    return [
        ResponseRow(
            post_id=label["post_id"],
            author_id=label["author_id"],
            author_handle=handles.get(label["author_id"], ""),
            kind=PostKind(label["kind"]),
            step=label["step"],
            parent_id=label["parent_id"],
            stimulus_post_id=label["stimulus_post_id"],
            text=label["text"],
            sentiment=Sentiment(label["sentiment"]),
            score=float(label["score"]),
            stance=Stance(label["stance"]),
            reasons="; ".join(label["reasons"]),
        )
        for label in labels
    ]


@dataclass(frozen=True)
class SentimentSummary:
    responses: int
    positive: int
    neutral: int
    negative: int
    negative_share: float | None
    support: int
    oppose: int
    neutral_stance: int


def summarize(labels: Iterable[ResponseLabel]) -> SentimentSummary:
    labels = list(labels)
    count = {s: sum(1 for lb in labels if lb.sentiment is s) for s in Sentiment}
    stances = {s: sum(1 for lb in labels if lb.stance is s) for s in Stance}
    return SentimentSummary(
        responses=len(labels),
        positive=count[Sentiment.POSITIVE],
        neutral=count[Sentiment.NEUTRAL],
        negative=count[Sentiment.NEGATIVE],
        negative_share=count[Sentiment.NEGATIVE] / len(labels) if labels else None,
        support=stances[Stance.SUPPORT],
        oppose=stances[Stance.OPPOSE],
        neutral_stance=stances[Stance.NEUTRAL],
    )


@dataclass(frozen=True)
class SegmentShare:
    trait_key: str
    segment: str
    responses: int
    negative: int
    negative_share: float | None


def negative_share_by_segment(
    labels: Sequence[ResponseLabel], personas: Sequence[PersonaRecord], trait_key: str
) -> list[SegmentShare]:
    """Share of negative responses written by each segment of ``trait_key``."""
    segments_of = {p.persona_id: segment_values(p, trait_key) for p in personas}
    segments = {segment for values in segments_of.values() for segment in values}
    responses: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    for label in labels:
        for segment in segments_of.get(label.author_id, ("unknown",)):
            segments.add(segment)
            responses[segment] += 1
            negative[segment] += label.sentiment is Sentiment.NEGATIVE
    return [
        SegmentShare(
            trait_key,
            seg,
            responses[seg],
            negative[seg],
            negative[seg] / responses[seg] if responses[seg] else None,
        )
        for seg in sorted(segments)
    ]


def five_bins(texts: Sequence[str], classifier: SentimentClassifier | None = None) -> tuple[float, ...]:
    """Shares of ``texts`` whose compound score falls in each ``FIVE_BIN_EDGES`` bin (sum 1).

    Raises ValueError for no texts: a distribution of nothing cannot be compared.
    """
    if not texts:
        raise ValueError("five_bins needs at least one text")
    scores = [label.score for label in (classifier or default_classifier()).classify(texts)]
    counts, _ = np.histogram(np.clip(scores, -1, 1), bins=FIVE_BIN_EDGES)
    return tuple(float(c) for c in counts / counts.sum())


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon divergence, base 2: 0 for the same shares, 1 for disjoint ones.

    The divergence (the squared distance) is used because it is the quantity with the
    information meaning (bits); ``backtest`` reports the distance, its square root.
    """
    return float(jensenshannon(p, q, base=2) ** 2)
