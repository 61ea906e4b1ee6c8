"""The ``feed`` format: who is online, what each one sees, and turning a decision into an action.

Each step the activity model draws, from the run's RNG, who is online (a persona whose active
hours contain the step's hour is online with probability ``activity_rate``); each online agent
gets a ranked feed of ``feed_size`` items, with boosted stimuli promoted to the feeds of their
audience (the agreed share of the panel), and is asked for one decision.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from simnet.llm.base import FeedItem
from simulations.engine import moderation
from simulations.engine.actions import (
    Action,
    ActionResult,
    ActionType,
    CreatePost,
    Follow,
    Ignore,
    Like,
    Mute,
    Outcome,
    Quote,
    Reply,
    Report,
    Repost,
    Unfollow,
    execute,
)
from simulations.engine.feed import Candidate, StepPool, build_pool, is_eligible
from simulations.engine.parsing import parse_feed_decision
from simulations.engine.posts import PostKind
from simulations.engine.prompts import feed_request, seen_entry
from simulations.engine.recommenders import Recommender, make_recommender
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from simulations.engine.world import World

REPAIR_NOTE = "Answer again with one JSON object: action, target, text, reason."


def active_agents(world: World, rng: random.Random, step: int) -> list[str]:
    hour = world.clock.hour(step)
    return [
        pid
        for pid, persona in world.personas.items()
        if hour in persona.active_hours and rng.random() < persona.activity_rate
    ]


class FeedFormat:
    name = "feed"
    repair_note = REPAIR_NOTE

    def setup(self, world: World) -> None:
        """Nothing to prepare: a feed world starts from the panel alone."""

    def plan(self, world: World, rng: random.Random, step: int) -> list[AgentTurn]:
        active = active_agents(world, rng, step)
        if not active:
            return []
        config = world.config
        recommender = make_recommender(config.recommender, config.recommender_options)
        pool = build_pool(world, step)
        audiences = {b.post_id: world.audience(b) for b in world.active_boosts(step)}
        turns = []
        for agent_id in active:
            ranked = rank_moderated(world, recommender, pool, agent_id, rng)
            ranked, promoted = promote(world, agent_id, ranked, audiences, config.feed_size)
            items, notes = feed_items(world, agent_id, ranked, promoted)
            request = feed_request(world, agent_id, step, items, notes)
            feed = tuple(c.post_id for c in ranked)
            turns.append(AgentTurn(agent_id, request, self.name, "feed", feed, tuple(promoted)))
        return turns

    def parse(self, turn: AgentTurn, payload: Mapping[str, Any]) -> Decision | str:
        return parse_feed_decision(payload, turn.feed)

    def apply(self, world: World, turn: AgentTurn, answer: AgentDecision, step: int) -> ActionResult:
        record_exposure(world, turn)
        if answer.decision is None:
            return error_result(step, answer)
        decision = answer.decision
        action = to_action(world, decision)
        refused, outcome = action, Outcome.INVALID
        if not isinstance(action, str):
            refused = moderation.screen_write(
                world, answer.agent_id, decision.action, decision.text or "", step
            )
            outcome = Outcome.MODERATED
        if isinstance(refused, str):
            return ActionResult(
                step=step,
                agent_id=answer.agent_id,
                action=ActionType(decision.action),
                outcome=outcome,
                text=decision.text or "",
                message=refused,
                reason=decision.reason,
                usage=answer.usage,
            )
        result = execute(world, answer.agent_id, action, step, reason=decision.reason, usage=answer.usage)
        if result.created_post_id is not None:
            moderation.on_created(world, world.posts[result.created_post_id])
        return result

    def finish(self, world: World, results: list[ActionResult]) -> dict[str, Any] | None:
        return None  # a feed has no state between steps besides the world itself


def rank_moderated(
    world: World, recommender: Recommender, pool: StepPool, agent_id: str, rng: random.Random
) -> list[Candidate]:
    """The recommender's feed after the content policy (which may drop or demote posts, so it
    ranks a few more candidates than the feed holds)."""
    k = world.config.feed_size
    if not world.config.moderation.rules:
        return recommender.rank(world, pool, agent_id, k, rng)
    ranked = recommender.rank(world, pool, agent_id, k + moderation.EXTRA_CANDIDATES, rng)
    return moderation.moderate_feed(world, ranked, k)


def error_result(step: int, answer: AgentDecision) -> ActionResult:
    return ActionResult(
        step, answer.agent_id, ActionType.ERROR, Outcome.ERROR, message=answer.error or "", usage=answer.usage
    )


def promote(
    world: World, agent_id: str, ranked: list[Candidate], audiences: Mapping[str, frozenset[str]], k: int
) -> tuple[list[Candidate], list[str]]:
    """Put each boosted post whose audience includes this agent at the top of their feed (unless
    already in it or not eligible: one's own, muted, or seen recently)."""
    promoted: list[str] = []
    present = {c.post_id for c in ranked}
    for post_id, audience in audiences.items():
        post = world.posts[post_id]
        candidate = Candidate(post.id, post.seq, None)
        if post.id in present or not is_eligible(world, agent_id, candidate):
            continue
        if agent_id in audience:
            ranked = [candidate, *ranked]
            present.add(post.id)
            promoted.append(post.id)
    return ranked[:k], promoted


def feed_items(
    world: World, agent_id: str, ranked: list[Candidate], promoted: list[str]
) -> tuple[list[FeedItem], list[list[str]]]:
    following = world.following[agent_id]
    items, notes = [], []
    for candidate in ranked:
        post = world.posts[candidate.post_id]
        followed = post.author_id in following
        note = ["promoted"] if post.id in promoted else []  # an ad is always labelled (first note)
        if followed:
            note.append("you follow")
        if candidate.via is not None:
            note.append(f"shared by @{world.handle_of(candidate.via)}")
        if label := moderation.feed_label(world, post):
            note.append(label)
        if post.parent_id is not None and post.kind in (PostKind.REPLY, PostKind.QUOTE):
            verb = "reply to" if post.kind is PostKind.REPLY else "quoting"
            note.append(f"{verb} @{world.handle_of(world.posts[post.parent_id].author_id)}")
        items.append(
            FeedItem(
                post_id=post.id,
                author_id=post.author_id,
                author_handle=world.handle_of(post.author_id),
                text=post.text,
                kind=str(PostKind.REPOST if candidate.via else post.kind),
                likes=post.likes,
                reposts=post.reposts,
                replies=post.replies,
                quotes=post.quotes,
                relevance=round(world.relevance(agent_id, post), 3),
                is_stimulus=post.is_stimulus,
                author_followed=followed,
            )
        )
        notes.append(note)
    return items, notes


def record_exposure(world: World, turn: AgentTurn) -> None:
    """The agent saw its feed: count impressions, remember the items (ids and short text)."""
    memory = world.agents[turn.agent_id].memory
    for post_id in turn.feed:
        post = world.posts[post_id]
        post.impressions += 1
        world.mark_seen(turn.agent_id, post_id)
        memory.record_seen(seen_entry(world, post_id))


ON_POST: dict[str, Callable[[str, str], Action]] = {
    "reply": Reply,
    "quote": Quote,
    "repost": lambda post_id, _text: Repost(post_id),
    "like": lambda post_id, _text: Like(post_id),
    "report": lambda post_id, _text: Report(post_id),
}
ON_ACCOUNT: dict[str, Callable[[str], Action]] = {"follow": Follow, "unfollow": Unfollow, "mute": Mute}


def to_action(world: World, decision: Decision) -> Action | str:
    """The typed action a feed decision names, or why its target does not exist."""
    name = decision.action
    if name == "post":
        return CreatePost(decision.text or "")
    if name == "ignore":
        return Ignore()
    if name in ON_POST:
        if decision.target_post_id is None:
            return f"{name} needs a target feed id"
        return ON_POST[name](decision.target_post_id, decision.text or "")
    account = _account(world, decision)
    if account is None:
        return f"no account @{decision.target_handle}" if decision.target_handle else f"{name} needs a target"
    return ON_ACCOUNT[name](account)


def _account(world: World, decision: Decision) -> str | None:
    if decision.target_post_id is not None:
        post = world.posts.get(decision.target_post_id)
        return post.author_id if post else None
    if decision.target_handle:
        handle = decision.target_handle.lstrip("@")
        outside = [aid for aid, h in world.outside.items() if h.lower() == handle.lower()]
        return world.agent_for_handle(handle) or (outside[0] if outside else None)
    return None
