"""Real-shaped audience listings (followers, hashtag and search) of X API v2, Bluesky and Mastodon,
scripted onto a loopback server, plus small member accounts an audience import then fetches.

Each listing spans two pages, repeats one account and includes accounts the platform marks as
protected, suspended or automated, so paging, de-duplication and skipping are all exercised.
"""

from __future__ import annotations

from typing import Any

from tests.scraping.sources.loopback import LoopbackServer, Reply
from tests.scraping.sources.platforms import bsky_post, masto_account, masto_status

# --- X API v2 -------------------------------------------------------------------------------

X_BRAND_ID = "500"


def x_user(user_id: str, username: str, **extra: Any) -> dict[str, Any]:
    return {"id": user_id, "name": username.title(), "username": username, "protected": False, **extra}


def serve_x_followers(server: LoopbackServer) -> None:
    """@brand's followers: u1..u5 over two pages, u1 twice, u2 protected, u5 withheld."""
    server.add(
        "/2/users/by/username/brand",
        Reply(json={"data": {"id": X_BRAND_ID, "username": "brand", "name": "Brand"}}),
    )
    path = f"/2/users/{X_BRAND_ID}/followers"
    first = [x_user("1", "u1"), x_user("2", "u2", protected=True), x_user("3", "u3")]
    second = [x_user("4", "u4"), x_user("1", "u1"), x_user("5", "u5", withheld={"country_codes": ["DE"]})]
    server.add(
        path,
        Reply(json={"data": first, "meta": {"result_count": 3, "next_token": "F2"}}),
        query={"pagination_token": None},
    )
    server.add(
        path, Reply(json={"data": second, "meta": {"result_count": 3}}), query={"pagination_token": "F2"}
    )


def serve_x_search(server: LoopbackServer, query: str) -> None:
    """Recent posts for ``query``: authors u6, u7 (protected) and u6 again over two pages."""
    path = "/2/tweets/search/recent"
    tweets = [{"id": "9001", "text": "#climate now", "author_id": "6", "edit_history_tweet_ids": ["9001"]}]
    server.add(
        path,
        Reply(
            json={
                "data": tweets,
                "includes": {"users": [x_user("6", "u6"), x_user("7", "u7", protected=True)]},
                "meta": {"newest_id": "9001", "oldest_id": "9001", "result_count": 1, "next_token": "N2"},
            }
        ),
        query={"query": query, "next_token": None},
    )
    server.add(
        path,
        Reply(
            json={
                "data": tweets,
                "includes": {"users": [x_user("6", "u6"), x_user("8", "u8")]},
                "meta": {"result_count": 1},
            }
        ),
        query={"query": query, "next_token": "N2"},
    )


# --- Bluesky ----------------------------------------------------------------------------------


def bsky_profile(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "did": f"did:plc:{name}",
        "handle": f"{name}.bsky.social",
        "displayName": name.title(),
        "labels": [],
        **extra,
    }


def label(value: str) -> dict[str, Any]:
    return {
        "src": "did:plc:mod",
        "uri": "at://did:plc:x/app.bsky.actor.profile/self",
        "val": value,
        "cts": "2025-01-01T00:00:00Z",
    }


BSKY_FOLLOWERS = [
    bsky_profile("ann"),
    bsky_profile("ben"),
    bsky_profile("cat", labels=[label("!no-unauthenticated")]),
    bsky_profile("dan", labels=[label("bot")]),
    bsky_profile("eve"),
    bsky_profile("fay"),
    bsky_profile("gus", handle="handle.invalid"),
    bsky_profile("hal", associated={"labeler": True}),
]


def serve_bluesky_followers(server: LoopbackServer) -> None:
    """brand.bsky.social's 8 followers over two pages (ann repeated); cat, dan, gus, hal cannot be sampled."""
    path = "/xrpc/app.bsky.graph.getFollowers"
    subject = bsky_profile("brand")
    server.add(
        path,
        Reply(json={"subject": subject, "followers": BSKY_FOLLOWERS[:4], "cursor": "c2"}),
        query={"actor": "brand.bsky.social", "cursor": None},
    )
    server.add(
        path,
        Reply(json={"subject": subject, "followers": [BSKY_FOLLOWERS[0], *BSKY_FOLLOWERS[4:]]}),
        query={"actor": "brand.bsky.social", "cursor": "c2"},
    )


