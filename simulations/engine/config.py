"""Settings of one run, as a frozen, JSON-able record (stored inside every world snapshot)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from simulations.engine.clock import DEFAULT_START, SimClock
from simulations.engine.moderation_policy import ModerationPolicy

FORMAT_NAMES = ("feed", "roundtable", "forum", "deliberation")
FORUM_SORTS = ("hot", "new", "top")


@dataclass(frozen=True)
class RoundtableConfig:
    """A meeting: each agenda item is opened by the chair, discussed, then voted on.

    ``discussion_turns`` is the number of speaking turns per item (one speaker a step);
    0 means "every member but the chair, plus three" so that members can answer each other.
    ``context_utterances``: how many recent utterances a speaker reads.
    ``steps``: the steps the run has; the meeting shortens its discussions so that every item it
    reaches ends with a vote within them (0: no limit, every item gets its full discussion).
    """

    agenda: tuple[str, ...] = ()
    discussion_turns: int = 0
    chair_id: str | None = None
    context_utterances: int = 4
    steps: int = 0


@dataclass(frozen=True)
class ForumConfig:
    """A threaded forum: communities of threads, replies nested under replies, up and down votes.

    ``sort`` orders threads and replies (hot: score against age, as Reddit; new; top: score).
    ``max_depth``: deepest reply level shown (the root post is depth 0).
    ``thread_items``: posts and comments one agent reads a step.
    ``stimulus_communities``: stimulus id -> community it is posted in (default: the first one).
    """

    communities: tuple[str, ...] = ("general",)
    sort: str = "hot"
    max_depth: int = 6
    thread_items: int = 8
    stimulus_communities: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.communities or len(set(self.communities)) != len(self.communities):
            raise ValueError("a forum needs at least one community, each named once")
        if self.sort not in FORUM_SORTS:
            raise ValueError(f"unknown forum sort {self.sort!r}; expected one of {FORUM_SORTS}")
        if self.max_depth < 1 or self.thread_items < 1:
            raise ValueError("max_depth and thread_items must be at least 1")
        unknown = set(self.stimulus_communities.values()) - set(self.communities)
        if unknown:
            raise ValueError(f"stimuli placed in unknown communities: {sorted(unknown)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "communities": list(self.communities),
            "sort": self.sort,
            "max_depth": self.max_depth,
            "thread_items": self.thread_items,
            "stimulus_communities": dict(self.stimulus_communities),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ForumConfig:
        values = dict(data)
        values["communities"] = tuple(values.get("communities", cls.communities))
        values["stimulus_communities"] = dict(values.get("stimulus_communities", {}))
        return cls(**values)


@dataclass(frozen=True)
class DeliberationConfig:
    """A deliberative poll: a poll, small moderated groups read a briefing and discuss, a re-poll.

    ``question`` is asked in both polls; ``agree_side`` (left/right) is where the rule policy
    starts (``simnet.llm.stance_rules``). ``group_size``: members per group (the last groups may
    have one fewer). ``steps``: the run's steps: one poll, ``steps - 2`` discussion rounds, one
    re-poll (0: three rounds). ``context_utterances``: recent group posts a speaker reads.
    """

    question: str = ""
    agree_side: str = "left"
    briefing: str = ""
    group_size: int = 5
    steps: int = 0
    context_utterances: int = 6

    def __post_init__(self) -> None:
        if self.group_size < 2:
            raise ValueError("a deliberation group needs at least two members")
        if self.steps and self.steps < 3:
            raise ValueError("a deliberation needs at least 3 steps: poll, one round, re-poll")


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes a run besides the panel and the stimuli.

    Token knobs size the per-step prompt suffix: ``memory_tokens`` for the rendered memory,
    ``feed_item_tokens`` for each whole feed line (header and text). The defaults keep a decision
    with a ~250-token card and a feed of 5 under 600 input tokens.
    ``candidate_window``: how many recent posts feeds draw from (keeps feed building O(window)).
    ``seen_window``: how many recently shown posts an agent remembers as acted-on-able ids.
    """

    seed: int = 0
    format: str = "feed"
    start: datetime = DEFAULT_START
    minutes_per_step: int = 60
    feed_size: int = 5
    recommender: str = "mix"
    recommender_options: Mapping[str, Any] = field(default_factory=dict)
    memory_tokens: int = 45
    feed_item_tokens: int = 34
    max_output_tokens: int = 120
    temperature: float = 0.7
    candidate_window: int = 400
    seen_window: int = 100
    roundtable: RoundtableConfig = RoundtableConfig()
    forum: ForumConfig = ForumConfig()
    deliberation: DeliberationConfig = DeliberationConfig()
    vision: bool = False  # the run's provider is shown stimulus pictures (else their alt text)
    moderation: ModerationPolicy = field(default_factory=ModerationPolicy)

    def __post_init__(self) -> None:
        if self.format not in FORMAT_NAMES:
            raise ValueError(f"unknown format {self.format!r}; expected one of {FORMAT_NAMES}")
        if self.feed_size < 1:
            raise ValueError("feed_size must be at least 1")
        if self.seen_window < self.feed_size:
            raise ValueError("seen_window must hold at least one feed")

    @property
    def clock(self) -> SimClock:
        return SimClock(self.start, self.minutes_per_step)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["recommender_options"] = dict(self.recommender_options)
        data["roundtable"]["agenda"] = list(self.roundtable.agenda)
        data["forum"] = self.forum.to_dict()
        data["moderation"] = self.moderation.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorldConfig:
        values = dict(data)
        values["start"] = datetime.fromisoformat(values["start"])
        meeting = dict(values.get("roundtable", {}))
        meeting["agenda"] = tuple(meeting.get("agenda", ()))
        values["roundtable"] = RoundtableConfig(**meeting)
        values["recommender_options"] = dict(values.get("recommender_options", {}))
        values["forum"] = ForumConfig.from_dict(values.get("forum", {}))
        values["deliberation"] = DeliberationConfig(**values.get("deliberation", {}))
        values["moderation"] = ModerationPolicy.from_dict(values.get("moderation"))  # absent before policies
        return cls(**values)
