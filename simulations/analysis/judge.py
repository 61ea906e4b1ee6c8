"""A language model as the sentiment and stance classifier, through the provider layer.

``LLMJudge`` is a ``SentimentClassifier``: one short request per reply or quote (the rules
and the stimulus in the stable system prefix, so prompt caches reuse it; the reply as the
user suffix), answered under a JSON schema with a sentiment and a stance toward the
stimulus. A judge sees sarcasm and context a lexicon cannot ("lol she looks like a
hostage" is not support). When one answer is unusable (an error, no parseable label) that
text falls back to the lexicon model and the fallback is counted, so a report can say how
much of it the judge really labelled. What the judge paid (answers not served from the
cache) is kept in ``usage``, so the caller can charge it where the run's costs go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simnet.llm.base import ZERO_USAGE, LLMRequest, Provider, Usage
from simnet.llm.pricing import Price
from simnet.llm.tokens import count_tokens
from simulations.analysis.sentiment import (
    Sentiment,
    SentimentClassifier,
    Stance,
    TextSentiment,
    default_classifier,
)
from simulations.engine.estimate import Range

JUDGE_SCHEMA = {
    "type": "object",
    "properties": {
        "sentiment": {"type": "string", "enum": [s.value for s in Sentiment]},
        "stance": {"type": "string", "enum": [s.value for s in Stance]},
    },
    "required": ["sentiment", "stance"],
    "additionalProperties": False,
}
JUDGE_RULES = (
    "You label replies and quotes people wrote about a post on a social network. For each text, "
    'answer JSON: {"sentiment": "positive" | "neutral" | "negative", "stance": "support" | '
    '"oppose" | "neutral"}. Sentiment is the tone of the text. Stance is its position toward the '
    "original post below: mocking, accusing or rejecting it is oppose even when the tone is "
    "jokey; praising it or wanting what it offers is support; anything else is neutral."
)
SCORES = {Sentiment.POSITIVE: 1.0, Sentiment.NEUTRAL: 0.0, Sentiment.NEGATIVE: -1.0}
MAX_TOKENS = 40
BATCH = 32
LABEL_TOKENS = 12  # a typical answer: {"sentiment": "negative", "stance": "oppose"}
TEXT_FRAME_TOKENS = 5  # "Text to label:"


def judge_system(context: str) -> str:
    return f"{JUDGE_RULES}\n\nThe original post:\n{context.strip() or '(not given)'}"


@dataclass(frozen=True)
class JudgeCost:
    """What labelling a run's replies and quotes with a judge adds to its estimate."""

    calls: Range
    input_tokens: Range
    output_tokens: Range
    cost_usd: Range


def judge_cost(responses: Range, *, context: str, text_tokens: Range, price: Price) -> JudgeCost:
    """One call per response: the rules and post (too short for a prompt cache) plus the text."""
    prefix = count_tokens(judge_system(context)) + TEXT_FRAME_TOKENS
    per_call = Range(prefix + text_tokens.low, prefix + text_tokens.expected, prefix + text_tokens.high)
    output = Range(LABEL_TOKENS, LABEL_TOKENS, MAX_TOKENS)
    input_tokens = Range(*(n * t for n, t in zip(_values(responses), _values(per_call), strict=True)))
    output_tokens = Range(*(n * t for n, t in zip(_values(responses), _values(output), strict=True)))
    cost = Range(
        *(
            (i * price.input + o * price.output) / 1_000_000
            for i, o in zip(_values(input_tokens), _values(output_tokens), strict=True)
        )
    )
    return JudgeCost(responses, input_tokens, output_tokens, cost)


def _values(r: Range) -> tuple[float, float, float]:
    return (r.low, r.expected, r.high)


class LLMJudge:
    """Labels texts with ``provider`` (temperature 0, a fixed seed: the same text and post get
    the same label, and the decision cache can serve it again)."""

    def __init__(
        self, provider: Provider, *, fallback: SentimentClassifier | None = None, seed: int = 0
    ) -> None:
        self.provider = provider
        self.fallback = fallback or default_classifier()
        self.seed = seed
        self.name = f"llm:{provider.name}/{provider.model}"
        self.usage: Usage = ZERO_USAGE
        self.judged = 0
        self.fallbacks = 0

    def _request(self, index: int, text: str, context: str) -> LLMRequest:
        return LLMRequest(
            key=f"judge-{index}",
            system=judge_system(context),
            user=f"Text to label:\n{text}",
            schema=JUDGE_SCHEMA,
            max_tokens=MAX_TOKENS,
            seed=self.seed,
            temperature=0.0,
        )

    def classify(self, texts: Sequence[str], context: str = "") -> list[TextSentiment]:
        labels: list[TextSentiment | None] = []
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            requests = [self._request(start + i, text, context) for i, text in enumerate(chunk)]
            for response in self.provider.generate(requests):
                if not response.cached:
                    self.usage = self.usage + response.usage
                labels.append(self._label(response.data) if response.error is None else None)
        missing = [i for i, label in enumerate(labels) if label is None]
        if missing:
            replacements = self.fallback.classify([texts[i] for i in missing], context)
            for index, replacement in zip(missing, replacements, strict=True):
                labels[index] = TextSentiment(
                    replacement.sentiment,
                    replacement.score,
                    replacement.stance,
                    f"{self.fallback.name} (the judge gave no usable answer); {replacement.reason}",
                )
        self.fallbacks += len(missing)
        self.judged += len(texts) - len(missing)
        return [label for label in labels if label is not None]

    def _label(self, data) -> TextSentiment | None:
        if not isinstance(data, dict):
            return None
        try:
            sentiment, stance = Sentiment(data.get("sentiment")), Stance(data.get("stance"))
        except ValueError:
            return None
        return TextSentiment(
            sentiment, SCORES[sentiment], stance, f"judged by {self.provider.model or self.provider.name}"
        )
