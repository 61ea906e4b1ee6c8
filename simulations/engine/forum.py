"""The ``forum`` format: communities of threads where people answer each other, and vote.

Each community holds threads (a root post and its nested comments). A stimulus opens a thread
in its community. Each step the online agents (the feed's activity model) read the threads of
the communities they belong to, sorted hot, new or top, each comment under its parent up to
``max_depth``, and choose one action: reply to a post or a comment, upvote (the engine's like),
downvote (one vote per agent and post, which it may change), open a thread, or ignore.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any

from simnet.llm.base import FeedItem
from simulations.engine.actions import (
    MAX_TEXT_CHARS,
    Action,
    ActionResult,
    CreatePost,
    Downvote,
    Ignore,
    Like,
    Reply,
    execute,
)
from simulations.engine.feed_format import active_agents, error_result, record_exposure
from simulations.engine.parsing import MAX_REASON_CHARS, clean_str, normalise_action, post_ref
from simulations.engine.posts import Post, PostKind
from simulations.engine.prompts import forum_request
from simulations.engine.schemas import FORUM_ACTIONS
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from simulations.engine.vectors import cosine
from simulations.engine.world import ForumState, World

REPAIR_NOTE = (
    "Answer again with one JSON object: action (post reply upvote downvote ignore), target, text, reason."
)
HOT_SECONDS = 45_000  # Reddit's hot ranking: ten times the score is worth 12.5 hours of age
FORUM_SYNONYMS: Mapping[str, str] = {
    "like": "upvote", "up": "upvote", "vote_up": "upvote", "favorite": "upvote", "favourite": "upvote",
    "down": "downvote", "vote_down": "downvote", "dislike": "downvote",
    "comment": "reply", "respond": "reply", "answer": "reply",
    "submit": "post", "thread": "post", "write": "post", "publish": "post",
    "skip": "ignore", "none": "ignore", "nothing": "ignore", "pass": "ignore", "scroll": "ignore",
}  # fmt: skip


def hot_score(post: Post, seconds_per_step: int) -> float:
    """Reddit's hot: the order of magnitude of the score, signed, plus age in units of 12.5 hours."""
    score = post.score
    sign = (score > 0) - (score < 0)
    return sign * math.log10(max(abs(score), 1)) + post.step * seconds_per_step / HOT_SECONDS


def sort_key(world: World) -> Callable[[Post], tuple[float, int]]:
    """The configured order as an ascending key (best first); ties go to the newer post."""
    sort = world.config.forum.sort
    if sort == "new":
        return lambda post: (0.0, -post.seq)
    if sort == "top":
        return lambda post: (-post.score, -post.seq)
    seconds = world.config.minutes_per_step * 60
    return lambda post: (-hot_score(post, seconds), -post.seq)


def start_forum(world: World) -> None:
    """Create the communities; each agent joins those whose name matches its interests (all, if none do)."""
    communities = list(world.config.forum.communities)
    names = {name: world.terms.vectorize(name.replace("_", " ")) for name in communities}
    members = {}
    for agent_id, agent in world.agents.items():
        joined = [name for name in communities if cosine(agent.interest_vector, names[name]) > 0]
        members[agent_id] = joined or list(communities)
    world.forum = ForumState(communities, members, {name: [] for name in communities})


def _forum(world: World) -> ForumState:
    if world.forum is None:
        raise ValueError(f"this world is not a forum (WorldConfig.format is {world.config.format!r})")
    return world.forum


def replies_by_parent(world: World) -> dict[str, list[Post]]:
    """Every forum comment under the post it answers (built once a step, shared by all agents)."""
    children: dict[str, list[Post]] = {}
    for post in world.posts.values():
        if post.kind is PostKind.REPLY and post.community is not None and post.parent_id is not None:
            children.setdefault(post.parent_id, []).append(post)
    return children


