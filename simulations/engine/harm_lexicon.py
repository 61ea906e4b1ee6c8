"""A small, transparent harm lexicon: the offline classifier behind content policies.

Content policies fire inside a run, offline too, so their classifier must be pure, fast and
deterministic; a hosted judge labels harm afterwards (``analysis.harm``). This lexicon knows
three text-level classes (a pile-on is a pattern across replies, found by the labeller):

* ``threat``: wishing or promising violence or ruin to someone;
* ``harassment``: insults and demeaning language aimed at a person;
* ``identity_attack``: targeted abuse of a group for who they are (dehumanising, "go back").

A score is ``1 - 0.5 ** hits`` (one hit 0.5, two 0.75 ...): monotone in evidence and below 1,
so a threshold of 0.5 means "one cue", 0.75 "two cues". It misses sarcasm and coded language
and can flag quoted speech; reports say a lexicon labelled the run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

HARM_CLASSES = ("threat", "harassment", "identity_attack")

_PATTERNS: Mapping[str, tuple[str, ...]] = {
    "threat": (
        r"\b(i|we)('ll| will| are going to| gonna) (kill|hurt|destroy|find|get) (you|u|them)\b",
        r"\bkill (you|u|yourself)\b",
        r"\bwatch your back\b",
        r"\b(hope|wish) (you|u|they) (die|get hurt|suffer)\b",
        r"\bdeserve[sd]? to (die|suffer|be hurt)\b",
        r"\byou('ll| will) regret\b",
        r"\bknow where you live\b",
        r"\bburn (it|them|you) (down|all)\b",
    ),
    "harassment": (
        r"\b(idiot|moron|imbecile|loser|clown|creep|scum|pathetic|worthless)s?\b",
        r"\bshut (up|your mouth)\b",
        r"\bnobody (likes|cares about|asked) you\b",
        r"\byou('re| are) (stupid|disgusting|a joke|trash|garbage|dumb)\b",
        r"\bget lost\b",
        r"\b(delete|log off) your account\b",
    ),
    "identity_attack": (
        r"\byou people\b",
        r"\bgo back (to|where)\b",
        r"\b(vermin|subhuman|animals|parasites|infestation)\b",
        r"\ball (of )?(them|those) \w+ are\b",
        r"\b(don't|do not) belong (here|in this country)\b",
    ),
}
_COMPILED = {name: tuple(re.compile(p, re.IGNORECASE) for p in pats) for name, pats in _PATTERNS.items()}


def harm_hits(text: str) -> dict[str, int]:
    """How many cues of each class ``text`` contains (each pattern counted once)."""
    return {name: sum(1 for p in patterns if p.search(text)) for name, patterns in _COMPILED.items()}


def harm_scores(text: str) -> dict[str, float]:
    return {name: 1.0 - 0.5**hits for name, hits in harm_hits(text).items()}


def harm_score(text: str) -> float:
    """The highest class score: what a policy threshold compares against."""
    return max(harm_scores(text).values())
