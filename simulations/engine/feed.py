"""Candidate pools for feeds: bounded, built once per step, shared by every agent.

Ranking every post for every agent would be O(agents x posts). Instead a step starts with one
pool of the recent window (newest first, and by "hot" score), and each agent adds only the
newest posts of the accounts it follows (``World.by_author`` keeps three per author). A repost
brings its original into view: the candidate is the original, ``via`` names who shared it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from simulations.engine.posts import Post, PostKind
from simulations.engine.world import World

HOT_DECAY = 1.5  # exponent of the age penalty, as in Hacker News' "gravity"


class Candidate(NamedTuple):
    post_id: str  # the content shown (a repost resolved to its original)
    seq: int  # when it came into view (the repost's sequence number for a shared post)
    via: str | None  # the account whose repost brought it, if any


@dataclass(frozen=True)
class StepPool:
    step: int
    newest: tuple[Candidate, ...]
    hot: tuple[Candidate, ...]


def hot_score(post: Post, step: int) -> float:
    engagement = 1 + post.likes + 2 * post.reposts + 2 * post.quotes + post.replies
    return engagement / (1 + max(0, step - post.step)) ** HOT_DECAY


def build_pool(world: World, step: int) -> StepPool:
    """The shared candidates of ``step``, from the recent window (each original once)."""
    newest: list[Candidate] = []
    included: set[str] = set()
    for post_id in reversed(world.recent):
        candidate = as_candidate(world, world.posts[post_id])
        if candidate.post_id not in included:
            included.add(candidate.post_id)
            newest.append(candidate)
    hot = sorted(newest, key=lambda c: (-hot_score(world.posts[c.post_id], step), -c.seq))
    return StepPool(step, tuple(newest), tuple(hot))


def as_candidate(world: World, post: Post) -> Candidate:
    if post.kind is PostKind.REPOST and post.parent_id:
        return Candidate(post.parent_id, post.seq, post.author_id)
    return Candidate(post.id, post.seq, None)


def followed_candidates(world: World, agent_id: str) -> list[Candidate]:
    """Newest posts (and reposts) of the accounts ``agent_id`` follows, newest first."""
    found = [
        as_candidate(world, world.posts[post_id])
        for followee in world.following[agent_id]
        for post_id in world.by_author.get(followee, ())
    ]
    found.sort(key=lambda c: -c.seq)
    return found


def is_eligible(world: World, agent_id: str, candidate: Candidate) -> bool:
    """Not one's own, not from (or shared by) a muted account, not shown recently."""
    post = world.posts[candidate.post_id]
    if post.author_id == agent_id or candidate.post_id in world.agents[agent_id].seen:
        return False
    muted = world.muted[agent_id]
    return post.author_id not in muted and (candidate.via is None or candidate.via not in muted)


def take(
    world: World, agent_id: str, candidates: Iterable[Candidate], k: int, taken: set[str]
) -> list[Candidate]:
    """The first ``k`` eligible candidates not in ``taken`` (which is updated)."""
    chosen: list[Candidate] = []
    if k <= 0:
        return chosen
    for candidate in candidates:
        if candidate.post_id in taken or not is_eligible(world, agent_id, candidate):
            continue
        taken.add(candidate.post_id)
        chosen.append(candidate)
        if len(chosen) == k:
            break
    return chosen
