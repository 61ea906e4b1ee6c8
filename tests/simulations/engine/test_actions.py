from __future__ import annotations

from simulations.engine.actions import (
    ActionResult,
    ActionType,
    CreatePost,
    Follow,
    Ignore,
    Like,
    Mute,
    Outcome,
    Quote,
    Reply,
    Report,
    Repost,
    Unfollow,
    execute,
)
from simulations.engine.posts import PostKind
from simulations.engine.world import World
from tests.simulations.engine.conftest import show, write


def test_post_creates_a_post_and_remembers_it(trio: World) -> None:
    result = execute(trio, "ann", CreatePost("Heat pumps for everyone"), 0)
    assert result.outcome is Outcome.OK and result.action is ActionType.POST
    post = trio.posts[result.created_post_id]
    assert (post.author_id, post.kind, post.text) == ("ann", PostKind.POST, "Heat pumps for everyone")
    assert "posted" in trio.agents["ann"].memory.render()


def test_empty_post_is_invalid(trio: World) -> None:
    result = execute(trio, "ann", CreatePost("   "), 0)
    assert result.outcome is Outcome.INVALID and "empty" in result.message


def test_reply_quote_repost_like_report_update_counters(trio: World) -> None:
    post = write(trio, "bob", "What a match")
    show(trio, "ann", post)
    for action in (
        Reply(post.id, "Indeed"),
        Quote(post.id, "Look"),
        Repost(post.id),
        Like(post.id),
        Report(post.id),
    ):
        assert execute(trio, "ann", action, 1).ok, action
    assert (post.replies, post.quotes, post.reposts, post.likes, post.reports) == (1, 1, 1, 1, 1)
    reply = next(p for p in trio.posts.values() if p.kind is PostKind.REPLY)
    assert (reply.parent_id, reply.root_id) == (post.id, post.id)


def test_acting_on_an_unseen_or_unknown_post_is_invalid(trio: World) -> None:
    post = write(trio, "bob", "Unseen")
    for action in (Like(post.id), Reply(post.id, "hi"), Repost(post.id), Like("p999")):
        result = execute(trio, "ann", action, 1)
        assert result.outcome is Outcome.INVALID, action
    assert post.likes == post.replies == post.reposts == 0


def test_no_double_like_or_repost_and_no_liking_oneself(trio: World) -> None:
    post = write(trio, "bob", "Goal")
    show(trio, "ann", post)
    show(trio, "bob", post)
    assert execute(trio, "ann", Like(post.id), 1).ok
    second = execute(trio, "ann", Like(post.id), 2)
    assert second.outcome is Outcome.INVALID and "already liked" in second.message
    assert execute(trio, "ann", Repost(post.id), 1).ok
    assert execute(trio, "ann", Repost(post.id), 2).outcome is Outcome.INVALID
    assert execute(trio, "bob", Like(post.id), 1).outcome is Outcome.INVALID
    assert post.likes == 1 and post.reposts == 1


def test_follow_rules(trio: World) -> None:
    assert execute(trio, "ann", Follow("ann"), 0).outcome is Outcome.INVALID
    assert execute(trio, "ann", Follow("bob"), 0).outcome is Outcome.INVALID  # already following
    assert execute(trio, "ann", Follow("nobody"), 0).outcome is Outcome.INVALID
    assert execute(trio, "ann", Follow("cat"), 0).ok
    assert "cat" in trio.following["ann"] and "ann" in trio.followers["cat"]
    assert execute(trio, "ann", Unfollow("cat"), 1).ok
    assert "cat" not in trio.following["ann"] and "ann" not in trio.followers["cat"]
    assert execute(trio, "ann", Unfollow("cat"), 2).outcome is Outcome.INVALID


def test_mute_rules_and_outside_accounts(trio: World) -> None:
    brand = trio.outside_account("Acme")
    assert execute(trio, "ann", Mute(brand), 0).ok
    assert execute(trio, "ann", Mute(brand), 0).outcome is Outcome.INVALID
    assert execute(trio, "ann", Mute("ann"), 0).outcome is Outcome.INVALID
    assert execute(trio, "ann", Mute("ghost"), 0).outcome is Outcome.INVALID


def test_ignore_always_succeeds_and_writes_no_memory(trio: World) -> None:
    result = execute(trio, "cat", Ignore(), 0)
    assert result.ok and result.action is ActionType.IGNORE
    assert trio.agents["cat"].memory.render() == ""


def test_results_round_trip_as_dicts(trio: World) -> None:
    post = write(trio, "bob", "Hello")
    show(trio, "ann", post)
    result = execute(trio, "ann", Reply(post.id, "Hi"), 3)
    assert ActionResult.from_dict(result.to_dict()) == result
