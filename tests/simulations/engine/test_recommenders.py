from __future__ import annotations

import random

import pytest

from simulations.engine import PanelSnapshot, World, WorldConfig, create_world, make_recommender
from simulations.engine.actions import Like, Mute, Repost, execute
from simulations.engine.feed import build_pool
from simulations.engine.recommenders import RECOMMENDERS, Chronological, register
from simulations.engine.testing import FIXED_START
from tests.simulations.engine.conftest import persona, show, write


@pytest.fixture
def town() -> World:
    """reader follows f1 and f2; others post about various topics."""
    panel = PanelSnapshot(
        (
            persona("reader", "football, transfer news, match tactics"),
            persona("f1", "gardening"),
            persona("f2", "cycling"),
            persona("o1", "football"),
            persona("o2", "knitting"),
        ),
        follows=(("reader", "f1"), ("reader", "f2")),
    )
    return create_world(panel, WorldConfig(seed=3, start=FIXED_START))


def rank(
    world: World, name: str, agent: str = "reader", k: int = 3, seed: int = 0, **options: object
) -> list[str]:
    recommender = make_recommender(name, options)
    pool = build_pool(world, world.next_step)
    return [c.post_id for c in recommender.rank(world, pool, agent, k, random.Random(seed))]


def test_chronological_puts_followed_accounts_first_newest_first(town: World) -> None:
    old = write(town, "f1", "Old roses")
    other = write(town, "o1", "Great football match tactics tonight")
    new = write(town, "f2", "New bike lane")
    assert rank(town, "chronological", k=2) == [new.id, old.id]
    assert rank(town, "chronological", k=3) == [new.id, old.id, other.id]  # topped up with the newest


def test_chronological_brings_reposted_originals_via_followed_accounts(town: World) -> None:
    original = write(town, "o2", "Knitting pattern")
    show(town, "f1", original)
    assert execute(town, "f1", Repost(original.id), 0).ok
    pool = build_pool(town, 1)
    ranked = Chronological().rank(town, pool, "reader", 1, random.Random(0))
    assert [(c.post_id, c.via) for c in ranked] == [(original.id, "f1")]


def test_popularity_ranks_by_engagement_and_age(town: World) -> None:
    quiet = write(town, "o1", "quiet post", step=0)
    loud = write(town, "o2", "loud post", step=0)
    for liker in ("f1", "f2", "o1"):
        show(town, liker, loud)
        execute(town, liker, Like(loud.id), 0)
    town.next_step = 1
    assert rank(town, "popularity", k=2) == [loud.id, quiet.id]
    town.next_step = 50  # old engagement fades: a fresh post now beats it
    fresh = write(town, "f1", "fresh post", step=50)
    assert rank(town, "popularity", k=1) == [fresh.id]


def test_interest_prefers_posts_similar_to_the_reader(town: World) -> None:
    knitting = write(town, "o2", "My knitting pattern for winter scarves")
    football = write(town, "o1", "Transfer news: the football club signs a striker, tactics change")
    assert rank(town, "interest", k=2) == [football.id, knitting.id]
    assert town.relevance("reader", football) > town.relevance("reader", knitting) >= 0.0


def test_interest_uses_an_injected_embedding(town: World) -> None:
    def embed(text: str) -> list[float]:
        return [1.0, 0.0] if "knit" in text.lower() or "football" in text.lower() else [0.0, 1.0]

    embedded = World.from_state(town.to_state(), embed=embed)
    cycling = write(embedded, "o2", "Cycling to work")
    knitting = write(embedded, "o1", "Knitting at home")
    assert embedded.relevance("reader", knitting) == pytest.approx(1.0)
    assert embedded.relevance("reader", cycling) == pytest.approx(0.0)
    assert rank(embedded, "interest", k=1) == [knitting.id]


def test_random_is_reproducible_from_the_rng_and_varies_with_it(town: World) -> None:
    for i in range(30):
        write(town, "o1", f"post number {i}")
    assert rank(town, "random", k=5, seed=1) == rank(town, "random", k=5, seed=1)
    assert rank(town, "random", k=5, seed=1) != rank(town, "random", k=5, seed=2)
    assert len(set(rank(town, "random", k=5, seed=1))) == 5


def test_mix_shares_slots_without_duplicates(town: World) -> None:
    for i in range(6):
        write(town, "f1" if i % 2 else "o1", f"football tactics and transfer news {i}")
    ranked = rank(town, "mix", k=5)
    assert len(ranked) == len(set(ranked)) == 5
    only_chrono = rank(town, "mix", k=5, weights={"chronological": 1.0})
    assert only_chrono == rank(town, "chronological", k=5)
    with pytest.raises(ValueError):
        make_recommender("mix", {"weights": {"mix": 1.0}})


def test_feeds_exclude_own_seen_and_muted_posts(town: World) -> None:
    own = write(town, "reader", "my own football post")
    seen = write(town, "o1", "football seen already")
    muted = write(town, "o2", "football from a muted account")
    fresh = write(town, "f1", "football fresh")
    show(town, "reader", seen)
    execute(town, "reader", Mute("o2"), 0)
    for name in RECOMMENDERS:
        assert rank(town, name, k=5) == [fresh.id], name
    assert own.id not in rank(town, "interest", k=5)
    assert muted.id not in rank(town, "popularity", k=5)


def test_registry_rejects_unknown_and_duplicate_names() -> None:
    with pytest.raises(ValueError, match="unknown recommender"):
        make_recommender("nope")
    with pytest.raises(ValueError, match="already registered"):
        register("chronological", Chronological)


def test_candidate_pool_is_bounded_by_the_window() -> None:
    panel = PanelSnapshot((persona("a"), persona("b")))
    world = create_world(panel, WorldConfig(seed=0, candidate_window=10, seen_window=10))
    for i in range(50):
        write(world, "b", f"post {i}")
    pool = build_pool(world, 0)
    assert len(pool.newest) == len(pool.hot) == 10
    assert pool.newest[0].post_id == "p50"
