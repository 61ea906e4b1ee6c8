"""Content policies applied inside a run, at the moment a post is written or ranked.

A trust & safety team tests a rule before shipping it, so the rule must act where the platform
would: on the text as it is written, and on the feed as it is ranked, changing what agents see
next. A policy is data (``ModerationPolicy``, stored in ``WorldConfig``) with rules of five
kinds:

* ``remove``: the post is written but never shown in a feed;
* ``label``: the post is shown with a warning label the agent reads;
* ``downrank``: the post is shown only when a feed has nothing else to fill its slots;
* ``friction``: an "are you sure?" prompt before a reply or quote: a share of the would-be
  replies whose text triggers it is abandoned (drawn from a hash of seed, step and agent, so
  the same run abandons the same replies, and the world's RNG sequence is left untouched);
* a ``rate_limit`` per author: at most ``posts`` writes in any ``steps`` consecutive steps.

A rule fires on a classifier score at or above ``threshold`` (the offline harm lexicon) or on
any of its ``keywords``. Stimuli (the experiment's input) and reposts (no text of their own)
are never moderated. Every intervention becomes a ``moderation`` event of its step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from simulations.engine.feed import Candidate
from simulations.engine.moderation_policy import DEFAULT_LABEL, POST_ACTIONS, ModerationPolicy, Rule
from simulations.engine.posts import Post, PostKind
from simulations.engine.world import World

WRITE_KINDS = ("post", "reply", "quote")
FRICTION_KINDS = ("reply", "quote")
MODERATION_PREFIX = "moderation: "  # starts the message of a write the policy refused
EXTRA_CANDIDATES = 10  # ranked beyond the feed size, so removed and downranked posts leave no gap


def _moderated(post: Post) -> bool:
    return not post.is_stimulus and post.kind is not PostKind.REPOST


def post_verdict(policy: ModerationPolicy, text: str) -> tuple[Rule, str] | None:
    """The most severe post-time rule that fires on ``text`` and why."""
    for action in POST_ACTIONS:
        for rule in policy.rules:
            if rule.action == action and (why := rule.trigger(text)) is not None:
                return rule, why
    return None


def on_created(world: World, post: Post) -> None:
    """Moderate a post the moment it is written: remember the action on the post."""
    policy = world.config.moderation
    if policy.rules and _moderated(post) and (verdict := post_verdict(policy, post.text)) is not None:
        post.moderation = verdict[0].action


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def screen_write(world: World, agent_id: str, kind: str, text: str, step: int) -> str | None:
    """Why the policy stops this write before it is published (rate limit, abandoned at the
    friction prompt), or None. Deterministic: a pure function of the world, seed and inputs."""
    policy = world.config.moderation
    if kind not in WRITE_KINDS or not policy.active:
        return None
    limit = policy.rate_limit
    if limit is not None and _writes_in_window(world, agent_id, step - limit.steps) >= limit.posts:
        return f"{MODERATION_PREFIX}rate_limit: {limit.posts} writes per {limit.steps} steps reached"
    if kind not in FRICTION_KINDS:
        return None
    draw = _unit(world.config.seed, step, agent_id, "friction")
    for rule in policy.rules:
        if (
            rule.action == "friction"
            and (why := rule.trigger(text)) is not None
            and draw < rule.abandon_share
        ):
            return f"{MODERATION_PREFIX}friction: abandoned at 'are you sure?' ({why})"
    return None


def _writes_in_window(world: World, agent_id: str, before: int) -> int:
    """The author's posts, replies and quotes after step ``before``, read newest first from the
    recent window (exact while the window holds the limit's steps; it stops at the first older post)."""
    count = 0
    for post_id in reversed(world.recent):
        post = world.posts.get(post_id)
        if post is None:
            continue
        if post.step <= before:
            break
        count += post.author_id == agent_id and post.kind is not PostKind.REPOST
    return count


def moderate_feed(world: World, ranked: Sequence[Candidate], k: int) -> list[Candidate]:
    """The feed after the policy: removed posts out, downranked ones after every other post."""
    kept, demoted = [], []
    for candidate in ranked:
        verdict = world.posts[candidate.post_id].moderation
        if verdict == "remove":
            continue
        (demoted if verdict == "downrank" else kept).append(candidate)
    return (kept + demoted)[:k]


def feed_label(world: World, post: Post) -> str | None:
    """The warning a labelled post carries in a feed (the agent reads it)."""
    if post.moderation != "label":
        return None
    rules = [r for r in world.config.moderation.rules if r.action == "label"]
    return rules[0].label if rules else DEFAULT_LABEL


def moderation_events(world: World, results: Sequence[Any]) -> list[dict[str, Any]]:
    """One event payload per intervention of a step: posts moderated as written, writes refused."""
    policy = world.config.moderation
    if not policy.active:
        return []
    events = []
    for result in results:
        if result.message.startswith(MODERATION_PREFIX):
            action, _, why = result.message[len(MODERATION_PREFIX) :].partition(": ")
            events.append(
                {
                    "action": action,
                    "agent_id": result.agent_id,
                    "post_id": result.target_post_id,
                    "reason": why,
                    "text": result.text[:200],
                }
            )
            continue
        post = world.posts.get(result.created_post_id or "")
        if post is not None and post.moderation:
            verdict = post_verdict(policy, post.text)
            events.append(
                {
                    "action": post.moderation,
                    "agent_id": result.agent_id,
                    "post_id": post.id,
                    "reason": verdict[1] if verdict else "",
                    "text": post.text[:200],
                }
            )
    return events
