"""The threaded-forum format: communities, nested comments, votes, sorting, snapshots."""

from __future__ import annotations

import json

from simnet.llm.baseline import BaselineProvider
from simulations.engine import (
    ActionType,
    Outcome,
    PanelSnapshot,
    Stimulus,
    World,
    WorldConfig,
    apply_step,
    create_world,
    gather_decisions,
    plan_step,
    run,
)
from simulations.engine.actions import Downvote, Like, Reply, execute
from simulations.engine.config import ForumConfig
from simulations.engine.forum import parse_forum_decision, replies_by_parent, thread_view
from simulations.engine.posts import Post, PostKind
from simulations.engine.schemas import FORUM_SCHEMA
from simulations.engine.testing import FIXED_START
from simulations.engine.turns import Decision
from tests.simulations.engine.conftest import persona, show

COMMUNITIES = ("cycling", "cooking")
AD = Stimulus("ad", "Our new cast iron pan sears steak and bakes bread", author_handle="PanCo")
NOTE = Stimulus("note", "Bike lanes open on the river road this weekend", author_handle="city")


def panel(**extra: object) -> PanelSnapshot:
    return PanelSnapshot(
        (
            persona("ann", "cycling, bike commuting", **extra),
            persona("bob", "football, transfer news", **extra),
            persona("cat", "cooking, recipes", **extra),
        )
    )


def forum_world(*, sort: str = "hot", max_depth: int = 6, stimuli=(AD, NOTE), **extra: object) -> World:
    forum = ForumConfig(COMMUNITIES, sort=sort, max_depth=max_depth, stimulus_communities={"ad": "cooking"})
    config = WorldConfig(seed=4, format="forum", start=FIXED_START, forum=forum)
    return create_world(panel(**extra), config, stimuli)


def test_create_world_sets_up_forum() -> None:
    world = forum_world()

    assert world.forum is not None and world.forum.communities == list(COMMUNITIES)
    assert world.forum.members == {"ann": ["cycling"], "bob": list(COMMUNITIES), "cat": ["cooking"]}
    ad, note = (p for p in world.posts.values() if p.is_stimulus)
    assert (ad.community, note.community) == ("cooking", "cycling")  # placed, else the first community
    assert world.forum.threads == {"cycling": [note.id], "cooking": [ad.id]}
    assert [pid for pid, _ in thread_view(world, "cat", {})] == [ad.id]
    assert [pid for pid, _ in thread_view(world, "bob", {})] == [note.id, ad.id]  # newer first at score 0


def test_sort_hot_new_top() -> None:
    orders = {}
    for sort in ("hot", "new", "top"):
        world = forum_world(sort=sort, stimuli=())
        scored = {"old50": (0, 50), "mid5": (5, 5), "neg": (9, -5), "new3": (10, 3)}
        ids = {}
        for name, (step, score) in scored.items():
            post = world.add_post("bob", PostKind.POST, name, step, community="cycling")
            post.likes, post.downvotes = max(score, 0) + 1, max(-score, 0) + 1
            ids[post.id] = name
        orders[sort] = [ids[pid] for pid, _ in thread_view(world, "ann", {})]

    # hot = sign * log10(|score|) + age / 45000 s: old50 1.70, new3 0.48 + 0.80, mid5 0.70 + 0.40, neg -0.70 + 0.72
    assert orders["hot"] == ["old50", "new3", "mid5", "neg"]
    assert orders["new"] == ["new3", "neg", "mid5", "old50"]
    assert orders["top"] == ["old50", "mid5", "new3", "neg"]


def conversation(world: World) -> tuple[Post, Post, Post]:
    """bob answers the ad, cat answers bob."""
    root = next(p for p in world.posts.values() if p.stimulus_id == "ad")
    show(world, "bob", root)
    first = world.posts[
        execute(world, "bob", Reply(root.id, "Does it work on induction?"), 0).created_post_id
    ]
    show(world, "cat", first)
    second = world.posts[
        execute(world, "cat", Reply(first.id, "Yes, cast iron is magnetic."), 0).created_post_id
    ]
    return root, first, second


def test_threaded_reply_parent_and_root() -> None:
    world = forum_world()
    root, first, second = conversation(world)

    assert (first.parent_id, first.root_id, first.community) == (root.id, root.id, "cooking")
    assert (second.parent_id, second.root_id, second.community) == (first.id, root.id, "cooking")
    assert world.forum is not None and world.forum.threads["cooking"] == [root.id]  # comments open no thread
    assert thread_view(world, "cat", replies_by_parent(world)) == [
        (root.id, 0),
        (first.id, 1),
        (second.id, 2),
    ]
    shallow = forum_world(max_depth=1)
    conversation(shallow)
    assert thread_view(shallow, "cat", replies_by_parent(shallow)) == [(root.id, 0), (first.id, 1)]
    reply = parse_forum_decision({"action": "Comment", "target": "P2", "text": "Agreed"}, (root.id, first.id))
    assert reply == Decision("reply", target_post_id=first.id, text="Agreed")


