"""One run's analysis in one JSON-able structure: what the results page and the API show.

``build_report`` runs every analysis over a run's records; ``RunReport.outcome_metrics``
flattens the numbers an experiment compares across replicates (see ``OUTCOME_METRICS``
for which direction is better, as ``experiment.compare_variants`` expects).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulations.analysis.backlash import BacklashAssessment, assess_backlash
from simulations.analysis.diagnostics import Diagnostics, diagnose
from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.metrics import (
    Cascade,
    EngagementCounts,
    SegmentRate,
    engagement_by_segment,
    engagement_by_step,
    engagement_totals,
    stimulus_cascades,
)
from simulations.analysis.records import (
    ActionRecord,
    FollowEdge,
    ImpressionRecord,
    PersonaRecord,
    PostRecord,
    Reaction,
    follower_map,
    reactions_from_actions,
)
from simulations.analysis.sentiment import (
    ResponseLabel,
    SegmentShare,
    SentimentClassifier,
    SentimentSummary,
    label_responses,
    negative_share_by_segment,
    summarize,
)
from simulations.analysis.themes import Embedder, ThemeReport, find_themes

MAX_SEGMENTS = 12  # a trait with more distinct values is an identifier, not a segment

# Metric name -> higher is better (for the backlash question, less negativity is better).
OUTCOME_METRICS = {
    "engagement_rate": True,
    "cascade_size": True,
    "negative_share": False,
    "oppose_share": False,
    "accusation_share": False,
    "quote_repost_ratio": False,
    "backlash_score": False,
}


@dataclass(frozen=True)
class SegmentReport:
    trait_key: str
    engagement: tuple[SegmentRate, ...]
    negativity: tuple[SegmentShare, ...]


@dataclass(frozen=True)
class StimulusReport:
    cascade: Cascade
    sentiment: SentimentSummary
    backlash: BacklashAssessment


@dataclass(frozen=True)
class RunReport:
    run_id: str | None
    variant: str | None
    totals: EngagementCounts
    steps: tuple[EngagementCounts, ...]
    stimuli: tuple[StimulusReport, ...]
    sentiment: SentimentSummary
    backlash: BacklashAssessment  # over every stimulus together
    themes: ThemeReport
    segments: tuple[SegmentReport, ...]
    responses: tuple[ResponseLabel, ...]
    diagnostics: Diagnostics | None  # only when the personas' real history was given

    def to_dict(self) -> dict[str, Any]:
        data = to_jsonable(self)
        assert isinstance(data, dict)  # a dataclass always becomes a mapping
        return data

    def outcome_metrics(self) -> dict[str, float | None]:
        """The per-replicate numbers an experiment compares (names as in ``OUTCOME_METRICS``)."""
        stanced = self.sentiment.responses
        return {
            "engagement_rate": self.totals.engagement_rate,
            "cascade_size": float(sum(s.cascade.size for s in self.stimuli)),
            "negative_share": self.sentiment.negative_share,
            "oppose_share": self.sentiment.oppose / stanced if stanced else None,
            "accusation_share": self.backlash.accusation_share,
            "quote_repost_ratio": self.backlash.quote_repost_ratio,
            "backlash_score": self.backlash.score,
        }


def _step_range(
    steps_taken: int | None, actions: Sequence[ActionRecord], impressions: Sequence[ImpressionRecord]
) -> range | None:
    """0..steps_taken, widened to any later step the records mention (None: what they mention)."""
    if steps_taken is None:
        return None
    last = max([steps_taken - 1, *(a.step for a in actions), *(i.step for i in impressions)])
    return range(last + 1)


def segment_keys(personas: Sequence[PersonaRecord]) -> list[str]:
    """Trait keys that split the panel into a few groups (2..MAX_SEGMENTS values)."""
    values: dict[str, set[str]] = {}
    for persona in personas:
        for key, value in persona.traits.items():
            if isinstance(value, (str, int, bool)) or value is None:
                values.setdefault(key, set()).add(str(value))
    return sorted(k for k, v in values.items() if 2 <= len(v) <= MAX_SEGMENTS)


def build_report(
    posts: Sequence[PostRecord],
    actions: Sequence[ActionRecord],
    personas: Sequence[PersonaRecord],
    *,
    impressions: Sequence[ImpressionRecord] = (),
    follows: Sequence[FollowEdge] = (),
    segments: Sequence[str] | None = None,
    classifier: SentimentClassifier | None = None,
    embed: Embedder | None = None,
    real_history: Sequence[Reaction] | None = None,
    steps_taken: int | None = None,
    seed: int = 0,
    run_id: str | None = None,
    variant: str | None = None,
) -> RunReport:
    """Every analysis of one run. ``segments`` defaults to the panel's categorical traits;
    ``classifier`` labels the replies and quotes (VADER when None); ``steps_taken`` gives the
    per-step rows every step the run took, quiet last steps included."""
    stimulus_text = " ".join(p.text for p in posts if p.is_stimulus)
    labels = label_responses(posts, classifier, context=stimulus_text)
    has_graph = bool(follows) or any(p.followers for p in personas)
    followers = follower_map(personas, follows) if has_graph else None
    stimuli = []
    for cascade in stimulus_cascades(posts, actions, impressions, followers):
        own = [lb for lb in labels if lb.stimulus_post_id == cascade.stimulus_post_id]
        backlash = assess_backlash(posts, actions, labels, personas, {cascade.stimulus_post_id})
        stimuli.append(StimulusReport(cascade, summarize(own), backlash))
    keys = segment_keys(personas) if segments is None else list(segments)
    segment_reports = tuple(
        SegmentReport(
            key,
            tuple(engagement_by_segment(key, personas, actions, impressions)),
            tuple(negative_share_by_segment(labels, personas, key)),
        )
        for key in keys
    )
    diagnostics = None
    if real_history is not None:  # the lexicon model on both sides: like with like, and free
        diagnostics = diagnose(reactions_from_actions(actions), real_history)
    return RunReport(
        run_id=run_id,
        variant=variant,
        totals=engagement_totals(actions, impressions),
        steps=tuple(engagement_by_step(actions, impressions, _step_range(steps_taken, actions, impressions))),
        stimuli=tuple(stimuli),
        sentiment=summarize(labels),
        backlash=assess_backlash(posts, actions, labels, personas),
        themes=find_themes([lb.text for lb in labels], [lb.post_id for lb in labels], seed=seed, embed=embed),
        segments=segment_reports,
        responses=tuple(labels),
        diagnostics=diagnostics,
    )
