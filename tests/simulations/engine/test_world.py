from __future__ import annotations

import random

import pytest

from simnet.llm.baseline import BaselineProvider
from simnet.llm.testing import FakeProvider
from simulations.engine import PanelSnapshot, Persona, World, WorldConfig, create_world, demo_panel, run
from simulations.engine.feed_format import active_agents
from simulations.engine.testing import fixed_clock
from tests.simulations.engine.conftest import persona, write


def test_activity_follows_hours_and_rates() -> None:
    personas = (
        Persona(id="night", handle="night", activity_rate=1.0, active_hours=frozenset({2})),
        Persona(id="always", handle="always", activity_rate=1.0),
        Persona(id="never", handle="never", activity_rate=0.0),
        Persona(id="half", handle="half", activity_rate=0.5),
    )
    world = create_world(PanelSnapshot(personas), WorldConfig(start=fixed_clock().start))  # 09:00
    rng = random.Random(0)
    draws = [active_agents(world, rng, step) for step in range(400)]
    assert all("always" in d and "never" not in d for d in draws)
    night_steps = [step for step, d in enumerate(draws) if "night" in d]
    assert night_steps and all(world.clock.hour(step) == 2 for step in night_steps)
    half = sum("half" in d for d in draws) / len(draws)
    assert 0.4 < half < 0.6


def test_seen_window_is_bounded_and_ordered() -> None:
    small = create_world(PanelSnapshot((persona("a"), persona("b"))), WorldConfig(seen_window=5, feed_size=5))
    posts = [write(small, "b", f"post {i}") for i in range(8)]
    for post in posts:
        small.mark_seen("a", post.id)
    small.mark_seen("a", posts[4].id)  # seeing again refreshes
    assert list(small.agents["a"].seen) == [posts[i].id for i in (3, 5, 6, 7, 4)]


def test_engagement_pulls_the_profile_toward_what_was_engaged_with(trio: World) -> None:
    post = write(trio, "bob", "sourdough bread baking with rye flour")
    before = trio.relevance("ann", post)
    trio.note_engagement("ann", post)
    assert trio.relevance("ann", post) > before


def test_panel_validation() -> None:
    with pytest.raises(ValueError, match="unique"):
        PanelSnapshot((persona("a"), persona("a")))
    with pytest.raises(ValueError, match="outside the panel"):
        PanelSnapshot((persona("a"),), follows=(("a", "z"),))
    with pytest.raises(ValueError):
        Persona(id="x", handle="x", activity_rate=2.0)
    with pytest.raises(ValueError):
        Persona(id="x", handle="x", active_hours=frozenset({25}))


def test_an_unknown_state_version_is_refused(trio: World) -> None:
    state = trio.to_state()
    state["version"] = 99
    with pytest.raises(ValueError, match="version"):
        World.from_state(state)


def test_demo_panels_are_deterministic_and_varied() -> None:
    a, b = demo_panel(300, seed=1), demo_panel(300, seed=1)
    assert a == b and a != demo_panel(300, seed=2)
    rates = {p.activity_rate for p in a.personas}
    assert len(rates) > 100 and len({p.handle for p in a.personas}) == 300
    degrees = [sum(1 for f, _ in a.follows if f == p.id) for p in a.personas[:50]]
    assert min(degrees) >= 1 and max(degrees) > 12


def test_the_calibrated_baseline_drives_the_engine_without_errors() -> None:
    world = create_world(demo_panel(80, seed=4), WorldConfig(seed=4))
    report = run(world, BaselineProvider(), 8)
    assert report.results and all(r.outcome.value != "error" for r in report.results)
    assert sum(r.ok and r.action.value != "ignore" for r in report.results) > 0


def test_a_run_with_no_one_online_is_a_quiet_step() -> None:
    world = create_world(PanelSnapshot((Persona(id="a", handle="a", activity_rate=0.0),)), WorldConfig())
    report = run(world, FakeProvider(), 3)
    assert report.stopped == "completed" and report.results == [] and world.next_step == 3
