"""Honesty diagnostics: do simulated personas behave as varied and as critical as the real ones?

LLM agents tend to collapse to one polite voice. Each check compares the simulated
behaviour of the personas with the same personas' real history (only personas present in
both are compared) and is flagged when the simulated value is below ``COLLAPSE_RATIO``
(50%) of the real one:

- action entropy: mean over personas of the Shannon entropy (bits) of their action mix
  (ignore and error are not actions a history records, so they are left out);
- sentiment spread: standard deviation of the sentiment score of the texts they wrote;
- length spread: standard deviation of the word counts of those texts;
- agreeableness: share of negative texts, simulated vs real (checked only when at least
  ``MIN_REAL_NEGATIVE`` of the real texts are negative, else there is nothing to lose).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulations.analysis.records import ActionKind, Reaction, as_reaction
from simulations.analysis.sentiment import Sentiment, SentimentClassifier, default_classifier
from simulations.analysis.text import word_count

COLLAPSE_RATIO = 0.5
MIN_REAL_NEGATIVE = 0.05
MIN_TEXTS = 2
NOT_ACTIONS = frozenset({ActionKind.IGNORE, ActionKind.ERROR})


@dataclass(frozen=True)
class DiagnosticCheck:
    name: str
    simulated: float | None
    real: float | None
    ratio: float | None  # simulated / real; None when either side is missing or real is 0
    threshold: float  # flagged when ratio < threshold
    flagged: bool
    message: str


@dataclass(frozen=True)
class Diagnostics:
    personas_compared: int
    checks: tuple[DiagnosticCheck, ...]

    @property
    def flagged(self) -> tuple[DiagnosticCheck, ...]:
        return tuple(c for c in self.checks if c.flagged)

    @property
    def warning(self) -> str:
        """One plain-language paragraph: empty when nothing is flagged."""
        return " ".join(c.message for c in self.flagged)


def _entropy(kinds: Sequence[ActionKind]) -> float:
    counts = np.array(list(Counter(kinds).values()), dtype=float)
    shares = counts / counts.sum()
    return float(-(shares * np.log2(shares)).sum())


def mean_action_entropy(reactions: Sequence[Reaction]) -> float | None:
    per_persona: dict[str, list[ActionKind]] = defaultdict(list)
    for reaction in reactions:
        if reaction.action not in NOT_ACTIONS:
            per_persona[reaction.persona_id].append(reaction.action)
    if not per_persona:
        return None
    return float(np.mean([_entropy(kinds) for kinds in per_persona.values()]))


def _spread(values: Sequence[float]) -> float | None:
    return float(np.std(values)) if len(values) >= MIN_TEXTS else None


def _check(name: str, simulated: float | None, real: float | None, what: str) -> DiagnosticCheck:
    ratio = simulated / real if simulated is not None and real else None
    flagged = ratio is not None and ratio < COLLAPSE_RATIO
    if flagged:
        message = (
            f"Simulated {what} is only {ratio:.0%} of the same personas' real {what} "
            f"({simulated:.3g} vs {real:.3g}): the simulation is more uniform than the people it models."
        )
    elif ratio is None:
        message = f"Not enough data to compare {what}."
    else:
        message = f"Simulated {what} is {ratio:.0%} of the real one."
    return DiagnosticCheck(name, simulated, real, ratio, COLLAPSE_RATIO, flagged, message)


def _agreeableness(simulated: Sequence[Sentiment], real: Sequence[Sentiment]) -> DiagnosticCheck:
    def share(labels: Sequence[Sentiment], tone: Sentiment) -> float | None:
        return sum(1 for s in labels if s is tone) / len(labels) if labels else None

    sim, actual = share(simulated, Sentiment.NEGATIVE), share(real, Sentiment.NEGATIVE)
    if sim is None or actual is None or actual < MIN_REAL_NEGATIVE:
        message = (
            "Agreeableness not judged: no texts on one side, or too few negative texts in the real history."
        )
        return DiagnosticCheck("agreeableness", sim, actual, None, COLLAPSE_RATIO, False, message)
    ratio = sim / actual
    flagged = ratio < COLLAPSE_RATIO
    positive = f"{share(simulated, Sentiment.POSITIVE):.0%} vs {share(real, Sentiment.POSITIVE):.0%} positive"
    message = (
        f"Simulated personas are more agreeable than they really are: {sim:.0%} of their texts are negative "
        f"against {actual:.0%} in their real history ({positive})."
        if flagged
        else f"Simulated negativity ({sim:.0%}) is {ratio:.0%} of the real one ({actual:.0%}; {positive})."
    )
    return DiagnosticCheck("agreeableness", sim, actual, ratio, COLLAPSE_RATIO, flagged, message)


def diagnose(
    simulated: Sequence[Reaction | tuple],
    real: Sequence[Reaction | tuple],
    classifier: SentimentClassifier | None = None,
) -> Diagnostics:
    """Compare simulated behaviour with the same personas' real history."""
    classifier = classifier or default_classifier()
    sim_rows, real_rows = [as_reaction(r) for r in simulated], [as_reaction(r) for r in real]
    shared = {r.persona_id for r in sim_rows} & {r.persona_id for r in real_rows}
    sim_rows = [r for r in sim_rows if r.persona_id in shared]
    real_rows = [r for r in real_rows if r.persona_id in shared]
    sim_texts = [r.text for r in sim_rows if r.text.strip()]
    real_texts = [r.text for r in real_rows if r.text.strip()]
    sim_labels, real_labels = classifier.classify(sim_texts), classifier.classify(real_texts)
    checks = (
        _check(
            "action_entropy", mean_action_entropy(sim_rows), mean_action_entropy(real_rows), "action variety"
        ),
        _check(
            "sentiment_spread",
            _spread([lb.score for lb in sim_labels]),
            _spread([lb.score for lb in real_labels]),
            "sentiment spread",
        ),
        _check(
            "length_spread",
            _spread([word_count(t) for t in sim_texts]),
            _spread([word_count(t) for t in real_texts]),
            "text length spread",
        ),
        _agreeableness([lb.sentiment for lb in sim_labels], [lb.sentiment for lb in real_labels]),
    )
    return Diagnostics(personas_compared=len(shared), checks=checks)
