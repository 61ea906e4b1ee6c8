from __future__ import annotations

import pytest

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
from tests.simulations.engine.conftest import persona


def crowd(size: int = 200, seed: int = 4) -> World:
    """Everyone online every step, following u0..u9 (so their posts fill chronological feeds)."""
    personas = tuple(Persona(id=f"u{i}", handle=f"u{i}", card="c", activity_rate=1.0) for i in range(size))
    follows = tuple((p.id, f"u{j}") for p in personas for j in range(10) if p.id != f"u{j}")
    return create_world(PanelSnapshot(personas, follows), WorldConfig(seed=seed, recommender="chronological"))


def step(world: World) -> list:
    plan = plan_step(world)
    result = apply_step(world, plan, gather_decisions(plan.turns, FakeProvider()))
    return list(zip(plan.turns, result.results))


def stimulus_posts(world: World) -> list:
    return [p for p in world.posts.values() if p.is_stimulus]


def test_a_scheduled_stimulus_is_published_at_its_step_and_shown_that_step() -> None:
    world = crowd()
    world.inject(Stimulus("s1", "Our new phone is out", at_step=2, author_handle="PhoneCo"))
    step(world)
    assert stimulus_posts(world) == []
    step(world)  # step 1 ends: the stimulus for step 2 is published
    (post,) = stimulus_posts(world)
    assert post.step == 2 and world.handle_of(post.author_id) == "PhoneCo" and post.stimulus_id == "s1"
    shown = [turn for turn, _ in step(world) if post.id in turn.feed]
    assert shown, "the stimulus never reached a feed"


def test_injecting_now_appears_from_the_next_step() -> None:
    world = crowd()
    step(world)
    post = world.inject(Stimulus("live", "Breaking: a statement from the mayor", author_id="u3"))
    assert post is not None and post.author_id == "u3" and post.is_stimulus
    assert any(post.id in turn.feed for turn in plan_step(world).turns)


def test_boost_promotes_into_about_the_given_share_of_feeds() -> None:
    world = crowd(size=400)
    for i in range(30):  # followed accounts fill every feed, so the ad arrives only by promotion
        world.inject(Stimulus(f"filler{i}", f"Filler post {i}", author_id=f"u{i % 10}"))
    ad = world.inject(Stimulus("ad", "Buy our shoes", author_handle="ShoeCo", boost=0.25, boost_steps=1))
    assert ad is not None
    turns = [turn for turn, _ in step(world)]
    promoted = [turn for turn in turns if ad.id in turn.promoted]
    assert all(turn.feed[0] == ad.id for turn in promoted)
    share = len(promoted) / len(turns)
    assert 0.17 < share < 0.33, share
    first_lines = [
        next(line for line in t.request.user.split("\n") if line.startswith("P1 ")) for t in promoted
    ]
    assert all("(promoted" in line and "@ShoeCo" in line for line in first_lines)
    next_turns = [turn for turn, _ in step(world)]  # boost_steps=1: over
    assert not any(ad.id in turn.promoted for turn in next_turns)


def test_unboosted_stimuli_are_never_promoted() -> None:
    world = crowd()
    world.inject(Stimulus("plain", "Just a post", author_handle="Brand"))
    assert not any(turn.promoted for turn, _ in step(world))


def test_pending_stimuli_and_boosts_survive_a_snapshot() -> None:
    world = crowd(size=20)
    world.inject(Stimulus("later", "Later", at_step=5, author_handle="B"))
    world.inject(Stimulus("now", "Now", author_handle="B", boost=0.5))
    restored = World.from_state(world.to_state())
    assert [s.id for s in restored.pending] == ["later"] and len(restored.boosts) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": " ", "author_handle": "b"},
        {"text": "x"},
        {"text": "x", "author_handle": "b", "author_id": "u1"},
        {"text": "x", "author_handle": "b", "boost": 1.5},
    ],
)
def test_bad_stimuli_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Stimulus("bad", **kwargs)


def test_a_stimulus_by_an_unknown_panel_member_is_refused() -> None:
    world = create_world(PanelSnapshot((persona("a"), persona("b"))), WorldConfig())
    with pytest.raises(ValueError, match="not in the panel"):
        world.inject(Stimulus("x", "hello", author_id="zed"))
