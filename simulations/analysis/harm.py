"""Harm labelling of a run's texts: a protocol, an offline lexicon labeller and a hosted judge.

A trust & safety comparison is only as good as its labels, so the report always says which
labeller produced them. Offline, ``LexiconHarmLabeller`` matches the engine's harm lexicon
(the same patterns policies fire on: it says so, and that it misses sarcasm and coded speech).
With a hosted model, ``LLMHarmJudge`` asks it per text under a JSON schema (temperature 0, a
fixed seed), falling back to the lexicon for an unusable answer and counting the fallbacks.

Text classes are threat, harassment and identity attack; a pile-on is a pattern, not a text:
``pile_ons`` finds many hostile replies from different people to one target within a few steps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from simnet.llm.base import ZERO_USAGE, LLMRequest, Provider, Usage
from simulations.analysis.records import PostKind, PostRecord
from simulations.engine.harm_lexicon import HARM_CLASSES, harm_scores

TEXT_CLASSES = HARM_CLASSES
PILE_ON = "pile_on"
ALL_CLASSES = (*TEXT_CLASSES, PILE_ON)
LEXICON_THRESHOLD = 0.5  # one cue of a class labels the text with it
PILE_ON_WINDOW = 2  # steps
PILE_ON_MIN = 3  # hostile replies from different people to one target within the window


class HarmLabeller(Protocol):
    name: str
    kind: str  # "lexicon" or "model"
    description: str

    def label(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """The harm classes of each text (empty: none)."""
        ...


class LexiconHarmLabeller:
    kind = "lexicon"
    name = "simnet harm lexicon"
    description = (
        "A lexicon-based labeller: keyword patterns for threats, harassment and identity attacks. "
        "It misses sarcasm and coded language and can flag quoted speech."
    )

    def __init__(self, threshold: float = LEXICON_THRESHOLD) -> None:
        self.threshold = threshold

    def label(self, texts: Sequence[str]) -> list[frozenset[str]]:
        return [
            frozenset(c for c, score in harm_scores(text).items() if score >= self.threshold)
            for text in texts
        ]


HARM_SCHEMA = {
    "type": "object",
    "properties": {"classes": {"type": "array", "items": {"type": "string", "enum": list(TEXT_CLASSES)}}},
    "required": ["classes"],
    "additionalProperties": False,
}
HARM_RULES = (
    "You are a trust and safety reviewer labelling posts from a social network. Answer JSON "
    '{"classes": [...]} with every class that applies, or an empty list: "threat" (wishing or '
    'promising violence or serious harm to someone), "harassment" (insulting, demeaning or bullying a '
    'person), "identity_attack" (attacking people for their ethnicity, religion, nationality, gender, '
    "sexuality or disability). Strong disagreement, criticism of ideas and swearing alone are none of these."
)
MAX_TOKENS = 40
BATCH = 32


class LLMHarmJudge:
    """A hosted model as harm labeller; what it paid is in ``usage`` so callers can charge it."""

    kind = "model"

    def __init__(self, provider: Provider, *, seed: int = 0, fallback: HarmLabeller | None = None) -> None:
        self.provider = provider
        self.seed = seed
        self.fallback = fallback or LexiconHarmLabeller()
        self.name = f"model judge {provider.model or provider.name}"
        self.description = f"Labelled by a hosted model ({provider.model or provider.name}) at temperature 0."
        self.usage: Usage = ZERO_USAGE
        self.judged = 0
        self.fallbacks = 0

    def _request(self, index: int, text: str) -> LLMRequest:
        return LLMRequest(
            key=f"harm-{index}",
            system=HARM_RULES,
            user=f"Post to label:\n{text}",
            schema=HARM_SCHEMA,
            max_tokens=MAX_TOKENS,
            seed=self.seed,
            temperature=0.0,
        )

    def label(self, texts: Sequence[str]) -> list[frozenset[str]]:
        labels: list[frozenset[str] | None] = []
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            for response in self.provider.generate(
                [self._request(start + i, t) for i, t in enumerate(chunk)]
            ):
                if not response.cached:
                    self.usage = self.usage + response.usage
                labels.append(_classes(response.data) if response.error is None else None)
        missing = [i for i, label in enumerate(labels) if label is None]
        for index, label in zip(missing, self.fallback.label([texts[i] for i in missing]), strict=True):
            labels[index] = label
        self.fallbacks += len(missing)
        self.judged += len(texts) - len(missing)
        return [label or frozenset() for label in labels]


def _classes(data: object) -> frozenset[str] | None:
    if not isinstance(data, Mapping) or not isinstance(data.get("classes"), list):
        return None
    found = data["classes"]
    if any(c not in TEXT_CLASSES for c in found):
        return None
    return frozenset(found)


@dataclass(frozen=True)
class PileOn:
    target_id: str  # the person piled on (author of the posts replied to)
    first_step: int
    post_ids: tuple[str, ...]  # the hostile replies and quotes in the window
    people: int  # distinct repliers


def pile_ons(
    posts: Sequence[PostRecord],
    hostile: Mapping[str, bool],
    *,
    window: int = PILE_ON_WINDOW,
    minimum: int = PILE_ON_MIN,
) -> list[PileOn]:
    """Windows of ``window`` steps where ``minimum`` or more different people sent hostile replies
    or quotes to one person's posts (``hostile``: post id -> labelled harmful)."""
    authors = {p.post_id: p.author_id for p in posts}
    by_target: dict[str, list[PostRecord]] = defaultdict(list)
    for post in posts:
        if post.kind in (PostKind.REPLY, PostKind.QUOTE) and hostile.get(post.post_id) and post.parent_id:
            target = authors.get(post.parent_id)
            if target is not None and target != post.author_id:
                by_target[target].append(post)
    found = []
    for target, replies in sorted(by_target.items()):
        replies.sort(key=lambda p: (p.step, p.post_id))
        start = 0
        while start < len(replies):
            first = replies[start].step
            inside = [p for p in replies[start:] if p.step < first + window]
            people = len({p.author_id for p in inside})
            if people >= minimum:
                found.append(PileOn(target, first, tuple(p.post_id for p in inside), people))
                start += len(inside)
            else:
                start += 1
    return found
