"""Engagement counts, stimulus cascades and segment rates from a run's records.

Engagements are likes, reposts, quotes and replies that took effect (``ActionRecord.succeeded``);
an engagement rate divides them by impressions (feed items shown). A stimulus's cascade is
the stimulus post plus every post that replies to, quotes or reposts it or any of its
descendants; its size counts distinct personas, not actions, because "how many people did it
reach" is what a customer asks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from simulations.analysis.records import (
    ENGAGEMENT_ACTIONS,
    ActionKind,
    ActionRecord,
    ImpressionRecord,
    PersonaRecord,
    PostRecord,
    segment_values,
)


@dataclass(frozen=True)
class EngagementCounts:
    """Counts for one step, or the whole run when ``step`` is None."""

    step: int | None
    impressions: int
    likes: int
    reposts: int
    quotes: int
    replies: int
    follows: int
    posts: int
    engagements: int
    engagement_rate: float | None  # engagements / impressions; None without impressions


@dataclass(frozen=True)
class Cascade:
    """How far one stimulus post travelled through the panel."""

    stimulus_post_id: str
    stimulus_id: str | None
    injected_step: int
    size: int  # distinct personas who engaged with the stimulus or any descendant
    depth: int  # longest reply/quote/repost chain below the stimulus (0: nobody answered)
    descendant_posts: int
    engagements: int
    peak_step: int | None  # step with the most engagements (earliest on ties)
    time_to_peak: int | None  # peak_step - injected_step
    engagements_by_step: Mapping[int, int]
    seen_by: int | None  # distinct viewers of the cascade; None without per-view impressions
    audience: int | None  # distinct followers of the author and engagers; None without a graph
    engaged_persona_ids: frozenset[str]


@dataclass(frozen=True)
class SegmentRate:
    trait_key: str
    segment: str
    personas: int
    engaged_personas: int
    engaged_share: float  # engaged personas / personas in the segment
    engagements: int
    impressions: int | None  # None when impressions carry no persona id
    engagement_rate: float | None


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _count(step: int | None, actions: Iterable[ActionRecord], impressions: int) -> EngagementCounts:
    kinds = Counter(a.action for a in actions if a.succeeded)
    engagements = sum(kinds[k] for k in ENGAGEMENT_ACTIONS)
    return EngagementCounts(
        step=step,
        impressions=impressions,
        likes=kinds[ActionKind.LIKE],
        reposts=kinds[ActionKind.REPOST],
        quotes=kinds[ActionKind.QUOTE],
        replies=kinds[ActionKind.REPLY],
        follows=kinds[ActionKind.FOLLOW],
        posts=kinds[ActionKind.POST],
        engagements=engagements,
        engagement_rate=_ratio(engagements, impressions),
    )


def engagement_totals(
    actions: Sequence[ActionRecord], impressions: Sequence[ImpressionRecord] = ()
) -> EngagementCounts:
    """Counts over the whole run."""
    return _count(None, actions, sum(i.count for i in impressions))


def engagement_by_step(
    actions: Sequence[ActionRecord],
    impressions: Sequence[ImpressionRecord] = (),
    steps: Iterable[int] | None = None,
) -> list[EngagementCounts]:
    """One row per step, quiet steps included (from 0, or ``steps``, to the last step seen)."""
    by_step: dict[int, list[ActionRecord]] = defaultdict(list)
    for action in actions:
        by_step[action.step].append(action)
    shown: Counter[int] = Counter()
    for impression in impressions:
        shown[impression.step] += impression.count
    if steps is None:
        last = max([*by_step, *shown], default=-1)
        steps = range(last + 1)
    return [_count(step, by_step.get(step, ()), shown[step]) for step in steps]


def thread_parents(posts: Sequence[PostRecord]) -> dict[str, str | None]:
    """post id -> the post it replies to, quotes or reposts (None for a thread start).

    A post whose ``parent_id`` is unknown (not among ``posts``) hangs below its ``root_id``
    when that root is known, so threads survive a missing middle post.
    """
    known = {p.post_id for p in posts}
    parents: dict[str, str | None] = {}
    for post in posts:
        parent = post.parent_id if post.parent_id in known else None
        if parent is None and post.root_id in known:
            parent = post.root_id
        parents[post.post_id] = parent if parent != post.post_id else None
    return parents


def thread_children(posts: Sequence[PostRecord]) -> dict[str, list[str]]:
    """post id -> ids of the posts that reply to, quote or repost it (see ``thread_parents``)."""
    children: dict[str, list[str]] = defaultdict(list)
    for post_id, parent in thread_parents(posts).items():
        if parent is not None:
            children[parent].append(post_id)
    return children


def descendants(
    posts: Sequence[PostRecord], root_post_id: str, children: Mapping[str, list[str]] | None = None
) -> dict[str, int]:
    """post id -> depth below ``root_post_id`` (the root itself at depth 0).

    Pass ``children`` (from ``thread_children``) when walking many roots of the same posts.
    Cycles in bad data are ignored: each post is visited once.
    """
    children = thread_children(posts) if children is None else children
    depth = {root_post_id: 0}
    frontier = [root_post_id]
    while frontier:
        next_frontier = []
        for parent in frontier:
            for child in children.get(parent, ()):
                if child not in depth:
                    depth[child] = depth[parent] + 1
                    next_frontier.append(child)
        frontier = next_frontier
    return depth


def cascade(
    stimulus: PostRecord,
    posts: Sequence[PostRecord],
    actions: Sequence[ActionRecord],
    impressions: Sequence[ImpressionRecord] = (),
    followers: Mapping[str, frozenset[str]] | None = None,
) -> Cascade:
    """Size, depth and timing of the cascade below one stimulus post."""
    depth = descendants(posts, stimulus.post_id)
    engaging = [
        a for a in actions if a.succeeded and a.action in ENGAGEMENT_ACTIONS and a.target_post_id in depth
    ]
    engaged = {a.persona_id for a in engaging}
    engaged |= {p.author_id for p in posts if p.post_id in depth and p.post_id != stimulus.post_id}
    per_step = Counter(a.step for a in engaging)
    peak_step = min(per_step, key=lambda s: (-per_step[s], s)) if per_step else None
    viewers = {i.persona_id for i in impressions if i.post_id in depth and i.persona_id is not None}
    has_views = any(i.post_id is not None and i.persona_id is not None for i in impressions)
    audience = None
    if followers is not None:
        audience = len(
            set().union(*(followers.get(pid, frozenset()) for pid in engaged | {stimulus.author_id}))
        )
    return Cascade(
        stimulus_post_id=stimulus.post_id,
        stimulus_id=stimulus.stimulus_id,
        injected_step=stimulus.step,
        size=len(engaged),
        depth=max(depth.values()),
        descendant_posts=len(depth) - 1,
        engagements=len(engaging),
        peak_step=peak_step,
        time_to_peak=None if peak_step is None else peak_step - stimulus.step,
        engagements_by_step=dict(sorted(per_step.items())),
        seen_by=len(viewers) if has_views else None,
        audience=audience,
        engaged_persona_ids=frozenset(engaged),
    )


def stimulus_cascades(
    posts: Sequence[PostRecord],
    actions: Sequence[ActionRecord],
    impressions: Sequence[ImpressionRecord] = (),
    followers: Mapping[str, frozenset[str]] | None = None,
) -> list[Cascade]:
    """One cascade per stimulus post, in injection order."""
    stimuli = sorted((p for p in posts if p.is_stimulus), key=lambda p: (p.step, p.post_id))
    return [cascade(s, posts, actions, impressions, followers) for s in stimuli]


def engagement_by_segment(
    trait_key: str,
    personas: Sequence[PersonaRecord],
    actions: Sequence[ActionRecord],
    impressions: Sequence[ImpressionRecord] = (),
) -> list[SegmentRate]:
    """Engagement per value of one trait (e.g. "party"), sorted by segment name.

    The rate needs impressions with a persona id; without them only the share of the
    segment that engaged at all is given.
    """
    engagements = Counter(a.persona_id for a in actions if a.succeeded and a.action in ENGAGEMENT_ACTIONS)
    seen: Counter[str] = Counter()
    for impression in impressions:
        if impression.persona_id is not None:
            seen[impression.persona_id] += impression.count
    per_persona_views = bool(seen)
    members: dict[str, list[str]] = defaultdict(list)
    for persona in personas:
        for segment in segment_values(persona, trait_key):
            members[segment].append(persona.persona_id)
    rows = []
    for segment in sorted(members):
        ids = members[segment]
        engaged = sum(1 for pid in ids if engagements[pid])
        count = sum(engagements[pid] for pid in ids)
        views = sum(seen[pid] for pid in ids) if per_persona_views else None
        rows.append(
            SegmentRate(
                trait_key=trait_key,
                segment=segment,
                personas=len(ids),
                engaged_personas=engaged,
                engaged_share=engaged / len(ids),
                engagements=count,
                impressions=views,
                engagement_rate=_ratio(count, views) if views is not None else None,
            )
        )
    return rows
