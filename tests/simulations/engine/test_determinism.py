"""Same seed => same run; a run resumed from a stored snapshot equals an uninterrupted one."""

from __future__ import annotations

import json

from simnet.llm.testing import FakeProvider
from simulations.engine import (
    PanelSnapshot,
    Stimulus,
    World,
    WorldConfig,
    apply_step,
    create_world,
    demo_panel,
    gather_decisions,
    plan_step,
    run,
)

PANEL = demo_panel(60, seed=5)
AD = Stimulus(
    "ad",
    "FizzCola zero: same taste, no sugar. Try it this week!",
    at_step=2,
    author_handle="FizzCola",
    boost=0.3,
)


def new_world(seed: int = 11, recommender: str = "mix") -> World:
    return create_world(PANEL, WorldConfig(seed=seed, recommender=recommender), [AD])


def fingerprint(results: list) -> list[dict]:
    return [r.to_dict() for r in results]


def test_same_seed_same_everything() -> None:
    a, b = new_world(), new_world()
    report_a, report_b = run(a, FakeProvider(), 8), run(b, FakeProvider(), 8)
    assert fingerprint(report_a.results) == fingerprint(report_b.results)
    assert a.to_state() == b.to_state()
    assert len(report_a.results) > 50


def test_different_seed_different_run() -> None:
    a, b = new_world(seed=11), new_world(seed=12)
    assert fingerprint(run(a, FakeProvider(), 6).results) != fingerprint(run(b, FakeProvider(), 6).results)


def test_resuming_from_a_json_snapshot_equals_an_uninterrupted_run() -> None:
    for recommender in ("mix", "random", "interest", "chronological", "popularity"):
        straight = new_world(recommender=recommender)
        straight_results = run(straight, FakeProvider(), 10).results

        resumed = new_world(recommender=recommender)
        first = run(resumed, FakeProvider(), 4).results
        stored = json.loads(json.dumps(resumed.to_state()))
        for _ in range(6):  # one process per step, as the django-q2 tasks do
            world = World.from_state(stored)
            first += run(world, FakeProvider(), 1).results
            stored = json.loads(json.dumps(world.to_state()))
        assert fingerprint(first) == fingerprint(straight_results), recommender
        assert stored == json.loads(json.dumps(straight.to_state())), recommender


def test_snapshot_without_the_panel_needs_it_back() -> None:
    world = new_world()
    run(world, FakeProvider(), 3)
    slim = world.to_state(include_panel=False)
    assert "personas" not in slim
    restored = World.from_state(json.loads(json.dumps(slim)), panel=PANEL)
    assert restored.to_state() == world.to_state()
    try:
        World.from_state(slim)
    except ValueError as err:
        assert "panel" in str(err)
    else:
        raise AssertionError("a panel-less snapshot loaded without its panel")


def test_plan_step_does_not_change_the_world() -> None:
    world = new_world()
    run(world, FakeProvider(), 3)
    before = world.to_state()
    first, second = plan_step(world), plan_step(world)
    assert world.to_state() == before
    assert first.requests == second.requests and first.rng_state == second.rng_state


def test_deciding_in_batches_equals_deciding_at_once() -> None:
    whole, batched = new_world(), new_world()
    for _ in range(5):
        plan = plan_step(whole)
        apply_step(whole, plan, gather_decisions(plan.turns, FakeProvider()))
        plan = plan_step(batched)
        decisions = []
        for batch in plan.batches(7):  # e.g. several workers, each storing its decisions as dicts
            decisions += [
                type(d).from_dict(json.loads(json.dumps(d.to_dict())))
                for d in gather_decisions(batch, FakeProvider())
            ]
        apply_step(batched, plan, list(reversed(decisions)))  # order of arrival does not matter
    assert whole.to_state() == batched.to_state()


def test_a_stale_plan_is_refused() -> None:
    world = new_world()
    plan = plan_step(world)
    apply_step(world, plan, gather_decisions(plan.turns, FakeProvider()))
    try:
        apply_step(world, plan, [])
    except ValueError as err:
        assert "step" in str(err)
    else:
        raise AssertionError("a plan was applied twice")


def test_a_panel_snapshot_round_trips() -> None:
    assert PanelSnapshot.from_dict(json.loads(json.dumps(PANEL.to_dict()))) == PANEL
