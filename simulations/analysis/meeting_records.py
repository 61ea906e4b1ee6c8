"""Neutral records of a roundtable meeting, read from the engine's saved meeting.

The meeting report works on these plain records so that it needs neither Django nor a live
world; ``meeting_records`` reads them from a world (a run's saved state loads into one).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulations.engine.meeting import Phase
from simulations.engine.world import World


@dataclass(frozen=True)
class MemberRecord:
    member_id: str
    handle: str
    role: str
    is_chair: bool


@dataclass(frozen=True)
class UtteranceRecord:
    """One contribution: an opening, a speaking turn or a vote, with the position stated."""

    step: int
    item: int
    member_id: str
    phase: str  # open | speak | vote
    text: str
    position: str | None = None
    reason: str = ""
    replied_to: str | None = None  # member id answered
    heard: tuple[str, ...] = ()  # member ids whose words the speaker had just read


@dataclass(frozen=True)
class MeetingRecords:
    agenda: tuple[str, ...]
    members: tuple[MemberRecord, ...]
    utterances: tuple[UtteranceRecord, ...]
    items_opened: int  # agenda items the meeting reached
    closed: bool  # the meeting went through every item it had steps for


def meeting_records(world: World) -> MeetingRecords:
    """The records of ``world``'s meeting (a world of another format has none)."""
    meeting = world.meeting
    if meeting is None:
        raise ValueError("this world is not a roundtable")
    members = tuple(
        MemberRecord(pid, p.handle, p.role, pid == meeting.chair_id) for pid, p in world.personas.items()
    )
    utterances = tuple(
        UtteranceRecord(
            step=u.step,
            item=u.item,
            member_id=u.agent_id,
            phase=u.phase,
            text=world.posts[u.post_id].text,
            position=u.position or u.stance,
            reason=u.reason,
            replied_to=u.replied_to_agent,
            heard=tuple(u.heard),
        )
        for u in meeting.utterances
    )
    return MeetingRecords(
        agenda=tuple(world.config.roundtable.agenda),
        members=members,
        utterances=utterances,
        items_opened=len(meeting.agenda_post_ids),
        closed=meeting.phase is Phase.DONE,
    )
