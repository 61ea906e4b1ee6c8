"""The state of a roundtable meeting, as data (the logic lives in ``roundtable``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from simulations.engine.posts import Post, PostKind

if TYPE_CHECKING:
    from simulations.engine.world import World


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
    position: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
            utterances=[Utterance(**u) for u in state["utterances"]],
        )


AGENDA_HANDLE = "agenda"


def chair_of(world: World) -> str:
    """The configured chair, else the first persona marked as chair, else the first persona."""
    configured = world.config.roundtable.chair_id
    if configured is not None:
        if configured not in world.personas:
            raise ValueError(f"chair {configured} is not in the panel")
        return configured
    chairs = [p.id for p in world.personas.values() if p.is_chair]
    return chairs[0] if chairs else next(iter(world.personas))


def start_meeting(world: World) -> None:
    if not world.config.roundtable.agenda:
        raise ValueError("a roundtable needs at least one agenda item")
    if len(world.personas) < 2:
        raise ValueError("a roundtable needs at least two members")
    world.meeting = MeetingState(chair_id=chair_of(world))
    open_item(world, world.meeting, 0)


def open_item(world: World, meeting: MeetingState, item: int) -> Post:
    """Publish agenda item ``item`` as the root post every utterance on it hangs from."""
    text = world.config.roundtable.agenda[item]
    author = world.outside_account(AGENDA_HANDLE)
    post = world.add_post(author, PostKind.POST, f"Agenda item {item + 1}: {text}", world.next_step)
    meeting.agenda_post_ids.append(post.id)
    meeting.item = item
    meeting.phase = Phase.OPEN
    meeting.turns_in_item = 0
    meeting.spoken = {}
    meeting.last_speaker = None
    meeting.addressed = None
    return post
