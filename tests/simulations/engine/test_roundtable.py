from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import pytest

from simnet.llm.base import LLMRequest, LLMResponse
from simnet.llm.testing import FakeProvider
from simulations.engine import (
    DEMO_AGENDA,
    RoundtableConfig,
    World,
    WorldConfig,
    build_minutes,
    create_world,
    demo_board,
    format_minutes,
    format_transcript,
    minutes_summary_request,
    run,
    with_summary,
)
from simulations.engine.meeting import Phase
from simulations.engine.minutes import transcript

BOARD = demo_board()
CONFIG = WorldConfig(
    seed=9, format="roundtable", roundtable=RoundtableConfig(agenda=DEMO_AGENDA, discussion_turns=8)
)


class ScriptedBoard:
    """Everyone speaks and answers the previous speaker; the CFO votes against, others for."""

    name, model = "scripted", "board-1"

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        answers = []
        for r in requests:
            vote = "Vote now" in r.user
            heard = [line.split(":")[0] for line in r.user.split("\n") if line.startswith("@")]
            data = {
                "action": "vote" if vote else "speak",
                "target": heard[-1] if heard and not vote else None,
                "text": f"{r.key} says something {'final' if vote else 'about it'}.",
                "position": ("against" if r.key == "b1" else "for") if vote else None,
                "reason": "scripted",
            }
            answers.append(LLMResponse(r.key, json.dumps(data)))
        return answers


def board_world(config: WorldConfig = CONFIG) -> World:
    return create_world(BOARD, config)


def test_a_seven_person_board_meets_votes_and_gets_minutes() -> None:
    world = board_world()
    report = run(world, ScriptedBoard(), 100)
    assert report.stopped == "finished" and world.finished
    assert len(report.steps) == 2 * (1 + 8 + 1)  # per item: opening, discussion, vote
    lines = transcript(world)
    item_one = [line for line in lines if line.item == 0]
    assert item_one[0].phase == "open" and item_one[0].handle == "margaret_hale"  # the chair opens
    speakers = [line.agent_id for line in item_one if line.phase == "speak"]
    assert len(speakers) == 8 and all(a != b for a, b in itertools.pairwise(speakers))
    assert len(set(speakers)) >= 5  # turns go around the table
    assert all(line.replied_to for line in item_one if line.phase == "speak")  # they answer each other
    minutes = build_minutes(world)
    assert [item.agenda for item in minutes.items] == list(DEMO_AGENDA)
    for item in minutes.items:
        assert item.votes == {"for": 6, "against": 1, "abstain": 0} and item.outcome == "carried"
        assert len(item.key_points) == 7 and item.not_voting == ()
        cfo = next(p for p in item.key_points if p.role == "CFO")
        assert cfo.position == "against" and "final" in cfo.statement  # last stance = the vote statement
    text = format_minutes(minutes)
    assert "Outcome: carried (for 6, against 1, abstain 0)" in text
    assert "== Item 2:" in format_transcript(world)


def test_utterances_hang_from_their_agenda_item() -> None:
    world = board_world()
    run(world, FakeProvider(), 100)
    meeting = world.meeting
    assert meeting is not None and meeting.phase is Phase.DONE
    for utterance in meeting.utterances:
        post = world.posts[utterance.post_id]
        assert post.root_id == meeting.agenda_post_ids[utterance.item]
    minutes = build_minutes(world)
    for index, item in enumerate(minutes.items):
        votes = [u for u in meeting.utterances if u.item == index and u.phase == "vote"]
        assert sum(item.votes.values()) == len(votes)
        assert len(item.not_voting) == 7 - len(votes)


def test_members_speak_by_relevance_and_the_chair_holds_back() -> None:
    world = board_world()
    run(world, FakeProvider(), 100)
    discussion = [u.agent_id for u in world.meeting.utterances if u.phase == "speak"]  # type: ignore[union-attr]
    chair_turns = discussion.count(BOARD.personas[0].id)
    assert chair_turns <= min(discussion.count(p.id) for p in BOARD.personas[1:]) + 1


def test_a_meeting_resumed_from_a_snapshot_continues_identically() -> None:
    straight = board_world()
    run(straight, FakeProvider(), 100)
    resumed = board_world()
    run(resumed, FakeProvider(), 5)
    resumed = World.from_state(json.loads(json.dumps(resumed.to_state())))
    run(resumed, FakeProvider(), 100)
    assert resumed.to_state() == straight.to_state()


def test_an_optional_llm_summary_is_attached_to_the_minutes() -> None:
    world = board_world()
    run(world, ScriptedBoard(), 100)
    minutes = build_minutes(world)
    request = minutes_summary_request(world, minutes)
    assert "Outcome: carried" in request.user and request.schema is None
    summarised = with_summary(minutes, LLMResponse("minutes", "The board approved both items."))
    assert summarised.summary == "The board approved both items."
    assert with_summary(minutes, LLMResponse("minutes", "", error="down")) == minutes


def test_a_roundtable_needs_an_agenda_and_members() -> None:
    with pytest.raises(ValueError, match="agenda"):
        create_world(BOARD, WorldConfig(format="roundtable"))
