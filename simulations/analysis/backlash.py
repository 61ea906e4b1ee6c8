"""Backlash signals for a stimulus and one risk level with a sentence a person can act on.

Four signals, each scored 0-3 points by the thresholds below (a value at or above the
n-th threshold earns n points):

- negative share: negative replies and quotes / all replies and quotes (weight 2: the
  clearest sign that people dislike it);
- quote-to-repost ratio: quotes / reposts (a repost spreads a post, a quote usually
  comments on it; many quotes per repost is "dunking"), reposts counted as at least 1;
- negative growth: slope of negative responses per step from injection to the last step,
  divided by their mean per step (still growing at the end of the run is worse);
- accusation share: responses with an accusation cue ("sexist", "tone-deaf", "boycott").

risk score = weighted mean of points (0-3); below 0.75 low, below 1.5 medium, below 2.25
high, otherwise severe. With fewer than ``MIN_RESPONSES`` replies and quotes there is no
level: it is "not enough data", with the count (``label`` is what pages and exports show).
Amplifiers are the personas whose critical (negative or opposing) replies
and quotes drew the most engagement, counting everything below them in the thread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from simulations.analysis.lexicon import accusation_cues
from simulations.analysis.metrics import descendants, thread_children
from simulations.analysis.records import ENGAGEMENT_ACTIONS, ActionRecord, PersonaRecord, PostKind, PostRecord
from simulations.analysis.sentiment import ResponseLabel, Sentiment, Stance

NEGATIVE_SHARE_THRESHOLDS = (0.20, 0.35, 0.50)
QUOTE_REPOST_THRESHOLDS = (0.5, 1.0, 2.0)
NEGATIVE_GROWTH_THRESHOLDS = (0.05, 0.15, 0.30)
ACCUSATION_SHARE_THRESHOLDS = (0.05, 0.15, 0.30)
SIGNAL_WEIGHTS = {"negative_share": 2, "quote_repost_ratio": 1, "negative_growth": 1, "accusation_share": 1}
LEVEL_CUTS = (0.75, 1.5, 2.25)  # risk score below each cut: low, medium, high; else severe
# Replies and quotes needed before a level is headlined: the smallest count at which even a
# sample with no negative reply puts the 95% Wilson upper bound of the negative share
# (3.84 / (n + 3.84)) below its first threshold, 20%. With fewer, "LOW" cannot be told from
# "MEDIUM" on the weightiest signal, so the page says "not enough data" instead of a level.
MIN_RESPONSES = 16
TOP_AMPLIFIERS = 5


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEVERE = "severe"
    NOT_ENOUGH_DATA = "not_enough_data"  # fewer than MIN_RESPONSES replies and quotes


@dataclass(frozen=True)
class Signal:
    name: str
    value: float | None  # None when it cannot be computed (no responses, one step)
    points: int
    thresholds: tuple[float, ...]


@dataclass(frozen=True)
class Amplifier:
    persona_id: str
    handle: str
    critical_posts: int
    engagements: int  # likes, reposts, quotes, replies on their critical posts and below
    reach: int  # distinct personas who engaged with those posts or anything below them
    example: str  # their most engaged critical text


@dataclass(frozen=True)
class BacklashAssessment:
    level: RiskLevel
    score: float
    responses: int
    negative_share: float | None
    quote_repost_ratio: float
    negative_growth: float | None
    accusation_share: float | None
    top_accusations: tuple[str, ...]
    signals: tuple[Signal, ...]
    amplifiers: tuple[Amplifier, ...]
    enough_evidence: bool
    summary: str
    label: str = ""  # the headline: "HIGH", or "not enough data (n=3)"


def _points(value: float | None, thresholds: tuple[float, ...]) -> int:
    return 0 if value is None else sum(1 for t in thresholds if value >= t)


def _level(score: float, responses: int) -> RiskLevel:
    if responses < MIN_RESPONSES:
        return RiskLevel.NOT_ENOUGH_DATA
    levels = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)
    return next((lvl for lvl, cut in zip(levels, LEVEL_CUTS, strict=True) if score < cut), RiskLevel.SEVERE)


def negative_growth(negative_steps: Sequence[int], first_step: int, last_step: int) -> float | None:
    """Least-squares slope of negative responses per step, relative to their mean per step."""
    if last_step <= first_step:
        return None
    steps = np.arange(first_step, last_step + 1)
    per_step = Counter(negative_steps)
    counts = np.array([per_step[step] for step in steps], dtype=float)
    if not counts.any():
        return None
    slope = np.polyfit(steps, counts, 1)[0]
    return float(slope / counts.mean())


def top_amplifiers(
    critical: Sequence[ResponseLabel],
    posts: Sequence[PostRecord],
    actions: Sequence[ActionRecord],
    handles: Mapping[str, str],
    limit: int = TOP_AMPLIFIERS,
) -> tuple[Amplifier, ...]:
    """Authors of critical responses ranked by the engagement those responses drew."""
    children = thread_children(posts)
    engaging_by_target: dict[str, list[ActionRecord]] = {}
    for action in actions:
        if action.succeeded and action.action in ENGAGEMENT_ACTIONS and action.target_post_id:
            engaging_by_target.setdefault(action.target_post_id, []).append(action)
    authors: dict[str, list[tuple[int, set[str], str]]] = {}
    author_of = {p.post_id: p.author_id for p in posts}
    for label in critical:
        subtree = descendants(posts, label.post_id, children)
        engaging = [a for pid in subtree for a in engaging_by_target.get(pid, ())]
        reach = {a.persona_id for a in engaging} | {author_of[p] for p in subtree if p != label.post_id}
        authors.setdefault(label.author_id, []).append((len(engaging), reach - {label.author_id}, label.text))
    ranked = []
    for persona_id, items in authors.items():
        engagements = sum(n for n, _, _ in items)
        reach = set().union(*(r for _, r, _ in items))
        example = max(items, key=lambda item: item[0])[2]
        ranked.append(
            Amplifier(
                persona_id, handles.get(persona_id, persona_id), len(items), engagements, len(reach), example
            )
        )
    ranked.sort(key=lambda a: (-a.engagements, -a.reach, -a.critical_posts, a.persona_id))
    return tuple(a for a in ranked if a.engagements or a.reach)[:limit]


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def risk_label(level: RiskLevel, responses: int) -> str:
    """What a page shows for the level: the level, or that the count is too small for one."""
    if level is RiskLevel.NOT_ENOUGH_DATA:
        return f"not enough data (n={responses})"
    return level.upper()


def _summary(a: BacklashAssessment) -> str:
    head = f"Backlash risk: {a.label}."
    if a.responses == 0:
        return f"{head} Nobody replied to or quoted the stimulus, so there is nothing to read as backlash."
    parts = [f"{a.negative_share:.0%} of {a.responses} replies and quotes were negative"]
    if a.quote_repost_ratio >= QUOTE_REPOST_THRESHOLDS[0]:
        parts.append(
            f"it was quoted {a.quote_repost_ratio:.1f} times per repost (a sign of people quoting it to mock or criticise)"
        )
    if a.negative_growth is not None and a.negative_growth >= NEGATIVE_GROWTH_THRESHOLDS[0]:
        parts.append(f"negative replies were still growing ({a.negative_growth:.0%} per step)")
    if a.accusation_share:
        cues = ", ".join(f'"{c}"' for c in a.top_accusations)
        parts.append(f"{a.accusation_share:.0%} made accusations (most often {cues})")
    text = f"{head} {'; '.join(parts)}."
    if a.amplifiers:
        top = a.amplifiers[0]
        text += (
            f" Biggest amplifier: @{top.handle} ({_plural(top.critical_posts, 'critical post')} drew "
            f"{_plural(top.engagements, 'engagement')} from {_plural(top.reach, 'person', 'people')})."
        )
    if not a.enough_evidence:
        text += f" A risk level needs at least {MIN_RESPONSES} replies and quotes."
    return text


def assess_backlash(
    posts: Sequence[PostRecord],
    actions: Sequence[ActionRecord],
    labels: Sequence[ResponseLabel],
    personas: Sequence[PersonaRecord] = (),
    stimulus_post_ids: Collection[str] | None = None,
) -> BacklashAssessment:
    """Signals, risk level and summary for the cascades of the given stimulus posts (default: all)."""
    stimuli = [
        p for p in posts if p.is_stimulus and (stimulus_post_ids is None or p.post_id in stimulus_post_ids)
    ]
    chosen = {p.post_id for p in stimuli}
    responses = [lb for lb in labels if lb.stimulus_post_id in chosen]
    in_cascade: set[str] = set()
    children = thread_children(posts)
    for stimulus in stimuli:
        in_cascade |= descendants(posts, stimulus.post_id, children).keys()
    kinds = Counter(p.kind for p in posts if p.post_id in in_cascade and p.post_id not in chosen)
    quote_repost_ratio = kinds[PostKind.QUOTE] / max(kinds[PostKind.REPOST], 1)
    negative = [lb for lb in responses if lb.sentiment is Sentiment.NEGATIVE]
    cues_per_response = [set(accusation_cues(lb.text)) for lb in responses]
    accusations = Counter(cue for cues in cues_per_response for cue in cues)
    accusing = sum(1 for cues in cues_per_response if cues)
    first_step = min((p.step for p in stimuli), default=0)
    last_step = max([*(p.step for p in posts), *(a.step for a in actions)], default=first_step)
    values = {
        "negative_share": len(negative) / len(responses) if responses else None,
        "quote_repost_ratio": quote_repost_ratio,
        "negative_growth": negative_growth([lb.step for lb in negative], first_step, last_step),
        "accusation_share": accusing / len(responses) if responses else None,
    }
    thresholds = {
        "negative_share": NEGATIVE_SHARE_THRESHOLDS,
        "quote_repost_ratio": QUOTE_REPOST_THRESHOLDS,
        "negative_growth": NEGATIVE_GROWTH_THRESHOLDS,
        "accusation_share": ACCUSATION_SHARE_THRESHOLDS,
    }
    signals = tuple(Signal(n, values[n], _points(values[n], thresholds[n]), thresholds[n]) for n in values)
    score = sum(SIGNAL_WEIGHTS[s.name] * s.points for s in signals) / sum(SIGNAL_WEIGHTS.values())
    critical = [lb for lb in responses if lb.sentiment is Sentiment.NEGATIVE or lb.stance is Stance.OPPOSE]
    handles = {p.persona_id: p.handle or p.persona_id for p in personas}
    level = _level(score, len(responses))
    assessment = BacklashAssessment(
        level=level,
        score=score,
        responses=len(responses),
        negative_share=values["negative_share"],
        quote_repost_ratio=quote_repost_ratio,
        negative_growth=values["negative_growth"],
        accusation_share=values["accusation_share"],
        top_accusations=tuple(c for c, _ in sorted(accusations.items(), key=lambda kv: (-kv[1], kv[0]))[:3]),
        signals=signals,
        amplifiers=top_amplifiers(critical, posts, actions, handles),
        enough_evidence=len(responses) >= MIN_RESPONSES,
        summary="",
        label=risk_label(level, len(responses)),
    )
    return replace(assessment, summary=_summary(assessment))
