"""Actions as data: one enum, one frozen dataclass per action, one explicit dispatch table.

Each handler pairs a validator (returns why the world refuses the action, or None) with an
applier (changes the world, returns the created post if any). ``execute`` never raises for a
refused action: it returns an ``ActionResult`` with outcome ``invalid`` and the reason, so one
agent's mistake never stops a step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from simnet.llm.base import ZERO_USAGE, Usage
from simulations.engine.posts import Post, PostKind
from simulations.engine.world import World, usage_from_dict

MAX_TEXT_CHARS = 280


class ActionType(StrEnum):
    POST = "post"
    REPLY = "reply"
    QUOTE = "quote"
    REPOST = "repost"
    LIKE = "like"  # a forum shows it as "upvote"
    DOWNVOTE = "downvote"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    MUTE = "mute"
    REPORT = "report"
    IGNORE = "ignore"
    ERROR = "error"  # not a choice: the agent produced no usable decision


class Outcome(StrEnum):
    OK = "ok"  # the action took effect
    INVALID = "invalid"  # understood, but the world refused it (double like, unseen post...)
    ERROR = "error"  # no usable decision (provider error, unparseable after one retry)
    MODERATED = "moderated"  # stopped by the content policy before publishing (friction, rate limit)


@dataclass(frozen=True)
class CreatePost:
    type: ClassVar[ActionType] = ActionType.POST
    text: str
    community: str | None = None  # a forum thread's community


@dataclass(frozen=True)
class Reply:
    type: ClassVar[ActionType] = ActionType.REPLY
    post_id: str
    text: str
    position: str | None = None  # a roundtable vote rides on a reply to the agenda item


@dataclass(frozen=True)
class Quote:
    type: ClassVar[ActionType] = ActionType.QUOTE
    post_id: str
    text: str


@dataclass(frozen=True)
class Repost:
    type: ClassVar[ActionType] = ActionType.REPOST
    post_id: str


@dataclass(frozen=True)
class Like:
    type: ClassVar[ActionType] = ActionType.LIKE
    post_id: str


@dataclass(frozen=True)
class Downvote:
    type: ClassVar[ActionType] = ActionType.DOWNVOTE
    post_id: str


@dataclass(frozen=True)
class Follow:
    type: ClassVar[ActionType] = ActionType.FOLLOW
    agent_id: str


@dataclass(frozen=True)
class Unfollow:
    type: ClassVar[ActionType] = ActionType.UNFOLLOW
    agent_id: str


@dataclass(frozen=True)
class Mute:
    type: ClassVar[ActionType] = ActionType.MUTE
    author_id: str


@dataclass(frozen=True)
class Report:
    type: ClassVar[ActionType] = ActionType.REPORT
    post_id: str


@dataclass(frozen=True)
class Ignore:
    type: ClassVar[ActionType] = ActionType.IGNORE


Action = CreatePost | Reply | Quote | Repost | Like | Downvote | Follow | Unfollow | Mute | Report | Ignore


@dataclass(frozen=True)
class ActionResult:
    """What one agent did in one step, as the Django side stores it (one row per agent-step)."""

    step: int
    agent_id: str
    action: ActionType
    outcome: Outcome
    target_post_id: str | None = None
    target_agent_id: str | None = None
    text: str = ""
    created_post_id: str | None = None
    message: str = ""  # why it was invalid or failed
    reason: str = ""  # the agent's own short reason
    position: str | None = None  # roundtable votes: for / against / abstain
    usage: Usage = ZERO_USAGE

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"], data["outcome"] = str(self.action), str(self.outcome)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionResult:
        values = dict(data)
        values["action"], values["outcome"] = ActionType(values["action"]), Outcome(values["outcome"])
        values["usage"] = usage_from_dict(values.get("usage", {}))
        return cls(**values)


A = TypeVar("A")


@dataclass(frozen=True)
class Handler(Generic[A]):
    validate: Callable[[World, str, A], str | None]
    apply: Callable[[World, str, A, int], Post | None]


# --- validators: return the reason for refusing, or None --------------------------------------------
def _seen_post(world: World, agent_id: str, post_id: str) -> str | None:
    if post_id not in world.posts:
        return f"no post {post_id}"
    if post_id not in world.agents[agent_id].seen:
        return f"{post_id} was never shown to this agent"
    return None


def _text(text: str) -> str | None:
    return None if text.strip() else "the text is empty"


def _others_post(world: World, agent_id: str, post_id: str) -> str | None:
    problem = _seen_post(world, agent_id, post_id)
    if problem is None and world.posts[post_id].author_id == agent_id:
        return "acting on one's own post"
    return problem


def _valid_post(world: World, agent_id: str, action: CreatePost) -> str | None:
    if action.community is not None and (
        world.forum is None or action.community not in world.forum.communities
    ):
        return f"no community {action.community}"
    return _text(action.text)


def _valid_reply(world: World, agent_id: str, action: Reply | Quote) -> str | None:
    return _seen_post(world, agent_id, action.post_id) or _text(action.text)


def _valid_repost(world: World, agent_id: str, action: Repost) -> str | None:
    if action.post_id in world.agents[agent_id].reposted:
        return f"already reposted {action.post_id}"
    return _others_post(world, agent_id, action.post_id)


def _valid_like(world: World, agent_id: str, action: Like) -> str | None:
    if action.post_id in world.agents[agent_id].liked:
        return f"already liked {action.post_id}"
    return _others_post(world, agent_id, action.post_id)


def _valid_downvote(world: World, agent_id: str, action: Downvote) -> str | None:
    if action.post_id in world.agents[agent_id].downvoted:
        return f"already downvoted {action.post_id}"
    return _others_post(world, agent_id, action.post_id)


def _valid_report(world: World, agent_id: str, action: Report) -> str | None:
    if action.post_id in world.agents[agent_id].reported:
        return f"already reported {action.post_id}"
    return _others_post(world, agent_id, action.post_id)


def _valid_follow(world: World, agent_id: str, action: Follow) -> str | None:
    if action.agent_id == agent_id:
        return "following oneself"
    if action.agent_id not in world.personas:
        return f"@{world.handle_of(action.agent_id)} is not a panel member"
    if action.agent_id in world.following[agent_id]:
        return f"already following @{world.handle_of(action.agent_id)}"
    return None


def _valid_unfollow(world: World, agent_id: str, action: Unfollow) -> str | None:
    if action.agent_id not in world.following[agent_id]:
        return f"not following @{world.handle_of(action.agent_id)}"
    return None


def _valid_mute(world: World, agent_id: str, action: Mute) -> str | None:
    if action.author_id == agent_id:
        return "muting oneself"
    if action.author_id not in world.personas and action.author_id not in world.outside:
        return f"no account {action.author_id}"
    if action.author_id in world.muted[agent_id]:
        return f"already muted @{world.handle_of(action.author_id)}"
    return None


def _always(world: World, agent_id: str, action: Ignore) -> str | None:
    return None


# --- appliers: change the world, return the post written (if any) ------------------------------------
def _apply_post(world: World, agent_id: str, action: CreatePost, step: int) -> Post:
    post = world.add_post(agent_id, PostKind.POST, action.text, step, community=action.community)
    world.note_engagement(agent_id, post)
    return post


def _apply_reply(world: World, agent_id: str, action: Reply, step: int) -> Post:
    target = world.posts[action.post_id]
    target.replies += 1
    post = world.add_post(agent_id, PostKind.REPLY, action.text, step, parent=target)
    world.note_engagement(agent_id, target)
    return post


def _apply_quote(world: World, agent_id: str, action: Quote, step: int) -> Post:
    target = world.posts[action.post_id]
    target.quotes += 1
    post = world.add_post(agent_id, PostKind.QUOTE, action.text, step, parent=target)
    world.note_engagement(agent_id, target)
    return post


def _apply_repost(world: World, agent_id: str, action: Repost, step: int) -> Post:
    target = world.posts[action.post_id]
    target.reposts += 1
    world.agents[agent_id].reposted[target.id] = None
    world.note_engagement(agent_id, target)
    return world.add_post(agent_id, PostKind.REPOST, "", step, parent=target)


def _apply_like(world: World, agent_id: str, action: Like, step: int) -> None:
    """A like; on a forum an upvote, which replaces the agent's downvote of the post if any."""
    target, agent = world.posts[action.post_id], world.agents[agent_id]
    if target.id in agent.downvoted:
        del agent.downvoted[target.id]
        target.downvotes -= 1
    target.likes += 1
    agent.liked[target.id] = None
    world.note_engagement(agent_id, target)


