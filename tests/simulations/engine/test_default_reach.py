"""An ad's default reach: the stated share of the panel, counted in personas."""

from __future__ import annotations

from simnet.llm.testing import FakeProvider
from simulations.engine import (
    PanelSnapshot,
    Persona,
    Stimulus,
    World,
    WorldConfig,
    apply_step,
    create_world,
    gather_decisions,
    plan_step,
)
from simulations.engine.stimuli import DEFAULT_OUTSIDE_BOOST, default_boost, promoted_audience


def busy_panel(size: int = 50) -> World:
    """Everyone online every step and following u0..u9, whose posts fill every chronological feed:
    an outside account's post reaches a feed only by promotion."""
    personas = tuple(Persona(id=f"u{i}", handle=f"u{i}", card="c", activity_rate=1.0) for i in range(size))
    follows = tuple((p.id, f"u{j}") for p in personas for j in range(10) if p.id != f"u{j}")
    world = create_world(PanelSnapshot(personas, follows), WorldConfig(seed=3, recommender="chronological"))
    for i in range(40):
        world.inject(Stimulus(f"filler{i}", f"Filler post {i}", author_id=f"u{i % 10}"))
    return world


def personas_reached(world: World, post_id: str, steps: int) -> set[str]:
    reached = set()
    for _ in range(steps):
        plan = plan_step(world)
        reached |= {turn.agent_id for turn in plan.turns if post_id in turn.feed}
        apply_step(world, plan, gather_decisions(plan.turns, FakeProvider()))
    return reached


def test_an_ad_by_default_reaches_the_stated_share_of_a_50_persona_panel() -> None:
    boost = default_boost(outside_author=True)
    assert boost == DEFAULT_OUTSIDE_BOOST == 0.5
    world = busy_panel(50)
    ad = world.inject(
        Stimulus("ad", "Give the gift that changes everything", author_handle="FitBikeCo", boost=boost)
    )
    assert ad is not None
    assert len(personas_reached(world, ad.id, steps=3)) == 25


def test_without_promotion_the_same_ad_reaches_nobody_there() -> None:
    world = busy_panel(50)
    ad = world.inject(
        Stimulus("ad", "Give the gift that changes everything", author_handle="FitBikeCo", boost=0.0)
    )
    assert ad is not None
    assert personas_reached(world, ad.id, steps=3) == set()


def test_a_personas_own_post_is_not_promoted_by_default() -> None:
    assert default_boost(outside_author=False) == 0.0


def test_the_audience_has_the_stated_size_and_does_not_change() -> None:
    ids = [f"u{i}" for i in range(51)]
    audience = promoted_audience("p7", ids, 0.5)
    assert len(audience) == 26 and audience <= set(ids)
    assert promoted_audience("p7", reversed(ids), 0.5) == audience
    assert promoted_audience("p8", ids, 0.5) != audience  # each post draws its own audience
