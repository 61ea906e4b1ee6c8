"""From imported history to what a reaction model learns from: who saw which post, and what they did.

History says what people did, never what they saw and passed over. We take the panel as the
audience of every post we know (posts the members wrote, and posts they reacted to, whose text
the importer kept): a member who did not react to a known post ignored it. For large histories
the ignored exposures are sampled (``NEGATIVES_PER_POSITIVE``, at least ``MIN_NEGATIVES`` per
member), seeded, so fitting stays fast and repeatable; each kept ignore then weighs for the ones
left out, so the learnt rates stay the real ones.

A post's time is its own when a member wrote it, else the first reaction to it. Everything here
splits on one cut-off: training sees posts and reactions at or before it, the test after it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from scraping.sources.records import HistoryKind, HistoryRecord
from simulations.learning.reactions import Exposure

# A member's main reaction to a post: the most expressive one.
PRIORITY = ("reply", "quote", "repost", "like")
REACTIONS = frozenset(PRIORITY)
NEGATIVES_PER_POSITIVE = 10
MIN_NEGATIVES = 40


@dataclass(frozen=True)
class MemberItem:
    """One history item of a panel member (``persona``: its id as the engine names it)."""

    persona: str
    handle: str
    record: HistoryRecord


@dataclass(frozen=True)
class KnownPost:
    post_id: str
    text: str
    author: str
    at: datetime
    community: str = ""
    top_level: bool = True  # False for a member's reply: a comment in a thread, not a post of its own


def known_posts(history: Sequence[MemberItem]) -> dict[str, KnownPost]:
    """Every post with text and a time: written by a member, or reacted to by one."""
    posts: dict[str, KnownPost] = {}
    for item in history:
        r = item.record
        if r.kind in (HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE) and r.text and r.created_at:
            posts[r.platform_id] = KnownPost(
                r.platform_id, r.text, item.handle, r.created_at, r.community, r.kind is not HistoryKind.REPLY
            )
    for item in sorted(_reactions(history), key=lambda i: i.record.created_at):
        r = item.record
        if r.target_id not in posts and r.target_text:
            posts[r.target_id] = KnownPost(r.target_id, r.target_text, r.target_author, r.created_at, r.community)
    return posts


def _reactions(history: Sequence[MemberItem]) -> list[MemberItem]:
    return [i for i in history if i.record.kind.value in REACTIONS and i.record.target_id and i.record.created_at]


def main_reactions(history: Sequence[MemberItem]) -> dict[tuple[str, str], str]:
    """(persona, post id) -> the persona's most expressive reaction to that post."""
    rank = {action: i for i, action in enumerate(PRIORITY)}
    chosen: dict[tuple[str, str], str] = {}
    for item in _reactions(history):
        key, action = (item.persona, item.record.target_id), item.record.kind.value
        if key not in chosen or rank[action] < rank[chosen[key]]:
            chosen[key] = action
    return chosen


def own_texts(history: Sequence[MemberItem], until: datetime | None = None) -> dict[str, list[str]]:
    """persona -> what it wrote itself (posts, replies, quotes) up to ``until``: its topics."""
    texts: dict[str, list[str]] = defaultdict(list)
    for item in history:
        r = item.record
        written = r.kind in (HistoryKind.POST, HistoryKind.REPLY, HistoryKind.QUOTE) and r.text
        if written and (until is None or (r.created_at is not None and r.created_at <= until)):
            texts[item.persona].append(r.text)
    return dict(texts)


def pairs(
    posts: Mapping[str, KnownPost], personas: Collection[str], authors: Mapping[str, str],
    reactions: Mapping[tuple[str, str], str],
) -> tuple[list[Exposure], list[str]]:  # fmt: skip
    """Every (post, member) exposure with the member's real action; authors never see their own post."""
    exposures, actions = [], []
    for post in sorted(posts.values(), key=lambda p: (p.at, p.post_id)):
        for persona in sorted(personas):
            if authors.get(persona) == post.author:
                continue
            exposures.append(Exposure(persona, post.post_id, post.text, post.author, post.at, post.community))
            actions.append(reactions.get((persona, post.post_id), "ignore"))
    return exposures, actions


def training_set(
    history: Sequence[MemberItem], personas: Collection[str], *, until: datetime | None = None, seed: int = 0
) -> tuple[list[Exposure], list[str], list[float]]:
    """Exposures up to ``until`` with every reaction and a seeded, weighted sample of the ignored ones."""
    posts = {k: p for k, p in known_posts(history).items() if until is None or p.at <= until}
    reactions = {
        key: action for key, action in main_reactions(history).items() if key[1] in posts
    }
    exposures, actions = pairs(posts, personas, handles(history), reactions)
    return sample_ignored(exposures, actions, seed=seed)


def handles(history: Sequence[MemberItem]) -> dict[str, str]:
    return {item.persona: item.handle for item in history}


def sample_ignored(
    exposures: list[Exposure], actions: list[str], *, seed: int = 0
) -> tuple[list[Exposure], list[str], list[float]]:
    """All reactions (weight 1), and per member at most max(NEGATIVES_PER_POSITIVE x reactions,
    MIN_NEGATIVES) ignores, each weighing (the member's ignores / the ones kept)."""
    rng = random.Random(seed)
    by_persona: dict[str, list[int]] = defaultdict(list)
    positives: dict[str, int] = defaultdict(int)
    for index, (exposure, action) in enumerate(zip(exposures, actions, strict=True)):
        if action == "ignore":
            by_persona[exposure.persona].append(index)
        else:
            positives[exposure.persona] += 1
    weight = {i: 1.0 for i, action in enumerate(actions) if action != "ignore"}
    for persona, ignored in by_persona.items():
        cap = max(NEGATIVES_PER_POSITIVE * positives[persona], MIN_NEGATIVES)
        kept = ignored if len(ignored) <= cap else rng.sample(ignored, cap)
        weight.update((i, len(ignored) / len(kept)) for i in kept)
    order = sorted(weight, key=lambda i: (exposures[i].at, i))
    return [exposures[i] for i in order], [actions[i] for i in order], [weight[i] for i in order]
