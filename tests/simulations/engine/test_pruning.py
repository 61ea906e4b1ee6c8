"""Pruning keeps every post a later step can reach and drops the rest, without changing the run."""

from __future__ import annotations

import json

import pytest

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
)
from simulations.engine import step as step_module
from simulations.engine.posts import PostKind
from simulations.engine.stimuli import Boost
from simulations.engine.testing import FIXED_START
from tests.simulations.engine.conftest import persona, show, write


def _small_window_world() -> World:
    panel = PanelSnapshot((persona("ann"), persona("bob"), persona("cat"), persona("dan")), follows=())
    return create_world(
        panel, WorldConfig(seed=1, start=FIXED_START, candidate_window=3, feed_size=1, seen_window=4)
    )


def test_prune_keeps_windows_parents_boosts_and_stimuli_and_drops_the_rest() -> None:
    world = _small_window_world()
    old = [write(world, "ann", f"ann's post number {i} about gardens") for i in range(6)]  # by_author keeps 3
    ad = world.inject(Stimulus("ad", "FizzCola zero, try it", author_handle="FizzCola"))
    boosted = write(world, "dan", "dan's boosted thought")
    world.boosts.append(Boost(boosted.id, 0.5, None))
    for i in range(3):  # push bob's, the ad and the boosted post out of the recent window
        write(world, "dan", f"dan filler {i}")
    reply = world.add_post("bob", PostKind.REPLY, "bob answers ann", 1, parent=old[0])
    repost = world.add_post("cat", PostKind.REPOST, "", 1, parent=old[1])
    show(world, "cat", old[2])
    world.agents["cat"].liked[old[2].id] = None  # a like of a post nobody can reach again
    world.agents["cat"].liked[old[4].id] = None  # ... and one of a post still in ann's newest three
    seen_before = dict(world.agents["cat"].seen)
    memory_before = world.agents["cat"].memory.render()

    dropped = world.prune()

    kept = set(world.posts)
    assert {p.id for p in old[3:]} <= kept  # ann's newest three (followed feeds)
    assert {reply.id, repost.id} <= kept and old[0].id in kept and old[1].id in kept  # window + parents
    assert ad is not None and ad.id in kept and boosted.id in kept
    assert old[2].id not in kept  # reached by nothing: no window, no parent, no boost
    assert dropped == 1 and len(kept) == 13 - 1
    assert list(world.agents["cat"].liked) == [old[4].id]
    assert world.agents["cat"].seen == seen_before  # the seen window is left as it was
    assert world.agents["cat"].memory.render() == memory_before


def test_prune_keeps_what_the_caller_still_reads() -> None:
    world = _small_window_world()
    first = write(world, "ann", "ann once")
    for i in range(4):
        write(world, "bob", f"bob {i}")
    write(world, "ann", "ann again")
    for i in range(3):
        write(world, "ann", f"ann more {i}")
    assert first.id not in world.reachable_posts()
    assert first.id in world.reachable_posts([first.id])
    world.prune([first.id])
    assert first.id in world.posts


def _run(world: World, steps: int) -> list[dict]:
    results = []
    for _ in range(steps):
        plan = plan_step(world)
        results += [
            r.to_dict() for r in apply_step(world, plan, gather_decisions(plan.turns, FakeProvider())).results
        ]
    return results


def _feed_world() -> World:
    ad = Stimulus(
        "ad", "FizzCola zero: same taste, no sugar.", at_step=1, author_handle="FizzCola", boost=0.3
    )
    return create_world(demo_panel(80, seed=3), WorldConfig(seed=4, candidate_window=25), [ad])


def test_a_pruned_run_equals_an_unpruned_one_and_stays_smaller(monkeypatch: pytest.MonkeyPatch) -> None:
    pruned = _feed_world()
    pruned_results = _run(pruned, 14)
    monkeypatch.setattr(step_module, "PRUNED_FORMATS", frozenset())
    unpruned = _feed_world()
    assert _run(unpruned, 14) == pruned_results  # nothing a feed, reply or like could reach was dropped
    assert len(pruned.posts) < len(unpruned.posts)
    bound = pruned.config.candidate_window + 3 * (len(pruned.personas) + len(pruned.outside))
    assert len(pruned.posts) <= bound + sum(p.is_stimulus for p in pruned.posts.values())
    kept = {pid: post.to_dict() for pid, post in pruned.posts.items()}
    assert all(kept[pid] == unpruned.posts[pid].to_dict() for pid in kept)


def test_a_pruned_world_round_trips_and_continues_identically() -> None:
    straight = _feed_world()
    _run(straight, 6)
    restored = World.from_state(json.loads(json.dumps(straight.to_state())))
    assert restored.to_state() == straight.to_state()
    assert _run(restored, 5) == _run(straight, 5)
    assert restored.to_state() == straight.to_state()
