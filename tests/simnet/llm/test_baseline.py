from __future__ import annotations

import random

import pytest

from simnet.llm.base import FeedItem, LLMRequest, Situation
from simnet.llm.baseline import BaselineProvider

TEXTS = [
    "Electric buses arrive downtown next spring",
    "Our bakery launches sourdough workshops",
    "Council debates housing density tonight",
    "New hiking trail opens in the valley",
]


def _item(i: int, relevance: float, *, author: str | None = None, followed: bool = False) -> FeedItem:
    return FeedItem(
        post_id=f"post{i}",
        author_id=author or f"author{i}",
        author_handle=f"@author{i}",
        text=TEXTS[i % len(TEXTS)],
        kind="post",
        relevance=relevance,
        author_followed=followed,
    )


def _request(situation: Situation, seed: int = 1, key: str = "agent-1") -> LLMRequest:
    return LLMRequest(key=key, system="", user="", seed=seed, situation=situation)


def _simulate(propensities: dict[str, float], runs: int, world_seed: int = 5):
    """Random feeds (3-10 items, so no step is over-full) and relevances -> (decisions, items seen, requests)."""
    world = random.Random(world_seed)
    provider = BaselineProvider()
    requests = []
    for step in range(runs):
        feed = tuple(_item(i, world.random()) for i in range(world.randint(3, 10)))
        situation = Situation(agent_id="agent-1", step=step, feed=feed, propensities=propensities)
        requests.append(_request(situation, seed=42))
    responses = provider.generate(requests)
    return [r.data for r in responses], sum(len(r.situation.feed) for r in requests), requests


@pytest.mark.parametrize("like_rate", [0.01, 0.03, 0.06])
def test_like_rate_per_seen_item_matches_the_propensity(like_rate):
    propensities = {
        "like": like_rate,
        "repost": 0.01,
        "quote": 0.005,
        "reply": 0.01,
        "follow": 0.005,
        "post": 0.05,
    }

    decisions, seen, _ = _simulate(propensities, runs=6000)

    likes = sum(d["action"] == "like" for d in decisions)
    assert likes / seen == pytest.approx(like_rate, abs=0.1 * like_rate + 0.001)
    reposts = sum(d["action"] == "repost" for d in decisions)
    assert reposts / seen == pytest.approx(0.01, abs=0.002)
    posts = sum(d["action"] == "post" for d in decisions)
    assert posts / len(decisions) == pytest.approx(0.05, abs=0.01)


def test_relevant_items_are_chosen_more_often():
    decisions, _, requests = _simulate({"like": 0.06}, runs=4000)

    chosen = [
        request.situation.feed[int(d["target"][1:]) - 1].relevance
        for d, request in zip(decisions, requests)
        if d["action"] == "like"
    ]
    high = sum(r > 0.5 for r in chosen)
    assert high > 1.5 * (len(chosen) - high)


def test_same_request_same_decision_and_agents_differ():
    feed = tuple(_item(i, 0.5) for i in range(10))
    situation = Situation(agent_id="agent-1", step=3, feed=feed, propensities={"like": 0.09})
    provider = BaselineProvider()

    again = [provider.generate([_request(situation, seed=9)])[0].data for _ in range(2)]
    by_agent = [provider.generate([_request(situation, seed=9, key=f"agent-{k}")])[0].data for k in range(40)]

    assert again[0] == again[1]
    assert len({(d["action"], d["target"]) for d in by_agent}) > 1


def test_replies_quote_the_item_words_and_targets_are_one_based():
    feed = (_item(0, 0.9),)
    situation = Situation(agent_id="agent-1", step=0, feed=feed, propensities={"reply": 1.0})

    [response] = BaselineProvider().generate([_request(situation)])

    assert response.data["action"] == "reply"
    assert response.data["target"] == "P1"
    assert "Electric" in response.data["text"] and "downtown" in response.data["text"]
    assert response.usage.cost_usd == 0.0


def test_never_acts_on_own_posts_nor_refollows():
    feed = (_item(0, 0.9, author="agent-1"), _item(1, 0.9, followed=True), _item(2, 0.1))
    situation = Situation(agent_id="agent-1", step=0, feed=feed, propensities={"follow": 0.5, "like": 0.25})
    provider = BaselineProvider()

    decisions = [provider.generate([_request(situation, seed=s)])[0].data for s in range(300)]

    follows = {d["target"] for d in decisions if d["action"] == "follow"}
    likes = {d["target"] for d in decisions if d["action"] == "like"}
    assert follows == {"P3"}
    assert likes == {"P2", "P3"}


def test_overfull_propensities_are_scaled_so_someone_always_acts():
    feed = tuple(_item(i, 0.5) for i in range(10))
    situation = Situation(agent_id="agent-1", step=0, feed=feed, propensities={"like": 0.5, "post": 0.5})
    provider = BaselineProvider()

    actions = [provider.generate([_request(situation, seed=s)])[0].data["action"] for s in range(200)]

    assert "ignore" not in actions
    assert actions.count("like") > actions.count("post")


def test_post_uses_interests_and_empty_feed_is_fine():
    situation = Situation(
        agent_id="agent-1", step=0, propensities={"post": 1.0}, traits={"interests": ["cycling"]}
    )

    [response] = BaselineProvider().generate([_request(situation)])

    assert response.data["action"] == "post"
    assert response.data["target"] is None
    assert "cycling" in response.data["text"]


def test_request_without_situation_is_a_per_request_error():
    [response] = BaselineProvider().generate([LLMRequest(key="a", system="s", user="u")])

    assert response.error == "the baseline policy needs a Situation"
    assert response.data is None


def _engaged(relevance: float, fmt: str = "feed", draws: int = 2000) -> dict[str, int]:
    """Actions over ``draws`` seeded decisions on a one-post feed of the given relevance."""
    provider = BaselineProvider()
    propensities = {"like": 0.1, "reply": 0.05, "post": 0.02}
    requests = [
        _request(Situation("agent-1", step, (_item(0, relevance),), propensities, format=fmt), seed=7)
        for step in range(draws)
    ]
    counts: dict[str, int] = {}
    for response in provider.generate(requests):
        counts[response.data["action"]] = counts.get(response.data["action"], 0) + 1
    return counts


def test_baseline_ranks_posts_by_relevance():
    relevant, unrelated = _engaged(0.9), _engaged(0.1)

    engaged = {name: counts.get("like", 0) + counts.get("reply", 0) for name, counts in
               (("relevant", relevant), ("unrelated", unrelated))}  # fmt: skip
    # expected per post: 0.15 * (0.5 + 0.9) = 21% against 0.15 * (0.5 + 0.1) = 9% of 2,000 draws
    assert engaged["relevant"] / 2000 == pytest.approx(0.21, abs=0.03)
    assert engaged["unrelated"] / 2000 == pytest.approx(0.09, abs=0.02)
    assert engaged["relevant"] > 1.8 * engaged["unrelated"]
    assert _engaged(0.9) == relevant  # seeded: the same draws again


def test_forum_situations_use_forum_actions_and_downvote_what_is_unrelated():
    relevant, unrelated = _engaged(0.9, "forum"), _engaged(0.1, "forum")

    assert set(relevant) | set(unrelated) <= {"upvote", "downvote", "reply", "post", "ignore"}
    assert relevant["upvote"] > 1.8 * unrelated["upvote"]
    # no downvote propensity: a quarter of the like rate, weighted by (1 - relevance)
    assert unrelated["downvote"] > 1.8 * relevant["downvote"] > 0
