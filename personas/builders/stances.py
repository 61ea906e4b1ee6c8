"""Cue-word stance hints: who or what a person speaks for or against, with the quote that shows it.

A hint is only a pointer for the persona card and the UI ("said 'Boycott Nike' on 3 May"),
never a classifier score: a cue phrase ("boycott", "proud of", "... sucks") next to a
named target (a capitalised name, #hashtag or @mention) counts as one piece of evidence.
A negation right before a supporting cue ("don't support X") counts as opposition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SUPPORT_BEFORE = (
    "i love", "love", "loving", "i support", "support", "supporting", "proud of", "vote for", "voting for",
    "i stand with", "stand with", "thank you", "thanks", "go", "recommend", "big fan of", "fan of",
    "yes on", "in favor of", "backing", "grateful for",
)  # fmt: skip
OPPOSE_BEFORE = (
    "i hate", "hate", "against", "oppose", "boycott", "vote against", "voting against", "shame on",
    "no on", "stop", "ban", "disappointed in", "done with", "fed up with", "sick of", "don't trust",
    "do not trust", "can't stand", "never trust",
)  # fmt: skip
SUPPORT_AFTER = ("is the best", "is great", "is amazing", "rocks", "deserves better", "is right", "did great")
OPPOSE_AFTER = (
    "sucks", "is the worst", "is terrible", "is a disaster", "is wrong", "is a joke", "lied", "lies",
    "failed us", "should resign", "is corrupt",
)  # fmt: skip
NEGATIONS = ("don't", "do not", "never", "won't", "will not", "not", "can't", "cannot", "didn't")

_NOT_TARGETS = frozenset(
    ("i", "we", "you", "he", "she", "they", "it", "this", "that", "the", "a", "an", "my", "our", "me")
)
_DETERMINER = r"(?:(?:the|a|an|our|my|this|that)\s+)?"
# A named target: #tag, @handle, or up to four capitalised words ("Prop 22", "Bank of America").
_TARGET = (
    r"(?<![\w'’#@])(#\w+|@\w+|[A-Z][\w'’&.-]*(?:\s+(?:of\s+|the\s+|&\s+|for\s+)?[A-Z0-9][\w'’&.-]*){0,3})"
)


def _alternation(cues: Iterable[str]) -> str:
    return "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))


_BEFORE_RE = re.compile(
    rf"(?<![\w'])(?i:(?P<cue>{_alternation(SUPPORT_BEFORE + OPPOSE_BEFORE)}))\s+{_DETERMINER}{_TARGET}"
)
_AFTER_RE = re.compile(rf"{_TARGET}\s+(?i:(?P<cue>{_alternation(SUPPORT_AFTER + OPPOSE_AFTER)}))\b")
_NEGATION_RE = re.compile(rf"(?i:\b(?:{_alternation(NEGATIONS)}))\s+$")
_SENTENCE_END = re.compile(r"[.!?\n]")
_LEADING_ARTICLE = re.compile(r"^(?:The|This|That|Our|My)\s+(?=\S)")


@dataclass(frozen=True)
class StanceEvidence:
    item_id: str
    position: str  # "support" | "oppose"
    cue: str
    quote: str  # the sentence that contains the cue, at most 200 characters


@dataclass(frozen=True)
class StanceHint:
    target: str
    position: str  # "support" | "oppose" | "mixed" (as many for as against)
    support: int
    oppose: int
    evidence: tuple[StanceEvidence, ...]  # up to three quotes, in the order given (profiles: oldest first)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.end() if right_match else len(text)
    sentence = " ".join(text[left:right].split())
    return sentence if len(sentence) <= 200 else sentence[:199] + "…"


def _clean_target(raw: str) -> str:
    """Drop a sentence-initial article and trailing punctuation: 'The Senate.' -> 'Senate'."""
    return _LEADING_ARTICLE.sub("", raw.strip()).rstrip(".,;:!?'’-")


def find_stance_evidence(item_id: str, text: str) -> list[tuple[str, StanceEvidence]]:
    """(target as written, evidence) pairs found in one text, in reading order."""
    found: list[tuple[int, str, str, str, re.Match[str]]] = []
    for match in _BEFORE_RE.finditer(text):
        cue = match.group("cue").lower()
        position = "support" if cue in SUPPORT_BEFORE else "oppose"
        if position == "support" and _NEGATION_RE.search(text[: match.start()]):
            position, cue = "oppose", "not " + cue
        found.append((match.start(), _clean_target(match.group(2)), position, cue, match))
    for match in _AFTER_RE.finditer(text):
        cue = match.group("cue").lower()
        position = "support" if cue in SUPPORT_AFTER else "oppose"
        found.append((match.start(), _clean_target(match.group(1)), position, cue, match))
    results = []
    for _, target, position, cue, match in sorted(found, key=lambda f: f[0]):
        key = target.lstrip("#@").lower()
        if not key or key in _NOT_TARGETS:
            continue
        quote = _sentence_around(text, match.start(), match.end())
        results.append((target, StanceEvidence(item_id, position, cue, quote)))
    return results


def stance_hints(items: Iterable[tuple[str, str]], limit: int = 8) -> tuple[StanceHint, ...]:
    """Aggregate evidence over ``(item_id, text)`` pairs into one hint per target.

    Targets are merged case-insensitively and without their leading #/@; the most evidenced
    targets come first (ties alphabetically).
    """
    by_key: dict[str, list[StanceEvidence]] = {}
    display: dict[str, str] = {}
    for item_id, text in items:
        for target, evidence in find_stance_evidence(item_id, text):
            key = target.lstrip("#@").lower()
            display.setdefault(key, target)
            by_key.setdefault(key, []).append(evidence)
    hints = []
    for key, evidence in by_key.items():
        support = sum(1 for e in evidence if e.position == "support")
        oppose = len(evidence) - support
        position = "support" if support > oppose else "oppose" if oppose > support else "mixed"
        hints.append(StanceHint(display[key], position, support, oppose, tuple(evidence[:3])))
    hints.sort(key=lambda h: (-(h.support + h.oppose), h.target.lower()))
    return tuple(hints[:limit])
