"""When the run room shows a roundtable's minutes: after the first vote, or when the meeting ends."""

from __future__ import annotations

import json
from collections.abc import Sequence

from simnet.llm.base import LLMRequest, LLMResponse
from simulations.engine import DEMO_AGENDA, RoundtableConfig, WorldConfig, create_world, demo_board, run
from simulations.runs.room import minutes_so_far

CONFIG = WorldConfig(
    seed=4, format="roundtable", roundtable=RoundtableConfig(agenda=DEMO_AGENDA[:1], discussion_turns=2)
)


class NobodyVotes:
    """Members speak when asked to, and pass when asked to vote."""

    name, model = "scripted", "no-votes"

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        voting = ["Vote now" in r.user for r in requests]
        return [
            LLMResponse(r.key, json.dumps({"action": "pass"} if vote else {"action": "speak", "text": "A view."}))
            for r, vote in zip(requests, voting, strict=True)
        ]


def test_minutes_wait_for_a_vote_or_the_end_of_the_meeting() -> None:
    world = create_world(demo_board(), CONFIG)
    run(world, NobodyVotes(), 1)  # the chair opens: nothing to minute yet
    assert minutes_so_far(world) is None
    run(world, NobodyVotes(), 20)
    assert world.finished
    minutes = minutes_so_far(world)
    assert minutes is not None
    [item] = minutes.items
    assert item.outcome == "no vote" and sum(item.votes.values()) == 0
    assert len(item.not_voting) == len(world.personas)
