from __future__ import annotations

import pytest

from scraping.sources.base import collect_batches
from scraping.sources.bluesky import iter_bluesky_batches, normalize_bluesky_actor
from scraping.sources.errors import AccountNotFound, RateLimited, SourceUnavailable
from scraping.sources.records import HistoryKind
from tests.scraping.sources.loopback import Reply
from tests.scraping.sources.platforms import (
    ALICE_DID,
    BOB_DID,
    bsky_post,
    loopback_settings,
    serve_bluesky_account,
)

FEED = "/xrpc/app.bsky.feed.getAuthorFeed"


def run(settings, clock, **kwargs):
    return list(
        iter_bluesky_batches(
            "@alice.bsky.social", settings=settings, sleep=clock.sleep, clock=clock, **kwargs
        )
    )


def test_imports_posts_replies_reposts_quotes_and_follows_and_skips_private_likes(loopback, clock):
    settings = serve_bluesky_account(loopback, clock.now)

    bundle = collect_batches(run(settings, clock))

    assert bundle.account.platform_id == ALICE_DID
    assert (bundle.account.display_name, bundle.account.bio) == ("Alice", "Tea, trains, typography.")
    kinds = [(record.kind, record.text) for record in bundle.history]
    assert kinds == [
        (HistoryKind.POST, "Morning tea"),
        (HistoryKind.REPLY, "I think yes"),
        (HistoryKind.REPOST, ""),
        (HistoryKind.QUOTE, "This!"),
        (HistoryKind.POST, "Look"),
    ]
    post, reply, repost, quote, image = bundle.history
    assert post.platform_id == f"at://{ALICE_DID}/app.bsky.feed.post/a1"
    assert (post.language, post.like_count, post.quote_count) == ("en", 3, 0)
    assert (reply.target_id, reply.target_author, reply.target_text) == (
        f"at://{BOB_DID}/app.bsky.feed.post/p0",
        "bob.test",
        "What do you all think?",
    )
    assert (repost.target_author, repost.target_text) == ("bob.test", "Bob's hot take")
    assert repost.platform_id == f"repost-of:at://{BOB_DID}/app.bsky.feed.post/b9"
    assert (quote.target_author, quote.target_text) == ("bob.test", "Quotable")
    assert image.media == ("https://cdn.example/full/1",)
    assert [follow.platform_id for follow in bundle.following] == [
        BOB_DID,
        "did:plc:carol",
        "did:web:dan.example",
    ]
    assert len(bundle.notes) == 1 and bundle.notes[0].startswith("Likes were skipped")
    assert "Profile not found" in bundle.notes[0]
    assert loopback.calls(FEED)[0].query == {
        "actor": ALICE_DID,
        "filter": "posts_with_replies",
        "limit": "100",
    }
    assert loopback.unmatched == []


def test_likes_are_imported_when_the_appview_shares_them(loopback, clock):
    settings = serve_bluesky_account(loopback, clock.now)
    liked = bsky_post("l1", "Liked post", did=BOB_DID, handle="bob.test")
    loopback.add("/xrpc/app.bsky.feed.getActorLikes", Reply(json={"feed": [{"post": liked}]}))

    bundle = collect_batches(run(settings, clock))

    likes = [record for record in bundle.history if record.kind is HistoryKind.LIKE]
    assert [(like.target_id, like.target_author, like.target_text) for like in likes] == [
        (liked["uri"], "bob.test", "Liked post")
    ]
    assert bundle.notes == []


def test_a_reply_whose_parent_view_is_missing_names_the_parent_did(loopback, clock):
    settings = serve_bluesky_account(loopback, clock.now)
    parent_uri = f"at://{BOB_DID}/app.bsky.feed.post/gone"
    orphan = bsky_post(
        "o1",
        "replying",
        reply={"root": {"uri": parent_uri, "cid": "x"}, "parent": {"uri": parent_uri, "cid": "x"}},
    )
    loopback.add(FEED, Reply(json={"feed": [{"post": orphan}]}), query={"cursor": None})

    bundle = collect_batches(run(settings, clock))

    assert (bundle.history[0].kind, bundle.history[0].target_author) == (HistoryKind.REPLY, BOB_DID)
    assert bundle.history[0].target_text == ""


def test_429_uses_the_ratelimit_reset_header(loopback, clock):
    settings = serve_bluesky_account(loopback, clock.now)
    reset = int(clock.now.timestamp()) + 200
    too_many = Reply(
        status=429,
        json={"error": "RateLimitExceeded"},
        headers={"ratelimit-remaining": "0", "ratelimit-reset": str(reset)},
    )
    loopback.add(FEED, too_many, query={"cursor": "c2"}, times=1)

    with pytest.raises(RateLimited) as caught:
        run(settings, clock)
    assert caught.value.reset_at.timestamp() == reset
    assert caught.value.checkpoint["stages"]["posts"]["cursor"] == "c2"

    loopback.add(FEED, too_many, query={"cursor": "c2"}, times=1)
    patient = loopback_settings(loopback, max_rate_limit_wait_seconds=600)
    assert len(collect_batches(run(patient, clock)).history) == 5
    assert clock.sleeps == [201.0]


def test_5xx_is_retried_then_gives_up(loopback, clock):
    settings = serve_bluesky_account(loopback, clock.now)
    loopback.add(FEED, Reply(status=502, body=b"<html>Bad Gateway</html>"), query={"cursor": None}, times=1)
    assert len(collect_batches(run(settings, clock)).history) == 5

    loopback.add(FEED, Reply(status=502, body=b"<html>Bad Gateway</html>"), query={"cursor": None})
    with pytest.raises(SourceUnavailable, match="Bluesky is not answering properly"):
        run(settings, clock)


def test_unknown_profile_is_account_not_found(loopback, clock):
    loopback.add(
        "/xrpc/app.bsky.actor.getProfile",
        Reply(status=400, json={"error": "InvalidRequest", "message": "Profile not found"}),
    )

    with pytest.raises(AccountNotFound, match="no public profile for alice.bsky.social"):
        run(loopback_settings(loopback), clock)


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("@Alice.bsky.social", "alice.bsky.social"),
        ("https://bsky.app/profile/alice.bsky.social", "alice.bsky.social"),
        ("did:plc:abc123", "did:plc:abc123"),
    ],
)
def test_actors_are_normalized(text, actor):
    assert normalize_bluesky_actor(text) == actor


@pytest.mark.parametrize("text", ["alice", "", "alice@bsky.social", "-bad.example"])
def test_invalid_handles_are_refused(text):
    with pytest.raises(AccountNotFound, match="not a Bluesky handle"):
        iter_bluesky_batches(text)