def thread_view(world: World, agent_id: str, children: Mapping[str, list[Post]]) -> list[tuple[str, int]]:
    """``(post id, depth)`` of what the agent reads: threads in sort order, each comment after its
    parent (so a comment never shows without the post it answers). A thread takes at most half the
    view when there are others, so one busy thread does not hide every new one."""
    forum, config = _forum(world), world.config.forum
    key = sort_key(world)
    muted = world.muted[agent_id]
    roots = sorted(
        (world.posts[pid] for name in forum.members[agent_id] for pid in forum.threads[name]), key=key
    )
    per_thread = config.thread_items if len(roots) < 2 else max(1, config.thread_items // 2)
    shown: list[tuple[str, int]] = []
    for root in roots:
        if root.author_id in muted:
            continue
        thread: list[tuple[str, int]] = []
        limit = min(per_thread, config.thread_items - len(shown))
        stack = [(root, 0)]
        while stack and len(thread) < limit:
            post, depth = stack.pop()
            thread.append((post.id, depth))
            if depth < config.max_depth:
                answers = [c for c in children.get(post.id, ()) if c.author_id not in muted]
                stack += [(c, depth + 1) for c in sorted(answers, key=key, reverse=True)]
        shown += thread
        if len(shown) >= config.thread_items:
            break
    return shown


def thread_items(world: World, agent_id: str, view: list[tuple[str, int]]) -> list[FeedItem]:
    following = world.following[agent_id]
    scorer = world.scorer(agent_id)
    items = []
    for post_id, _depth in view:
        post = world.posts[post_id]
        items.append(
            FeedItem(
                post_id=post.id,
                author_id=post.author_id,
                author_handle=world.handle_of(post.author_id),
                text=post.text,
                kind=str(post.kind),
                likes=post.likes,
                replies=post.replies,
                relevance=round(scorer(post), 3),
                is_stimulus=post.is_stimulus,
                author_followed=post.author_id in following,
            )
        )
    return items


class ForumFormat:
    name = "forum"
    repair_note = REPAIR_NOTE

    def setup(self, world: World) -> None:
        start_forum(world)

    def plan(self, world: World, rng: random.Random, step: int) -> list[AgentTurn]:
        active = active_agents(world, rng, step)
        children = replies_by_parent(world) if active else {}
        turns = []
        for agent_id in active:
            view = thread_view(world, agent_id, children)
            items = thread_items(world, agent_id, view)
            request = forum_request(world, agent_id, step, items, [depth for _, depth in view])
            turns.append(AgentTurn(agent_id, request, self.name, "forum", tuple(pid for pid, _ in view)))
        return turns

    def parse(self, turn: AgentTurn, payload: Mapping[str, Any]) -> Decision | str:
        return parse_forum_decision(payload, turn.feed)

    def apply(self, world: World, turn: AgentTurn, answer: AgentDecision, step: int) -> ActionResult:
        record_exposure(world, turn)
        if answer.decision is None:
            return error_result(step, answer)
        action = to_action(world, turn.agent_id, answer.decision)
        return execute(world, turn.agent_id, action, step, reason=answer.decision.reason, usage=answer.usage)

    def finish(self, world: World, results: list[ActionResult]) -> dict[str, Any] | None:
        return None  # the threads and votes live in the posts; nothing else moves between steps


def parse_forum_decision(payload: Mapping[str, Any], feed: tuple[str, ...]) -> Decision | str:
    """A forum decision, or the problem to send back as a correction."""
    action = normalise_action(payload.get("action"), FORUM_SYNONYMS)
    if action not in FORUM_ACTIONS:
        return f"unknown action {payload.get('action')!r}; use one of {', '.join(FORUM_ACTIONS)}"
    target = clean_str(payload.get("target"))
    text = clean_str(payload.get("text"))
    reason = (clean_str(payload.get("reason")) or "")[:MAX_REASON_CHARS]
    if action == "ignore":
        return Decision("ignore", reason=reason)
    if action in ("post", "reply") and not text:
        return f"{action} needs a text"
    if action == "post":
        community = target.strip().removeprefix("/").removeprefix("r/") if target else None
        return Decision("post", target_handle=community, text=(text or "")[:MAX_TEXT_CHARS], reason=reason)
    post_id, problem = post_ref(target, feed)
    if problem:
        return problem
    if post_id is None:
        return f"{action} needs a target thread id such as P1"
    return Decision(action, target_post_id=post_id, text=(text or "")[:MAX_TEXT_CHARS] or None, reason=reason)


def to_action(world: World, agent_id: str, decision: Decision) -> Action:
    """The typed action; a new thread goes to the named community (``target_handle``), else the
    agent's first one."""
    post_id = decision.target_post_id or ""
    if decision.action == "reply":
        return Reply(post_id, decision.text or "")
    if decision.action == "upvote":
        return Like(post_id)
    if decision.action == "downvote":
        return Downvote(post_id)
    if decision.action == "post":
        return CreatePost(decision.text or "", community_named(world, agent_id, decision.target_handle))
    return Ignore()


def community_named(world: World, agent_id: str, name: str | None) -> str:
    forum = _forum(world)
    if name is None:
        return forum.members[agent_id][0]
    return next((c for c in forum.communities if c.lower() == name.lower()), name)