def serve_bluesky_search(server: LoopbackServer, query: str) -> None:
    """One page of posts for ``query``; the next page is refused, as the public AppView does."""
    posts = [
        bsky_post("s1", "#climate a", did="did:plc:ivy", handle="ivy.bsky.social"),
        bsky_post("s2", "#climate b", did="did:plc:jon", handle="jon.bsky.social"),
        bsky_post("s3", "#climate c", did="did:plc:ivy", handle="ivy.bsky.social"),
    ]
    path = "/xrpc/app.bsky.feed.searchPosts"
    server.add(
        path,
        Reply(json={"posts": posts, "cursor": "25", "hitsTotal": 90}),
        query={"q": query, "cursor": None},
    )
    server.add(
        path, Reply(status=403, json={"error": "Forbidden", "message": "Forbidden"}), query={"cursor": "25"}
    )


def serve_bluesky_member(server: LoopbackServer, profile: dict[str, Any], *, posts: int = 2) -> None:
    """A sampled account: its profile, ``posts`` posts on one page, likes refused, no follows."""
    did, handle = profile["did"], profile["handle"]
    server.add(
        "/xrpc/app.bsky.actor.getProfile",
        Reply(
            json={
                **profile,
                "followersCount": 5,
                "followsCount": 0,
                "postsCount": posts,
                "description": f"I am {handle}",
            }
        ),
        query={"actor": did},
    )
    feed = [
        {"post": bsky_post(f"{did[-3:]}{i}", f"Post {i} by {handle}", did=did, handle=handle)}
        for i in range(posts)
    ]
    server.add("/xrpc/app.bsky.feed.getAuthorFeed", Reply(json={"feed": feed}), query={"actor": did})
    server.add(
        "/xrpc/app.bsky.feed.getActorLikes",
        Reply(status=400, json={"error": "InvalidRequest", "message": "Profile not found"}),
    )
    server.add(
        "/xrpc/app.bsky.graph.getFollows",
        Reply(json={"subject": profile, "follows": []}),
        query={"actor": did},
    )


# --- Mastodon -------------------------------------------------------------------------------


def _next(server: LoopbackServer, path: str, max_id: str) -> dict[str, str]:
    return {"Link": f'<{server.base_url}{path}?limit=80&max_id={max_id}>; rel="next"'}


def serve_mastodon_followers(server: LoopbackServer) -> None:
    """@brand@social.example's followers: ann (local), ben@other.example, cat (locked), dan (bot), eve,
    ann again and a follower on an IP address, over two Link-paged pages."""
    server.add("/api/v1/accounts/lookup", Reply(json=masto_account("9", "brand")), query={"acct": "brand"})
    path = "/api/v1/accounts/9/followers"
    first = [
        masto_account("11", "ann"),
        masto_account("12", "ben@other.example"),
        masto_account("13", "cat", locked=True),
    ]
    second = [
        masto_account("14", "dan", bot=True),
        masto_account("15", "eve"),
        masto_account("11", "ann"),
        masto_account("16", "ivan@10.0.0.1"),
    ]
    server.add(path, Reply(json=first, headers=_next(server, path, "13")), query={"max_id": None})
    server.add(path, Reply(json=second), query={"max_id": "13"})


def serve_mastodon_tag(server: LoopbackServer, tag: str) -> None:
    path = f"/api/v1/timelines/tag/{tag}"
    first = [masto_status("201", "<p>#climate</p>", account=masto_account("21", "kim"))]
    second = [
        masto_status("202", "<p>#climate too</p>", account=masto_account("22", "lee@far.example")),
        masto_status("203", "<p>#climate again</p>", account=masto_account("21", "kim")),
    ]
    server.add(path, Reply(json=first, headers=_next(server, path, "201")), query={"max_id": None})
    server.add(path, Reply(json=second), query={"max_id": "201"})


def serve_mastodon_search(server: LoopbackServer, query: str) -> None:
    accounts = [masto_account("31", "moe"), masto_account("32", "ned@far.example", suspended=True)]
    server.add(
        "/api/v2/search",
        Reply(json={"accounts": accounts, "statuses": [], "hashtags": []}),
        query={"q": query, "type": "accounts"},
    )
