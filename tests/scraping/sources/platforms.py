"""Real-shaped responses of X API v2, the Bluesky AppView and Mastodon, scripted onto a loopback server.

Each ``serve_*`` function scripts one account whose posts, likes and follows span several
pages, and returns the settings pointing at the server. Field names and nesting follow the
platforms' documented responses; only the values are invented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scraping.sources.http import HttpSettings
from tests.scraping.sources.loopback import LoopbackServer, Reply


def loopback_settings(server: LoopbackServer, **overrides: Any) -> HttpSettings:
    return HttpSettings(base_url=server.base_url, timeout_seconds=5.0, **overrides)


# --- X API v2 -------------------------------------------------------------------------------

X_USER_ID = "12"


def x_tweet(
    tweet_id: str, text: str, *, refs: tuple[tuple[str, str], ...] = (), **extra: Any
) -> dict[str, Any]:
    tweet = {
        "id": tweet_id,
        "text": text,
        "created_at": "2025-02-01T10:00:00.000Z",
        "lang": "en",
        "author_id": X_USER_ID,
        "conversation_id": tweet_id,
        "edit_history_tweet_ids": [tweet_id],
        "public_metrics": {
            "retweet_count": 1,
            "reply_count": 2,
            "like_count": 3,
            "quote_count": 4,
            "bookmark_count": 0,
            "impression_count": 90,
        },
        **extra,
    }
    if refs:
        tweet["referenced_tweets"] = [{"type": kind, "id": ref_id} for kind, ref_id in refs]
    return tweet


X_INCLUDES = {
    "tweets": [
        {"id": "900", "text": "Original thought", "author_id": "77"},
        {"id": "901", "text": "Something worth sharing &amp; more", "author_id": "78"},
        {"id": "902", "text": "A quotable line", "author_id": "79"},
    ],
    "users": [
        {"id": "77", "name": "Alice", "username": "alice"},
        {"id": "78", "name": "Bob", "username": "bob"},
        {"id": "79", "name": "Carol", "username": "carol"},
    ],
}


def x_rate_headers(now: datetime, remaining: int = 899) -> dict[str, str]:
    return {
        "x-rate-limit-limit": "900",
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(now.timestamp()) + 900),
    }


def serve_x_account(server: LoopbackServer, now: datetime) -> HttpSettings:
    """@jack: 5 posts over 2 pages, 3 likes over 2 pages, 3 followed accounts over 2 pages."""
    headers = x_rate_headers(now)
    server.add(
        "/2/users/by/username/jack",
        Reply(
            json={
                "data": {
                    "id": X_USER_ID,
                    "username": "jack",
                    "name": "Jack",
                    "description": "Builds things",
                    "location": "Earth",
                    "url": "https://t.co/abc",
                    "created_at": "2006-03-21T20:50:14.000Z",
                    "public_metrics": {
                        "followers_count": 100,
                        "following_count": 3,
                        "tweet_count": 5,
                        "listed_count": 1,
                        "like_count": 3,
                    },
                }
            },
            headers=headers,
        ),
    )
    tweets = f"/2/users/{X_USER_ID}/tweets"
    server.add(
        tweets,
        Reply(
            json={
                "data": [
                    x_tweet("1001", "Rock &amp; roll &lt;3"),
                    x_tweet("1002", "@alice agreed", refs=(("replied_to", "900"),), in_reply_to_user_id="77"),
                    x_tweet(
                        "1003", "RT @bob: Something worth sharing &amp; more", refs=(("retweeted", "901"),)
                    ),
                ],
                "includes": X_INCLUDES,
                "meta": {"result_count": 3, "newest_id": "1003", "oldest_id": "1001", "next_token": "p2"},
            },
            headers=headers,
        ),
        query={"pagination_token": None},
    )
    server.add(
        tweets,
        Reply(
            json={
                "data": [x_tweet("1004", "So true", refs=(("quoted", "902"),)), x_tweet("1005", "Last one")],
                "includes": X_INCLUDES,
                "meta": {"result_count": 2, "newest_id": "1005", "oldest_id": "1004"},
            },
            headers=headers,
        ),
        query={"pagination_token": "p2"},
    )
    likes = f"/2/users/{X_USER_ID}/liked_tweets"
    server.add(
        likes,
        Reply(
            json={
                "data": [
                    {"id": "2001", "text": "Liked one", "author_id": "77"},
                    {"id": "2002", "text": "Liked two", "author_id": "78"},
                ],
                "includes": {"users": X_INCLUDES["users"]},
                "meta": {"result_count": 2, "next_token": "l2"},
            },
            headers=headers,
        ),
        query={"pagination_token": None},
    )
    server.add(
        likes,
        Reply(
            json={
                "data": [{"id": "2003", "text": "Liked three", "author_id": "79"}],
                "includes": {"users": X_INCLUDES["users"]},
                "meta": {"result_count": 1},
            },
            headers=headers,
        ),
        query={"pagination_token": "l2"},
    )
    following = f"/2/users/{X_USER_ID}/following"
    server.add(
        following,
        Reply(
            json={
                "data": [
                    {"id": "77", "name": "Alice", "username": "alice"},
                    {"id": "78", "name": "Bob", "username": "bob"},
                ],
                "meta": {"result_count": 2, "next_token": "f2"},
            },
            headers=headers,
        ),
        query={"pagination_token": None},
    )
    server.add(
        following,
        Reply(
            json={"data": [{"id": "79", "name": "Carol", "username": "carol"}], "meta": {"result_count": 1}},
            headers=headers,
        ),
        query={"pagination_token": "f2"},
    )
    return loopback_settings(server)


# --- Bluesky AppView ------------------------------------------------------------------------

ALICE_DID = "did:plc:alice123"
BOB_DID = "did:plc:bob456"


def bsky_post(
    rkey: str, text: str, *, did: str = ALICE_DID, handle: str = "alice.bsky.social", **record: Any
) -> dict[str, Any]:
    uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    return {
        "uri": uri,
        "cid": f"bafy{rkey}",
        "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2025-01-05T09:30:00.000Z",
            "langs": ["en"],
            **record,
        },
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": 3,
        "quoteCount": 0,
        "indexedAt": "2025-01-05T09:30:01.000Z",
        "labels": [],
    }


def _bsky_page(items: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    return {"feed": items, **({"cursor": cursor} if cursor else {})}


def serve_bluesky_account(server: LoopbackServer, now: datetime) -> HttpSettings:
    """alice.bsky.social: 5 feed items over 2 pages (post, reply, repost, quote, post with image);
    likes refused as on the public AppView; 3 follows over 2 pages."""
    headers = {
        "ratelimit-limit": "3000",
        "ratelimit-remaining": "2999",
        "ratelimit-reset": str(int(now.timestamp()) + 300),
    }
    server.add(
        "/xrpc/app.bsky.actor.getProfile",
        Reply(
            json={
                "did": ALICE_DID,
                "handle": "alice.bsky.social",
                "displayName": "Alice",
                "description": "Tea, trains, typography.",
                "followersCount": 40,
                "followsCount": 3,
                "postsCount": 4,
                "createdAt": "2023-04-01T00:00:00.000Z",
            },
            headers=headers,
        ),
        query={"actor": "alice.bsky.social"},
    )
    parent = bsky_post("p0", "What do you all think?", did=BOB_DID, handle="bob.test")
    reply_ref = {
        "root": {"uri": parent["uri"], "cid": parent["cid"]},
        "parent": {"uri": parent["uri"], "cid": parent["cid"]},
    }
    feed = "/xrpc/app.bsky.feed.getAuthorFeed"
    server.add(
        feed,
        Reply(
            json=_bsky_page(
                [
                    {"post": bsky_post("a1", "Morning tea")},
                    {
                        "post": bsky_post("a2", "I think yes", reply=reply_ref),
                        "reply": {"root": parent, "parent": parent},
                    },
                    {
                        "post": bsky_post("b9", "Bob's hot take", did=BOB_DID, handle="bob.test"),
                        "reason": {
                            "$type": "app.bsky.feed.defs#reasonRepost",
                            "by": {"did": ALICE_DID, "handle": "alice.bsky.social"},
                            "indexedAt": "2025-01-06T08:00:00.000Z",
                        },
                    },
                ],
                "c2",
            ),
            headers=headers,
        ),
        query={"cursor": None, "filter": "posts_with_replies"},
    )
    quoted = bsky_post("q0", "Quotable", did=BOB_DID, handle="bob.test")
    quote_post = bsky_post(
        "a3",
        "This!",
        embed={"$type": "app.bsky.embed.record", "record": {"uri": quoted["uri"], "cid": quoted["cid"]}},
    )
    quote_post["embed"] = {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": "app.bsky.embed.record#viewRecord",
            "uri": quoted["uri"],
            "author": quoted["author"],
            "value": quoted["record"],
        },
    }
    image_post = bsky_post(
        "a4", "Look", embed={"$type": "app.bsky.embed.images", "images": [{"alt": "a train"}]}
    )
    image_post["embed"] = {
        "$type": "app.bsky.embed.images#view",
        "images": [
            {
                "thumb": "https://cdn.example/thumb/1",
                "fullsize": "https://cdn.example/full/1",
                "alt": "a train",
            }
        ],
    }
    server.add(
        feed,
        Reply(json=_bsky_page([{"post": quote_post}, {"post": image_post}], None), headers=headers),
        query={"cursor": "c2"},
    )
    server.add(
        "/xrpc/app.bsky.feed.getActorLikes",
        Reply(status=400, json={"error": "InvalidRequest", "message": "Profile not found"}, headers=headers),
    )
    follows = "/xrpc/app.bsky.graph.getFollows"
    subject = {"did": ALICE_DID, "handle": "alice.bsky.social"}
    server.add(
        follows,
        Reply(
            json={
                "subject": subject,
                "follows": [
                    {"did": BOB_DID, "handle": "bob.test"},
                    {"did": "did:plc:carol", "handle": "carol.test"},
                ],
                "cursor": "f2",
            },
            headers=headers,
        ),
        query={"cursor": None},
    )
    server.add(
        follows,
        Reply(
            json={"subject": subject, "follows": [{"did": "did:web:dan.example", "handle": "dan.example"}]},
            headers=headers,
        ),
        query={"cursor": "f2"},
    )
    return loopback_settings(server)


# --- Mastodon -------------------------------------------------------------------------------

MASTODON_DOMAIN = "social.example"


def masto_account(account_id: str, acct: str, **extra: Any) -> dict[str, Any]:
    username = acct.split("@")[0]
    return {
        "id": account_id,
        "username": username,
        "acct": acct,
        "display_name": username.title(),
        "note": "",
        "url": f"https://{MASTODON_DOMAIN}/@{username}",
        "avatar": "https://files.example/avatar.png",
        "followers_count": 10,
        "following_count": 2,
        "statuses_count": 5,
        "created_at": "2022-11-07T00:00:00.000Z",
        **extra,
    }


ALICE = masto_account(
    "1",
    "alice",
    note='<p>Librarian. Opinions mine &amp; yours.</p><p><a href="https://x.example">x.example</a></p>',
)
BOB = masto_account("2", "bob")
CAROL = masto_account("3", "carol@other.example")


def masto_status(
    status_id: str, content: str, *, account: dict[str, Any] = ALICE, **extra: Any
) -> dict[str, Any]:
    return {
        "id": status_id,
        "created_at": "2025-01-10T12:00:00.000Z",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"https://{MASTODON_DOMAIN}/users/{account['username']}/statuses/{status_id}",
        "url": f"https://{MASTODON_DOMAIN}/@{account['username']}/{status_id}",
        "replies_count": 1,
        "reblogs_count": 2,
        "favourites_count": 3,
        "content": content,
        "reblog": None,
        "account": account,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        **extra,
    }


def _link_next(server: LoopbackServer, path: str, max_id: str) -> dict[str, str]:
    return {
        "Link": f'<{server.base_url}{path}?limit=40&max_id={max_id}>; rel="next", '
        f'<{server.base_url}{path}?limit=40&min_id=999>; rel="prev"'
    }


def serve_mastodon_account(server: LoopbackServer, now: datetime) -> HttpSettings:
    """@alice@social.example: statuses over 3 pages (the last one empty), following over 2 pages."""
    reset = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "299",
        "X-RateLimit-Reset": "2025-03-01T12:05:00.000Z",
    }
    server.add("/api/v1/accounts/lookup", Reply(json=ALICE, headers=reset), query={"acct": "alice"})
    statuses = "/api/v1/accounts/1/statuses"
    server.add(
        statuses,
        Reply(
            json=[
                masto_status("101", "<p>Hello &amp; welcome<br>second line</p><p>New paragraph</p>"),
                masto_status(
                    "102",
                    '<p><span class="h-card"><a href="https://social.example/@bob" class="u-url mention">@<span>bob</span></a></span> sure</p>',
                    in_reply_to_id="99",
                    in_reply_to_account_id="2",
                    mentions=[
                        {"id": "2", "username": "bob", "acct": "bob", "url": "https://social.example/@bob"}
                    ],
                ),
                masto_status("103", "", reblog=masto_status("50", "<p>Carol's news</p>", account=CAROL)),
            ],
            headers={**reset, **_link_next(server, statuses, "103")},
        ),
        query={"max_id": None},
    )
    quoted = masto_status("60", "<p>Quotable</p>", account=BOB)
    server.add(
        statuses,
        Reply(
            json=[
                masto_status(
                    "104",
                    '<p>Exactly this</p><p class="quote-inline">RE: <a href="https://social.example/@bob/60">link</a></p>',
                    quote={"state": "accepted", "quoted_status": quoted},
                    quotes_count=0,
                ),
                masto_status("105", "<p>Plot twist inside</p>", spoiler_text="Spoilers"),
            ],
            headers={**reset, **_link_next(server, statuses, "105")},
        ),
        query={"max_id": "103"},
    )
    server.add(statuses, Reply(json=[], headers=reset), query={"max_id": "105"})
    following = "/api/v1/accounts/1/following"
    server.add(
        following,
        Reply(json=[BOB, CAROL], headers={**reset, **_link_next(server, following, "7")}),
        query={"max_id": None},
    )
    server.add(following, Reply(json=[], headers=reset), query={"max_id": "7"})
    return loopback_settings(server)