def _apply_downvote(world: World, agent_id: str, action: Downvote, step: int) -> None:
    """A downvote replaces the agent's upvote of the post if any; it says nothing about interests."""
    target, agent = world.posts[action.post_id], world.agents[agent_id]
    if target.id in agent.liked:
        del agent.liked[target.id]
        target.likes -= 1
    target.downvotes += 1
    agent.downvoted[target.id] = None


def _apply_report(world: World, agent_id: str, action: Report, step: int) -> None:
    world.posts[action.post_id].reports += 1
    world.agents[agent_id].reported[action.post_id] = None


def _apply_follow(world: World, agent_id: str, action: Follow, step: int) -> None:
    world.follow(agent_id, action.agent_id)


def _apply_unfollow(world: World, agent_id: str, action: Unfollow, step: int) -> None:
    world.unfollow(agent_id, action.agent_id)


def _apply_mute(world: World, agent_id: str, action: Mute, step: int) -> None:
    world.mute(agent_id, action.author_id)


def _nothing(world: World, agent_id: str, action: Ignore, step: int) -> None:
    return None


DISPATCH: dict[type, Handler[Any]] = {
    CreatePost: Handler(_valid_post, _apply_post),
    Reply: Handler(_valid_reply, _apply_reply),
    Quote: Handler(_valid_reply, _apply_quote),
    Repost: Handler(_valid_repost, _apply_repost),
    Like: Handler(_valid_like, _apply_like),
    Downvote: Handler(_valid_downvote, _apply_downvote),
    Report: Handler(_valid_report, _apply_report),
    Follow: Handler(_valid_follow, _apply_follow),
    Unfollow: Handler(_valid_unfollow, _apply_unfollow),
    Mute: Handler(_valid_mute, _apply_mute),
    Ignore: Handler(_always, _nothing),
}
PAST_TENSE = {
    ActionType.POST: "posted",
    ActionType.REPLY: "replied to",
    ActionType.QUOTE: "quoted",
    ActionType.REPOST: "reposted",
    ActionType.LIKE: "liked",
    ActionType.DOWNVOTE: "downvoted",
    ActionType.FOLLOW: "followed",
    ActionType.UNFOLLOW: "unfollowed",
    ActionType.MUTE: "muted",
    ActionType.REPORT: "reported",
}


