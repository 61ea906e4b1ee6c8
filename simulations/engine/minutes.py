"""Transcript and minutes of a roundtable, built deterministically from the world.

Minutes need no model: votes are tallied from the positions members gave, and each member's key
point is their last stance on the item (their vote statement, else their last words). An LLM
summary is optional and goes through the provider like any other request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from simnet.llm.base import LLMRequest, LLMResponse
from simnet.llm.seeds import decision_seed
from simnet.llm.tokens import trim_to_tokens
from simulations.engine.meeting import MeetingState
from simulations.engine.schemas import POSITIONS
from simulations.engine.world import World

POINT_TOKENS = 40


@dataclass(frozen=True)
class TranscriptLine:
    step: int
    item: int
    agent_id: str
    handle: str
    role: str
    phase: str  # open | speak | vote
    text: str
    replied_to: str | None = None  # handle answered
    position: str | None = None


@dataclass(frozen=True)
class KeyPoint:
    handle: str
    role: str
    position: str | None
    statement: str


@dataclass(frozen=True)
class ItemMinutes:
    index: int
    agenda: str
    votes: dict[str, int]  # for / against / abstain -> count
    outcome: str  # carried | rejected | tied | all abstained | no vote
    key_points: tuple[KeyPoint, ...]
    not_voting: tuple[str, ...]  # handles of members without a recorded vote


@dataclass(frozen=True)
class Minutes:
    items: tuple[ItemMinutes, ...]
    summary: str | None = None


def _meeting(world: World) -> MeetingState:
    if world.meeting is None:
        raise ValueError("this world is not a roundtable")
    return world.meeting


def transcript(world: World) -> list[TranscriptLine]:
    lines = []
    for u in _meeting(world).utterances:
        persona = world.personas[u.agent_id]
        replied = world.handle_of(u.replied_to_agent) if u.replied_to_agent else None
        text = world.posts[u.post_id].text
        lines.append(
            TranscriptLine(
                u.step, u.item, u.agent_id, persona.handle, persona.role, u.phase, text, replied, u.position
            )
        )
    return lines


def build_minutes(world: World) -> Minutes:
    meeting = _meeting(world)
    lines = transcript(world)
    items = []
    for index in range(len(meeting.agenda_post_ids)):
        said = [line for line in lines if line.item == index]
        votes = {p: 0 for p in POSITIONS}
        last: dict[str, TranscriptLine] = {}
        for line in said:
            last[line.agent_id] = line
            if line.position:
                votes[line.position] += 1
        points = tuple(
            KeyPoint(line.handle, line.role, line.position, trim_to_tokens(line.text, POINT_TOKENS))
            for pid in world.personas
            if (line := last.get(pid)) is not None
        )
        voted = {line.agent_id for line in said if line.position}
        not_voting = tuple(p.handle for pid, p in world.personas.items() if pid not in voted)
        items.append(
            ItemMinutes(
                index, world.config.roundtable.agenda[index], votes, _outcome(votes), points, not_voting
            )
        )
    return Minutes(tuple(items))


def _outcome(votes: dict[str, int]) -> str:
    if sum(votes.values()) == 0:
        return "no vote"
    if votes["for"] + votes["against"] == 0:
        return "all abstained"  # a vote was held: nobody took a side, so nothing was carried
    if votes["for"] == votes["against"]:
        return "tied"
    return "carried" if votes["for"] > votes["against"] else "rejected"


def format_transcript(world: World) -> str:
    out = []
    agenda = world.config.roundtable.agenda
    current = -1
    for line in transcript(world):
        if line.item != current:
            current = line.item
            out.append(f"== Item {current + 1}: {agenda[current]}")
        to = f" (to @{line.replied_to})" if line.replied_to else ""
        vote = f" [{line.position}]" if line.position else ""
        out.append(f"s{line.step} @{line.handle} ({line.role or 'member'}){to}{vote}: {line.text}")
    return "\n".join(out)


def format_minutes(minutes: Minutes) -> str:
    out = []
    for item in minutes.items:
        tally = ", ".join(f"{k} {v}" for k, v in item.votes.items())
        out.append(f"Item {item.index + 1}: {item.agenda}\n  Outcome: {item.outcome} ({tally})")
        out += [
            f"  - @{p.handle} ({p.role or 'member'}, {p.position or 'no vote'}): {p.statement}"
            for p in item.key_points
        ]
        if item.not_voting:
            out.append("  Not voting: " + ", ".join("@" + h for h in item.not_voting))
    if minutes.summary:
        out.append(f"Summary: {minutes.summary}")
    return "\n".join(out)


def minutes_summary_request(world: World, minutes: Minutes, *, max_tokens: int = 300) -> LLMRequest:
    """Optional: ask a model for a short prose summary of the minutes (free text)."""
    key = "minutes"
    return LLMRequest(
        key=key,
        system="You are the secretary of a board. Summarise minutes in under 120 words, neutrally, "
        "naming decisions and the main arguments on each side.",
        user=format_minutes(minutes),
        max_tokens=max_tokens,
        seed=decision_seed(world.config.seed, key, world.next_step),
        temperature=0.2,
    )


def with_summary(minutes: Minutes, response: LLMResponse) -> Minutes:
    """The minutes with the model's summary attached (unchanged when the call failed)."""
    if response.error or not response.text.strip():
        return minutes
    return replace(minutes, summary=response.text.strip())
