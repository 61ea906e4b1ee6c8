"""Content policies inside the engine: each action hits exactly the posts it should."""

from __future__ import annotations

import random

import pytest

from simulations.engine import PanelSnapshot, World, WorldConfig, create_world, make_recommender
from simulations.engine.feed import build_pool
from simulations.engine.feed_format import FeedFormat, rank_moderated
from simulations.engine.moderation import moderation_events
from simulations.engine.moderation_policy import ModerationPolicy, RateLimit, Rule
from simulations.engine.step import apply_step, plan_step
from simulations.engine.testing import FIXED_START
from simulations.engine.turns import AgentDecision, AgentTurn, Decision
from tests.simulations.engine.conftest import persona, show

HOSTILE = "You are stupid, shut up, nobody likes you"  # three harassment cues: score 0.875
RUDE = "what an idiot"  # one cue: 0.5
CALM = "Lovely weather for the market today"


def world_with(policy: ModerationPolicy, seed: int = 1, feed_size: int = 5) -> World:
    panel = PanelSnapshot(
        tuple(persona(p, "town news", activity_rate=1.0) for p in ("ann", "bob", "cat", "dan"))
    )
    config = WorldConfig(
        seed=seed, start=FIXED_START, recommender="chronological", feed_size=feed_size, moderation=policy
    )
    return create_world(panel, config)


def write(world: World, agent: str, action: str, text: str, target: str | None = None, step: int = 0):
    turn = AgentTurn(agent, request=None, format="feed", kind="feed")  # type: ignore[arg-type]
    decision = AgentDecision(agent, Decision(action, target_post_id=target, text=text))
    return FeedFormat().apply(world, turn, decision, step)


def feed(world: World, agent: str = "dan") -> list[str]:
    recommender = make_recommender("chronological")
    pool = build_pool(world, world.next_step)
    return [c.post_id for c in rank_moderated(world, recommender, pool, agent, random.Random(0))]


def test_remove_hides_exactly_the_posts_over_the_threshold() -> None:
    world = world_with(ModerationPolicy((Rule("remove", threshold=0.75),)))
    hostile = write(world, "ann", "post", HOSTILE).created_post_id
    rude = write(world, "bob", "post", RUDE).created_post_id
    calm = write(world, "cat", "post", CALM).created_post_id
    assert world.posts[hostile].moderation == "remove"
    assert world.posts[rude].moderation == "" and world.posts[calm].moderation == ""
    assert feed(world) == [calm, rude]


def test_keyword_rule_labels_and_the_label_reaches_the_feed_note() -> None:
    world = world_with(ModerationPolicy((Rule("label", keywords=("vaccine",), label="Health claim"),)))
    flagged = write(world, "ann", "post", "The Vaccine is poison").created_post_id
    other = write(world, "bob", "post", "vaccines are great").created_post_id  # word boundary: no match
    assert world.posts[flagged].moderation == "label" and world.posts[other].moderation == ""
    assert feed(world) == [other, flagged]  # a label hides nothing
    plan = plan_step(world)
    notes = {turn.agent_id: turn.request.user for turn in plan.turns}
    assert any("Health claim" in text for text in notes.values())


def test_downrank_puts_flagged_posts_after_every_other_post() -> None:
    world = world_with(ModerationPolicy((Rule("downrank", threshold=0.5),)), feed_size=2)
    rude = write(world, "ann", "post", RUDE).created_post_id
    calm1 = write(world, "bob", "post", CALM).created_post_id
    assert feed(world) == [calm1, rude]  # newer calm first, the rude one fills the last slot
    calm2 = write(world, "cat", "post", CALM + " again").created_post_id
    assert feed(world) == [calm2, calm1]  # two clean posts fill the feed: the rude one is out


def test_most_severe_rule_wins() -> None:
    policy = ModerationPolicy((Rule("label", threshold=0.5), Rule("remove", threshold=0.75)))
    world = world_with(policy)
    assert world.posts[write(world, "ann", "post", HOSTILE).created_post_id].moderation == "remove"
    assert world.posts[write(world, "bob", "post", RUDE).created_post_id].moderation == "label"