def execute(
    world: World, agent_id: str, action: Action, step: int, *, reason: str = "", usage: Usage = ZERO_USAGE
) -> ActionResult:
    """Validate ``action`` against the world, apply it if allowed, and remember it."""
    handler = DISPATCH[type(action)]
    target_post = getattr(action, "post_id", None)
    target_agent = getattr(action, "agent_id", None) or getattr(action, "author_id", None)
    text = getattr(action, "text", "")
    base = ActionResult(
        step=step,
        agent_id=agent_id,
        action=action.type,
        outcome=Outcome.OK,
        target_post_id=target_post,
        target_agent_id=target_agent,
        text=text,
        reason=reason,
        position=getattr(action, "position", None),
        usage=usage,
    )
    problem = handler.validate(world, agent_id, action)
    if problem is not None:
        return replace(base, outcome=Outcome.INVALID, message=problem)
    created = handler.apply(world, agent_id, action, step)
    _remember(world, agent_id, action.type, step, target_post, target_agent, text)
    return replace(base, created_post_id=created.id if created else None)


def _remember(
    world: World,
    agent_id: str,
    action: ActionType,
    step: int,
    post_id: str | None,
    other_id: str | None,
    text: str,
) -> None:
    verb = PAST_TENSE.get(action)
    if verb is None:
        return
    who, what = "", ""
    if post_id is not None:
        post = world.posts[post_id]
        who, what = f" @{world.handle_of(post.author_id)}", f" '{post.text}'"
    elif other_id is not None:
        who = f" @{world.handle_of(other_id)}"
    said = f": {text}" if text else what  # one's own words first; the post itself when one wrote none
    world.agents[agent_id].memory.record_action(verb, f"s{step} {verb}{who}{said}")
