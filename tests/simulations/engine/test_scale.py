"""At 100,000 personas a step is still a pure function of the world and the decisions."""

from __future__ import annotations

import json

import pytest

from simnet.llm.baseline import BaselineProvider
from simulations.engine import (
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
)
from simulations.engine.stimuli import Stimulus

AD = Stimulus(
    "ad", "FizzCola zero: the same taste, no sugar.", at_step=1, author_handle="FizzCola", boost=0.2
)


@pytest.mark.slow
def test_a_100k_plan_and_apply_are_deterministic_and_survive_a_snapshot():
    world = create_world(demo_panel(100_000, seed=1), WorldConfig(seed=1), [AD])
    first = plan_step(world)
    apply_step(world, first, gather_decisions(first.turns, BaselineProvider()))  # posts, memories, a boost
    twin = World.from_state(json.loads(json.dumps(world.to_state())))

    plan, twin_plan = plan_step(world), plan_step(twin)
    assert len(plan.turns) > 10_000  # the size this test is about
    assert plan.turns == twin_plan.turns and plan.rng_state == twin_plan.rng_state
    decisions = gather_decisions(plan.turns, BaselineProvider())
    assert sum(d.decision is not None and d.decision.action != "ignore" for d in decisions) > 1_000
    result, twin_result = apply_step(world, plan, decisions), apply_step(twin, twin_plan, decisions)

    assert [r.to_dict() for r in result.results] == [r.to_dict() for r in twin_result.results]
    assert result.impressions == twin_result.impressions
    assert world.to_state() == twin.to_state()