def _friction_outcomes(seed: int) -> list[bool]:
    world = world_with(ModerationPolicy((Rule("friction", threshold=0.5, abandon_share=0.5),)), seed=seed)
    target = write(world, "ann", "post", CALM).created_post_id
    abandoned = []
    for step in range(30):
        for agent in ("bob", "cat", "dan"):
            show(world, agent, world.posts[target])
            result = write(world, agent, "reply", RUDE, target=target, step=step)
            abandoned.append(result.message.startswith("moderation: friction"))
    return abandoned


def test_friction_abandons_a_share_deterministically_by_seed() -> None:
    first, again, other = _friction_outcomes(7), _friction_outcomes(7), _friction_outcomes(8)
    assert first == again
    assert first != other
    assert 25 <= sum(first) <= 65  # about half of 90 replies (binomial 0.5: 99.9% within)


def test_friction_leaves_calm_replies_alone() -> None:
    world = world_with(ModerationPolicy((Rule("friction", threshold=0.5, abandon_share=1.0),)))
    target = write(world, "ann", "post", CALM).created_post_id
    show(world, "bob", world.posts[target])
    assert write(world, "bob", "reply", "Agreed, lovely", target=target).ok
    refused = write(world, "bob", "reply", RUDE, target=target)
    assert not refused.ok and refused.created_post_id is None
    # stopped by the policy, not refused by the world: trust notes count "invalid" as failed decisions
    assert refused.outcome == "moderated"
    unknown = write(world, "bob", "reply", CALM, target="p-missing")
    assert unknown.outcome == "invalid"


def test_rate_limit_counts_writes_in_the_window() -> None:
    world = world_with(ModerationPolicy(rate_limit=RateLimit(posts=2, steps=3)))
    outcomes = [write(world, "ann", "post", f"note {s}", step=s).ok for s in range(6)]
    # a write at step s counts the writes of steps s-2..s: 2 is refused (0, 1), 5 too (3, 4)
    assert outcomes == [True, True, False, True, True, False]


def test_events_name_each_intervention() -> None:
    world = world_with(ModerationPolicy((Rule("remove", threshold=0.75),), RateLimit(1, 5)))
    removed = write(world, "ann", "post", HOSTILE)
    limited = write(world, "ann", "post", CALM, step=1)
    calm = write(world, "bob", "post", CALM)
    events = moderation_events(world, [removed, limited, calm])
    assert [(e["action"], e["agent_id"]) for e in events] == [("remove", "ann"), ("rate_limit", "ann")]
    assert "harm score 0.88" in events[0]["reason"]


def test_a_step_records_moderation_events() -> None:
    world = world_with(ModerationPolicy((Rule("remove", threshold=0.5),)))
    plan = plan_step(world)
    decisions = [AgentDecision(t.agent_id, Decision("post", text=RUDE)) for t in plan.turns]
    result = apply_step(world, plan, decisions)
    kinds = [e.kind for e in result.events]
    assert kinds.count("moderation") == len(plan.turns) > 0


def test_policy_round_trips_and_rejects_bad_rules() -> None:
    policy = ModerationPolicy((Rule("friction", keywords=("x",), abandon_share=0.2),), RateLimit(1, 2))
    assert ModerationPolicy.from_dict(policy.to_dict()) == policy
    config = WorldConfig(start=FIXED_START, moderation=policy)
    assert WorldConfig.from_dict(config.to_dict()).moderation == policy
    with pytest.raises(ValueError, match="threshold or keywords"):
        ModerationPolicy.from_dict({"rules": [{"action": "remove"}]})
    with pytest.raises(ValueError, match="unknown moderation action"):
        ModerationPolicy.from_dict({"rules": [{"action": "ban", "threshold": 0.5}]})
