"""Neutral input records for the analysis package.

The engine, the Django side and the backtest importers all map their data into these plain
dataclasses, so every analysis (metrics, sentiment, themes, backlash, statistics) works the
same on a live run, a stored run or a real-world reference case. Ids are strings everywhere
(database keys, platform ids and engine ids all fit). No Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PostKind(StrEnum):
    POST = "post"
    REPLY = "reply"
    QUOTE = "quote"
    REPOST = "repost"


class ActionKind(StrEnum):
    POST = "post"
    REPLY = "reply"
    QUOTE = "quote"
    REPOST = "repost"
    LIKE = "like"
    DOWNVOTE = "downvote"  # a forum vote against; not engagement
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    MUTE = "mute"
    REPORT = "report"
    IGNORE = "ignore"
    ERROR = "error"


# Acting on someone else's post: the numerator of an engagement rate.
ENGAGEMENT_ACTIONS = frozenset({ActionKind.LIKE, ActionKind.REPOST, ActionKind.QUOTE, ActionKind.REPLY})
# Actions that write text a person could read (what sentiment and themes look at).
RESPONSE_KINDS = frozenset({PostKind.REPLY, PostKind.QUOTE})
OK_OUTCOMES = frozenset({"", "ok"})


@dataclass(frozen=True)
class PostRecord:
    """One post in a run: an original post, a reply, a quote or a repost.

    ``parent_id`` is the post this one replies to, quotes or reposts (None for an original
    post). ``root_id`` is the start of its thread/cascade; None means "this post is a root".
    A stimulus post (the injected ad) has ``is_stimulus`` set and ``stimulus_id`` naming the
    stimulus or variant it carries.
    """

    post_id: str
    author_id: str
    kind: PostKind
    text: str = ""
    step: int = 0
    parent_id: str | None = None
    root_id: str | None = None
    is_stimulus: bool = False
    stimulus_id: str | None = None

    @property
    def root(self) -> str:
        return self.root_id or self.post_id


@dataclass(frozen=True)
class ActionRecord:
    """One persona's decision in one step.

    ``target_post_id`` is the post acted on (liked, replied to, quoted, reposted, reported);
    ``created_post_id`` the post the action wrote, if any; ``target_persona_id`` the persona
    followed, unfollowed or muted. ``outcome`` is "ok" (or empty) when the action took effect,
    otherwise the reason it did not (refused, invalid target, provider error text).
    """

    step: int
    persona_id: str
    action: ActionKind
    target_post_id: str | None = None
    created_post_id: str | None = None
    text: str = ""
    outcome: str = "ok"
    target_persona_id: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.action is not ActionKind.ERROR and self.outcome in OK_OUTCOMES


@dataclass(frozen=True)
class PersonaRecord:
    """A panel member: traits are segment fields (age_group, party, gender, interests...).

    A trait value may be a list (e.g. interests): the persona then belongs to each listed
    segment. ``followers`` are persona ids following this persona; a separate list of
    ``FollowEdge`` works too (see ``follower_map``).
    """

    persona_id: str
    handle: str = ""
    traits: Mapping[str, Any] = field(default_factory=dict)
    followers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FollowEdge:
    follower_id: str
    followee_id: str


@dataclass(frozen=True)
class ImpressionRecord:
    """Feed items shown. Use the finest grain the run kept.

    One row per step with only ``count`` (aggregate), per post (``post_id``), per viewer
    (``persona_id``) or per single view (both). Segment rates need ``persona_id``; the reach
    of a stimulus ("seen by") needs both.
    """

    step: int
    count: int = 1
    persona_id: str | None = None
    post_id: str | None = None


@dataclass(frozen=True)
class Reaction:
    """What one persona did about one piece of content, without graph context.

    Used for both sides of a backtest (what really happened vs what was simulated) and for
    the honesty diagnostics (simulated behaviour vs the same personas' real history).
    ``engagement_score`` is a predicted probability of engaging (e.g. the share of
    replicates in which the persona engaged); None means "1 if it engaged, else 0".
    """

    persona_id: str
    action: ActionKind
    text: str = ""
    engagement_score: float | None = None

    @property
    def engaged(self) -> bool:
        return self.action in ENGAGEMENT_ACTIONS


def as_reaction(row: Reaction | tuple[Any, ...]) -> Reaction:
    """Accept ``Reaction`` or a ``(persona_id, action, text[, score])`` tuple."""
    if isinstance(row, Reaction):
        return row
    persona_id, action, *rest = row
    text = rest[0] if rest else ""
    score = rest[1] if len(rest) > 1 else None
    return Reaction(str(persona_id), ActionKind(action), text or "", score)


def reactions_from_actions(actions: Iterable[ActionRecord]) -> list[Reaction]:
    """Simulated actions as reactions (failed actions are left out: nobody saw them)."""
    return [Reaction(a.persona_id, a.action, a.text) for a in actions if a.succeeded]


def follower_map(
    personas: Iterable[PersonaRecord], edges: Iterable[FollowEdge] = ()
) -> dict[str, frozenset[str]]:
    """persona id -> ids of its followers, merging ``PersonaRecord.followers`` and edges."""
    followers: dict[str, set[str]] = {p.persona_id: set(p.followers) for p in personas}
    for edge in edges:
        followers.setdefault(edge.followee_id, set()).add(edge.follower_id)
    return {pid: frozenset(ids) for pid, ids in followers.items()}


def segment_values(persona: PersonaRecord, trait_key: str) -> tuple[str, ...]:
    """The segments a persona belongs to for one trait ("unknown" when it is missing)."""
    value = persona.traits.get(trait_key)
    if value is None or value == "":
        return ("unknown",)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(sorted({str(v) for v in value})) or ("unknown",)
    return (str(value),)