def test_vote_once_and_change() -> None:
    world = forum_world()
    post = next(p for p in world.posts.values() if p.stimulus_id == "note")
    show(world, "ann", post)

    def vote(action) -> tuple[Outcome, int, int]:
        result = execute(world, "ann", action, 0)
        return result.outcome, post.likes, post.downvotes

    assert vote(Like(post.id)) == (Outcome.OK, 1, 0)
    assert vote(Like(post.id)) == (Outcome.INVALID, 1, 0)
    assert vote(Downvote(post.id)) == (Outcome.OK, 0, 1)  # a changed vote, not a second one
    assert vote(Downvote(post.id)) == (Outcome.INVALID, 0, 1)
    assert post.score == -1
    assert vote(Like(post.id)) == (Outcome.OK, 1, 0)
    assert parse_forum_decision({"action": "like", "target": "P1"}, (post.id,)) == Decision(
        "upvote", target_post_id=post.id
    )
    own = world.add_post("ann", PostKind.POST, "my ride", 0, community="cycling")
    show(world, "ann", own)
    assert execute(world, "ann", Downvote(own.id), 0).outcome is Outcome.INVALID


def test_state_roundtrip_deterministic() -> None:
    provider = BaselineProvider()
    propensities = {"like": 0.3, "reply": 0.3, "downvote": 0.2, "post": 0.1}
    straight = forum_world(activity_rate=1.0, propensities=propensities)
    run(straight, provider, 6)

    resumed = forum_world(activity_rate=1.0, propensities=propensities)
    run(resumed, provider, 3)
    for _ in range(3):
        resumed = World.from_state(json.loads(json.dumps(resumed.to_state())))
        plan = plan_step(resumed)
        apply_step(resumed, plan, gather_decisions(plan.turns, provider))

    resumed_state, straight_state = resumed.to_state(), straight.to_state()
    del resumed_state["spent"], straight_state["spent"]  # the baseline's usage is its wall-clock latency
    assert resumed.forum == straight.forum
    assert resumed_state == straight_state
    assert straight.to_state()["forum"]["threads"] != {"cycling": [], "cooking": []}


def test_old_state_loads() -> None:
    world = forum_world(stimuli=(NOTE,))
    state = json.loads(json.dumps(world.to_state()))
    state["forum"] = None
    del state["config"]["forum"]
    for post in state["posts"]:
        del post["downvotes"], post["community"]
    for agent in state["agents"].values():
        agent.pop("downvoted", None)  # an empty one is left out anyway
    state["config"]["format"] = "feed"
    old = {key: value for key, value in state.items() if key != "forum"}

    loaded = World.from_state(old)

    assert loaded.forum is None and loaded.config.forum == ForumConfig()
    assert [(p.downvotes, p.community) for p in loaded.posts.values()] == [(0, None)]
    assert loaded.agents["ann"].downvoted == {}


def test_a_baseline_forum_run_ends_with_threads_replies_and_votes() -> None:
    world = forum_world(activity_rate=1.0, propensities={"like": 0.15, "reply": 0.15, "post": 0.05})

    report = run(world, BaselineProvider(), 8)

    done = [r for r in report.results if r.ok]
    actions = {r.action for r in done}
    assert {ActionType.REPLY, ActionType.LIKE} <= actions
    assert ActionType.DOWNVOTE in actions  # a quarter of the upvote rate when no propensity is given
    replies = [world.posts[r.created_post_id] for r in done if r.action is ActionType.REPLY]
    assert all(p.community in COMMUNITIES and p.root_id is not None for p in replies)
    assert all(world.posts[p.parent_id].community == p.community for p in replies)
    assert sum(p.likes + p.downvotes for p in world.posts.values()) == sum(
        r.action in (ActionType.LIKE, ActionType.DOWNVOTE) for r in done
    ) - _changed_votes(done)
    assert FORUM_SCHEMA["properties"]["action"]["enum"] == ["post", "reply", "upvote", "downvote", "ignore"]


def _changed_votes(done: list) -> int:
    """Votes that replaced an earlier vote by the same agent on the same post."""
    voted: set[tuple[str, str | None]] = set()
    changed = 0
    for result in done:
        if result.action in (ActionType.LIKE, ActionType.DOWNVOTE):
            key = (result.agent_id, result.target_post_id)
            changed += key in voted
            voted.add(key)
    return changed
