"""Score simulated reactions against what really happened to the same content.

Each side is a list of reactions (persona, action, text). When a persona did several things,
its most expressive action stands for it (quote > reply > repost > like > follow > post >
report > mute > unfollow > ignore); a persona absent from one side ignored the content there.
Scores:

- who engaged: ROC AUC of the simulated engagement scores against real engagement, and
  precision at k (k = number of real engagers unless given; ties broken by persona id);
- what kind: accuracy of the main action, and Matthews correlation per action kind (one
  against the rest; 0 when a kind never varies);
- how much: engaging actions simulated vs real, absolute and relative error;
- what tone: Jensen-Shannon distance (base 2, 0 = same, 1 = disjoint) between the
  negative/neutral/positive shares of the texts;
- what about: Jaccard overlap of the top TF-IDF terms of the texts.

``compare`` lays several providers side by side; the rule baseline must be among them,
because a score means little until it beats the policy that needs no model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import rankdata

from simulations.analysis.records import ActionKind, Reaction, as_reaction
from simulations.analysis.sentiment import Sentiment, SentimentClassifier, default_classifier
from simulations.analysis.themes import top_terms

PRIORITY = (
    ActionKind.QUOTE, ActionKind.REPLY, ActionKind.REPOST, ActionKind.LIKE, ActionKind.FOLLOW, ActionKind.POST,
    ActionKind.REPORT, ActionKind.MUTE, ActionKind.UNFOLLOW, ActionKind.IGNORE, ActionKind.ERROR,
)  # fmt: skip
THEME_TERMS = 10
BASELINE = "baseline"


@dataclass(frozen=True)
class KindScore:
    kind: ActionKind
    mcc: float
    real: int  # personas whose main real action is this kind
    simulated: int


@dataclass(frozen=True)
class BacktestScore:
    provider: str
    personas: int
    real_engagers: int
    simulated_engagers: int
    roc_auc: float | None  # None when everyone (or nobody) really engaged
    precision_at_k: float | None
    k: int
    kind_accuracy: float | None
    kind_mcc: tuple[KindScore, ...]
    mean_mcc: float | None
    volume_real: int
    volume_simulated: int
    volume_error: int
    volume_relative_error: float | None  # None when nothing really happened
    sentiment_real: Mapping[str, float]
    sentiment_simulated: Mapping[str, float]
    sentiment_distance: float | None
    real_terms: tuple[str, ...]
    simulated_terms: tuple[str, ...]
    theme_overlap: float | None


def main_reactions(reactions: Sequence[Reaction]) -> dict[str, Reaction]:
    """persona id -> its most expressive reaction (the highest score it was given is kept)."""
    rank = {kind: i for i, kind in enumerate(PRIORITY)}
    chosen: dict[str, Reaction] = {}
    for reaction in reactions:
        current = chosen.get(reaction.persona_id)
        if current is None or rank[reaction.action] < rank[current.action]:
            chosen[reaction.persona_id] = reaction
    scores: dict[str, float] = {}
    for reaction in reactions:
        if reaction.engagement_score is not None:
            scores[reaction.persona_id] = max(scores.get(reaction.persona_id, 0.0), reaction.engagement_score)
    return {
        pid: Reaction(r.persona_id, r.action, r.text, scores.get(pid, r.engagement_score))
        for pid, r in chosen.items()
    }


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve by the rank-sum formula (ties count one half)."""
    y = np.asarray(labels, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def precision_at_k(labels: Mapping[str, bool], scores: Mapping[str, float], k: int) -> float | None:
    if k <= 0:
        return None
    top = sorted(scores, key=lambda pid: (-scores[pid], pid))[:k]
    return sum(1 for pid in top if labels[pid]) / k


def matthews(real: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Matthews correlation of two yes/no lists; 0 when either never varies."""
    tp = sum(1 for r, p in zip(real, predicted, strict=True) if r and p)
    tn = sum(1 for r, p in zip(real, predicted, strict=True) if not r and not p)
    fp = sum(1 for r, p in zip(real, predicted, strict=True) if not r and p)
    fn = sum(1 for r, p in zip(real, predicted, strict=True) if r and not p)
    denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / denominator if denominator else 0.0


def sentiment_shares(texts: Sequence[str], classifier: SentimentClassifier) -> dict[str, float]:
    labels = classifier.classify(texts)
    return (
        {s.value: sum(1 for lb in labels if lb.sentiment is s) / len(labels) for s in Sentiment}
        if labels
        else {}
    )


def score_backtest(
    real: Sequence[Reaction | tuple],
    simulated: Sequence[Reaction | tuple],
    *,
    provider: str,
    k: int | None = None,
    classifier: SentimentClassifier | None = None,
) -> BacktestScore:
    """How closely ``simulated`` matches ``real`` (see the module docstring for each score)."""
    classifier = classifier or default_classifier()
    real_rows, sim_rows = [as_reaction(r) for r in real], [as_reaction(r) for r in simulated]
    real_main, sim_main = main_reactions(real_rows), main_reactions(sim_rows)
    personas = sorted(real_main.keys() | sim_main.keys())
    ignored = Reaction("", ActionKind.IGNORE)
    real_kind = [real_main.get(pid, ignored).action for pid in personas]
    sim_kind = [sim_main.get(pid, ignored).action for pid in personas]
    engaged = {pid: real_main.get(pid, ignored).engaged for pid in personas}
    scores = {}
    for pid in personas:
        reaction = sim_main.get(pid, ignored)
        scores[pid] = (
            reaction.engagement_score if reaction.engagement_score is not None else float(reaction.engaged)
        )
    k = sum(engaged.values()) if k is None else k
    kinds = [kind for kind in PRIORITY if kind in set(real_kind) | set(sim_kind)]
    kind_scores = tuple(
        KindScore(
            kind,
            matthews([r is kind for r in real_kind], [s is kind for s in sim_kind]),
            real_kind.count(kind),
            sim_kind.count(kind),
        )
        for kind in kinds
    )
    volume_real = sum(1 for r in real_rows if r.engaged)
    volume_sim = sum(1 for r in sim_rows if r.engaged)
    real_texts = [r.text for r in real_rows if r.text.strip()]
    sim_texts = [r.text for r in sim_rows if r.text.strip()]
    real_sentiment, sim_sentiment = (
        sentiment_shares(real_texts, classifier),
        sentiment_shares(sim_texts, classifier),
    )
    distance = None
    if real_sentiment and sim_sentiment:
        order = [s.value for s in Sentiment]
        distance = float(
            jensenshannon([real_sentiment[s] for s in order], [sim_sentiment[s] for s in order], base=2)
        )
    real_terms, sim_terms = top_terms(real_texts, THEME_TERMS), top_terms(sim_texts, THEME_TERMS)
    union = set(real_terms) | set(sim_terms)
    return BacktestScore(
        provider=provider,
        personas=len(personas),
        real_engagers=sum(engaged.values()),
        simulated_engagers=sum(1 for pid in personas if sim_main.get(pid, ignored).engaged),
        roc_auc=roc_auc([engaged[pid] for pid in personas], [scores[pid] for pid in personas]),
        precision_at_k=precision_at_k(engaged, scores, k),
        k=k,
        kind_accuracy=sum(1 for r, s in zip(real_kind, sim_kind, strict=True) if r is s) / len(personas)
        if personas
        else None,
        kind_mcc=kind_scores,
        mean_mcc=float(np.mean([ks.mcc for ks in kind_scores])) if kind_scores else None,
        volume_real=volume_real,
        volume_simulated=volume_sim,
        volume_error=abs(volume_sim - volume_real),
        volume_relative_error=abs(volume_sim - volume_real) / volume_real if volume_real else None,
        sentiment_real=real_sentiment,
        sentiment_simulated=sim_sentiment,
        sentiment_distance=distance,
        real_terms=real_terms,
        simulated_terms=sim_terms,
        theme_overlap=len(set(real_terms) & set(sim_terms)) / len(union) if union else None,
    )


# Columns of the comparison table: score field -> higher is better.
COLUMNS = {
    "roc_auc": True,
    "precision_at_k": True,
    "kind_accuracy": True,
    "mean_mcc": True,
    "volume_relative_error": False,
    "sentiment_distance": False,
    "theme_overlap": True,
}


class MissingBaseline(ValueError):
    """A comparison without the rule baseline: nothing to judge the providers against."""


@dataclass(frozen=True)
class ComparisonTable:
    columns: tuple[str, ...]
    rows: tuple[dict[str, object], ...]  # baseline first; each row: provider, the columns, beats_baseline

    def to_markdown(self) -> str:
        header = ["provider", *self.columns, "beats_baseline"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in self.rows:
            cells = [row[h] if not isinstance(row[h], float) else f"{row[h]:.3f}" for h in header]
            lines.append("| " + " | ".join("—" if c is None else str(c) for c in cells) + " |")
        return "\n".join(lines)


def compare(scores_by_provider: Mapping[str, BacktestScore], baseline: str = BASELINE) -> ComparisonTable:
    """Side-by-side scores, the rule baseline first; ``beats_baseline`` counts better columns."""
    if baseline not in scores_by_provider:
        raise MissingBaseline(
            f"the rule baseline ({baseline!r}) must be scored alongside the other providers"
        )
    reference = scores_by_provider[baseline]
    rows = []
    for name in [baseline, *sorted(p for p in scores_by_provider if p != baseline)]:
        score = scores_by_provider[name]
        row: dict[str, object] = {"provider": name}
        better = 0
        for column, higher_is_better in COLUMNS.items():
            value, base = getattr(score, column), getattr(reference, column)
            row[column] = value
            if name != baseline and value is not None and base is not None:
                better += value > base if higher_is_better else value < base
        row["beats_baseline"] = None if name == baseline else better
        rows.append(row)
    return ComparisonTable(tuple(COLUMNS), tuple(rows))
