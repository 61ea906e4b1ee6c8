from __future__ import annotations

from dataclasses import replace

from simnet.llm.pricing import FREE, price_for
from simnet.llm.testing import FakeProvider
from simulations.engine import (
    RoundtableConfig,
    WorldConfig,
    create_world,
    demo_board,
    demo_panel,
    estimate_run,
    run,
)
from simulations.engine.budget import tokens_spent
from simulations.engine.estimate import Range
from simulations.engine.persona import PanelSnapshot

PANEL = demo_panel(150, seed=6)
CONFIG = WorldConfig(seed=6)
SONNET = price_for("anthropic", "claude-sonnet-4-5")


def test_ranges_are_ordered_and_positive() -> None:
    estimate = estimate_run(PANEL, CONFIG, 24, price=SONNET, decisions_per_s=20.0)
    for rng in (
        estimate.calls,
        estimate.input_tokens,
        estimate.output_tokens,
        estimate.cost_usd,
        estimate.wall_time_s,
    ):
        assert rng is not None and 0 < rng.low <= rng.expected <= rng.high
    assert estimate.wall_time_s.expected == estimate.calls.expected / 20.0  # type: ignore[union-attr]
    assert any("cache" in note for note in estimate.notes)


def test_a_real_run_lands_inside_the_estimated_range() -> None:
    steps = 12
    estimate = estimate_run(PANEL, CONFIG, steps, price=FREE)
    world = create_world(PANEL, CONFIG)
    report = run(world, FakeProvider(), steps)
    calls = len(report.results)
    assert estimate.calls.low <= calls <= estimate.calls.high
    assert estimate.input_tokens.low <= world.spent.input_tokens <= estimate.input_tokens.high
    assert estimate.output_tokens.low <= world.spent.output_tokens <= estimate.output_tokens.high
    assert abs(calls - estimate.calls.expected) / estimate.calls.expected < 0.25
    assert tokens_spent(world.spent) > 0


def test_cost_scales_with_price_and_steps_and_is_zero_when_free() -> None:
    free = estimate_run(PANEL, CONFIG, 10, price=FREE)
    short = estimate_run(PANEL, CONFIG, 10, price=SONNET)
    long = estimate_run(PANEL, CONFIG, 40, price=SONNET)
    assert free.cost_usd.high == 0.0 and free.wall_time_s is None
    assert 0 < short.cost_usd.expected < long.cost_usd.expected
    assert long.calls.expected > 3 * short.calls.expected


def test_quiet_hours_mean_fewer_calls() -> None:
    night = WorldConfig(seed=6, start=CONFIG.start.replace(hour=3))
    assert (
        estimate_run(PANEL, night, 3, price=FREE).calls.expected
        < estimate_run(PANEL, CONFIG, 3, price=FREE).calls.expected
    )


def test_roundtable_calls_are_known_exactly() -> None:
    config = WorldConfig(
        format="roundtable", roundtable=RoundtableConfig(agenda=("a", "b"), discussion_turns=4)
    )
    estimate = estimate_run(demo_board(), config, 100, price=FREE)
    assert estimate.calls.low == 2 * (1 + 4 + 7)


def test_expected_replies_and_quotes_follow_the_personas_habits() -> None:
    estimate = estimate_run(PANEL, CONFIG, 12, price=FREE)
    responses = estimate.responses
    assert 0 == responses.low < responses.expected < responses.high == estimate.calls.high
    world = create_world(PANEL, CONFIG)
    run(world, FakeProvider(), 12)
    written = sum(1 for post in world.posts.values() if post.kind.value in ("reply", "quote"))
    assert written <= responses.high
    silent = demo_panel(20, seed=6)
    silent = PanelSnapshot(
        tuple(replace(p, propensities={"like": 0.3}) for p in silent.personas), silent.follows
    )
    assert estimate_run(silent, CONFIG, 12, price=FREE).responses.expected == 0


def test_a_meeting_writes_no_replies_to_label() -> None:
    config = WorldConfig(format="roundtable", roundtable=RoundtableConfig(agenda=("a",), discussion_turns=2))
    assert estimate_run(demo_board(), config, 10, price=FREE).responses == Range(0.0, 0.0, 0.0)


def test_deliberation_calls_are_every_member_at_every_step() -> None:
    from simulations.engine.config import DeliberationConfig

    panel = demo_panel(12, seed=3)
    config = WorldConfig(
        seed=3,
        format="deliberation",
        deliberation=DeliberationConfig(question="Raise the wage?", steps=5, group_size=4),
    )
    estimate = estimate_run(panel, config, 5, price=FREE)
    turns = len(run(create_world(panel, config), FakeProvider(), 5).results)
    # every member at every step (a feed's activity rates would say far fewer), plus repair retries
    assert (
        turns == 12 * 5 == estimate.calls.low <= estimate.calls.expected <= estimate.calls.high < 1.2 * turns
    )
