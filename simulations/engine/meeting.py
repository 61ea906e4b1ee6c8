"""The state of a roundtable meeting, as data (the logic lives in ``roundtable``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    OPEN = "open"  # the chair opens the agenda item
    DISCUSS = "discuss"  # one member speaks per step
    VOTE = "vote"  # every member states a position at once
    DONE = "done"  # the agenda is finished


@dataclass(frozen=True)
class Utterance:
    """One contribution to the transcript; the text lives in the post ``post_id``."""

    step: int
    item: int
    agent_id: str
    phase: str
    post_id: str
    replied_to_agent: str | None = None
    position: str | None = None  # a vote
    stance: str | None = None  # the position a speaker stated while discussing
    reason: str = ""
    # Members whose words the speaker had just read: with ``replied_to_agent`` this tells who may
    # have moved a member who changed position (older states lack it, hence the default).
    heard: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["heard"] = list(self.heard)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Utterance:
        return cls(**{**data, "heard": tuple(data.get("heard", ()))})


@dataclass
class MeetingState:
    chair_id: str
    item: int = 0
    phase: Phase = Phase.OPEN
    turns_in_item: int = 0
    agenda_post_ids: list[str] = field(default_factory=list)  # one root post per opened item
    spoken: dict[str, int] = field(default_factory=dict)  # turns per member in the current item
    last_speaker: str | None = None
    addressed: str | None = None  # whom the last speaker answered (likely to speak next)
    utterances: list[Utterance] = field(default_factory=list)

    def to_state(self) -> dict[str, Any]:
        return {
            "chair_id": self.chair_id,
            "item": self.item,
            "phase": str(self.phase),
            "turns_in_item": self.turns_in_item,
            "agenda_post_ids": list(self.agenda_post_ids),
            "spoken": dict(self.spoken),
            "last_speaker": self.last_speaker,
            "addressed": self.addressed,
            "utterances": [u.to_dict() for u in self.utterances],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> MeetingState:
        return cls(
            chair_id=state["chair_id"],
            item=state["item"],
            phase=Phase(state["phase"]),
            turns_in_item=state["turns_in_item"],
            agenda_post_ids=list(state["agenda_post_ids"]),
            spoken=dict(state["spoken"]),
            last_speaker=state["last_speaker"],
            addressed=state["addressed"],
            utterances=[Utterance.from_dict(u) for u in state["utterances"]],
        )
