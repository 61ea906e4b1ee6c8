"""Settings of one run, as a frozen, JSON-able record (stored inside every world snapshot)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from simulations.engine.clock import DEFAULT_START, SimClock

FORMAT_NAMES = ("feed", "roundtable")


@dataclass(frozen=True)
class RoundtableConfig:
    """A meeting: each agenda item is opened by the chair, discussed, then voted on.

    ``discussion_turns`` is the number of speaking turns per item (one speaker a step);
    0 means "every member but the chair, plus three" so that members can answer each other.
    ``context_utterances``: how many recent utterances a speaker reads.
    """

    agenda: tuple[str, ...] = ()
    discussion_turns: int = 0
    chair_id: str | None = None
    context_utterances: int = 4


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
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorldConfig:
        values = dict(data)
        values["start"] = datetime.fromisoformat(values["start"])
        meeting = dict(values.get("roundtable", {}))
        meeting["agenda"] = tuple(meeting.get("agenda", ()))
        values["roundtable"] = RoundtableConfig(**meeting)
        values["recommender_options"] = dict(values.get("recommender_options", {}))
        return cls(**values)
