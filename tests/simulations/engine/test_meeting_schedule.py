"""A roundtable ends with a vote within the steps the run has, however few they are."""

from __future__ import annotations

import random

import pytest

from simnet.llm.pricing import FREE
from simnet.llm.testing import FakeProvider
from simulations.engine import (
    DEMO_AGENDA,
    RoundtableConfig,
    WorldConfig,
    build_minutes,
    create_world,
    demo_board,
    run,
)
from simulations.engine.estimate import estimate_run
from simulations.engine.meeting import Phase
from simulations.engine.roundtable import ItemPlan, RoundtableFormat, meeting_schedule

BOARD = demo_board()
ONE_ITEM = DEMO_AGENDA[:1]


def meeting(steps: int, agenda: tuple[str, ...] = ONE_ITEM):
    config = WorldConfig(seed=3, format="roundtable", roundtable=RoundtableConfig(agenda=agenda, steps=steps))
    world = create_world(BOARD, config)
    report = run(world, FakeProvider(), steps)
    return world, report


@pytest.mark.parametrize("steps", [1, 2, 3, 6, 24])
def test_the_last_step_of_a_meeting_is_its_vote(steps: int) -> None:
    world, report = meeting(steps)
    last_step = report.steps[-1].step
    votes = [u for u in world.meeting.utterances if u.phase == "vote"]
    assert votes and {u.step for u in votes} == {last_step}
    assert world.meeting.phase is Phase.DONE
    assert len(report.steps) <= steps


def test_a_default_six_step_meeting_ends_with_every_member_voting_and_minutes() -> None:
    """The builder's default (6 steps) on the demo board's two-item agenda: each item is opened,
    discussed and voted on, and every member's vote is in the minutes."""
    world, report = meeting(6, DEMO_AGENDA)
    assert world.meeting.phase is Phase.DONE and len(report.steps) == 6
    members = {p.id for p in BOARD.personas}
    minutes = build_minutes(world)
    for index, item in enumerate(minutes.items):
        voters = {u.agent_id for u in world.meeting.utterances if u.item == index and u.phase == "vote"}
        assert voters == members, index
        assert sum(item.votes.values()) == len(members) and not item.not_voting
        assert item.outcome in ("carried", "rejected", "tied")
        phases = [u.phase for u in world.meeting.utterances if u.item == index]
        assert phases[0] == "open" and phases.count("speak") <= 1  # three steps: opening, a turn, the vote


def test_a_pass_at_the_vote_with_a_position_is_a_vote_and_without_one_is_asked_again() -> None:
    fmt = RoundtableFormat()
    config = WorldConfig(seed=3, format="roundtable", roundtable=RoundtableConfig(agenda=ONE_ITEM, steps=1))
    [turn, *_] = fmt.plan(create_world(BOARD, config), random.Random(0), 0)  # one step: the vote alone
    assert turn.kind == "vote"
    counted = fmt.parse(turn, {"action": "pass", "text": None, "position": "against", "reason": "too costly"})
    assert (counted.action, counted.position, counted.reason) == ("vote", "against", "too costly")
    refused = fmt.parse(turn, {"action": "pass", "text": None, "position": None, "reason": ""})
    assert isinstance(refused, str) and "the vote is called" in refused


def test_a_two_step_meeting_is_opened_then_voted() -> None:
    world, _ = meeting(2)
    phases = {u.phase for u in world.meeting.utterances}
    assert phases == {"open", "vote"}
    assert build_minutes(world).items[0].outcome in ("carried", "rejected", "tied")


def test_every_item_of_a_short_agenda_gets_its_vote() -> None:
    world, report = meeting(6, DEMO_AGENDA)
    minutes = build_minutes(world)
    assert all(item.outcome != "no vote" for item in minutes.items) and len(minutes.items) == 2
    assert len(report.steps) == 6


def test_the_schedule_shrinks_discussion_first_then_the_opening() -> None:
    assert meeting_schedule(1, 0, 9) == (ItemPlan(True, 9),)  # no limit: the full discussion
    assert meeting_schedule(1, 24, 9) == (ItemPlan(True, 9),)
    assert meeting_schedule(1, 6, 9) == (ItemPlan(True, 4),)
    assert meeting_schedule(1, 2, 9) == (ItemPlan(True, 0),)
    assert meeting_schedule(1, 1, 9) == (ItemPlan(False, 0),)
    assert meeting_schedule(2, 13, 9) == (ItemPlan(True, 5), ItemPlan(True, 4))
    assert meeting_schedule(3, 2, 9) == (ItemPlan(False, 0), ItemPlan(False, 0))  # the third is not reached
    assert sum(plan.steps for plan in meeting_schedule(2, 13, 9)) == 13


def test_a_meeting_without_a_step_limit_keeps_its_full_discussion() -> None:
    config = WorldConfig(seed=3, format="roundtable", roundtable=RoundtableConfig(agenda=ONE_ITEM))
    world = create_world(BOARD, config)
    run(world, FakeProvider(), 100)
    speaking = [u for u in world.meeting.utterances if u.phase == "speak"]
    assert len(speaking) + sum(1 for u in world.meeting.utterances if u.phase == "open") >= 2
    assert world.meeting.turns_in_item == len(BOARD.personas) + 2


def test_speakers_record_whom_they_heard_and_their_position() -> None:
    world, _ = meeting(6)
    speaking = [u for u in world.meeting.utterances if u.phase == "speak"]
    assert speaking and all(u.heard for u in speaking)
    assert all(u.agent_id not in u.heard for u in speaking)
    assert any(u.stance for u in speaking) and not any(u.position for u in speaking)  # a vote is not a stance


@pytest.mark.parametrize("steps", [2, 6, 24])
def test_the_estimate_counts_the_calls_of_the_shortened_meeting(steps: int) -> None:
    world, report = meeting(steps)
    turns = sum(len(step.results) for step in report.steps)
    estimate = estimate_run(BOARD, world.config, steps, price=FREE)
    assert estimate.calls.low == turns  # one call per planned turn, votes included (retries on top)


def test_a_vote_turn_offers_only_a_vote_with_a_position() -> None:
    """The offline model chooses among what the schema offers: at the vote that is a vote and a
    position, so no member can pass the decision the meeting exists for."""
    from simnet.llm.offline_rules import Choice, plan_for

    fmt = RoundtableFormat()
    config = WorldConfig(seed=3, format="roundtable", roundtable=RoundtableConfig(agenda=ONE_ITEM, steps=1))
    world = create_world(BOARD, config)
    [turn, *_] = fmt.plan(world, random.Random(0), 0)
    request = turn.request
    plan = plan_for(request.schema, request.situation, request.max_tokens)
    assert plan.field("action", {}) == Choice(("vote",))
    assert plan.field("position", {"action": "vote"}) == Choice(("for", "against", "abstain"))


def test_minutes_of_a_vote_where_everyone_abstained_say_so_not_no_vote() -> None:
    from simulations.engine.minutes import _outcome

    assert _outcome({"for": 0, "against": 0, "abstain": 7}) == "all abstained"
    assert _outcome({"for": 0, "against": 0, "abstain": 0}) == "no vote"
