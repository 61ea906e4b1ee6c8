"""Bridging and downranking feeds rank what they claim to (no database)."""

from __future__ import annotations

import random

from simulations.engine import PanelSnapshot, World, WorldConfig, create_world, make_recommender
from simulations.engine.actions import Like, execute
from simulations.engine.feed import build_pool
from simulations.engine.testing import FIXED_START
from tests.simulations.engine.conftest import persona, show, write


def town() -> World:
    people = [persona(f"d{i}", traits={"party": "Democrat"}) for i in range(3)]
    people += [persona(f"r{i}", traits={"party": "Republican"}) for i in range(3)]
    people += [persona("reader")]
    return create_world(PanelSnapshot(tuple(people)), WorldConfig(seed=2, start=FIXED_START))


def likes(world: World, post_id: str, *agents: str) -> None:
    for agent in agents:
        show(world, agent, world.posts[post_id])
        assert execute(world, agent, Like(post_id), 0).ok


def rank(world: World, name: str, k: int = 3, **options: object) -> list[str]:
    pool = build_pool(world, world.next_step)
    ranked = make_recommender(name, options).rank(world, pool, "reader", k, random.Random(0))
    return [c.post_id for c in ranked]


def test_bridging_prefers_a_post_liked_by_both_parties_over_a_more_liked_one_sided_post() -> None:
    world = town()
    partisan = write(world, "d0", "Our side is right").id
    bridge = write(world, "r0", "Fix the potholes on Main Street").id
    likes(world, partisan, "d1", "d2")  # 2 likes, one group
    likes(world, bridge, "d1", "r1")  # 2 likes, two groups
    assert rank(world, "bridging", k=2) == [bridge, partisan]
    likes(world, partisan, "r2")  # now liked across groups too, with more likes overall
    assert rank(world, "bridging", k=2)[0] == partisan


def test_bridging_reads_another_trait_when_asked() -> None:
    world = town()
    one = write(world, "d0", "first").id
    two = write(world, "d1", "second").id
    likes(world, one, "d2", "r1")  # two likes across parties
    likes(world, two, "r0", "r1", "r2")  # three likes, one party
    assert rank(world, "bridging", k=2) == [one, two]
    # grouped by a trait nobody has, nothing bridges: plain engagement
    assert rank(world, "bridging", k=2, trait="region") == [two, one]


def test_downranking_demotes_harmful_posts_below_less_engaging_clean_ones() -> None:
    world = town()
    hostile = write(world, "d0", "Shut up you idiot").id
    calm = write(world, "r0", "Market opens at nine").id
    likes(world, hostile, "d1", "d2", "r1")
    assert rank(world, "popularity", k=2) == [hostile, calm]
    assert rank(world, "downranking", k=2) == [calm, hostile]
    assert rank(world, "downranking", k=2, threshold=0.9) == [hostile, calm]  # 2 cues score 0.75 < 0.9
