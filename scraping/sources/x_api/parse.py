"""X API v2 JSON to neutral records (pure).

Shapes: ``/2/users/by/username`` answers ``{"data": {"id", "username", "name", "description",
"public_metrics": {...}}}`` or, for an unknown or suspended account, 200 with only ``errors``.
Timelines answer ``{"data": [tweet...], "includes": {"tweets": [...], "users": [...]},
"meta": {"result_count", "next_token"}}``; a tweet's ``referenced_tweets`` says whether it is a
retweet, reply or quote, and ``includes`` holds the referenced posts and their authors (so a
reply, quote or repost keeps the text it reacted to when the expansion returned it).
"""

from __future__ import annotations

import html
from typing import Any

from scraping.sources.errors import AccountNotFound, BadResponse, SourceError
from scraping.sources.paging import AccountLookup, Page
from scraping.sources.records import AccountRecord, FollowRecord, HistoryKind, HistoryRecord
from scraping.sources.values import as_dict, as_list, as_str, optional_count, optional_iso_datetime

TIMELINE_LIMIT = 3200  # the user tweets endpoint only reaches back this many posts
_RETWEET_PREFIX = "RT @"


def account_lookup(payload: Any, username: str) -> AccountLookup:
    user = as_dict(payload).get("data")
    if not isinstance(user, dict):
        detail = first_error(payload) or "no details"
        if "suspended" in detail.lower():
            raise AccountNotFound(f"X says @{username} is suspended, so its posts cannot be imported.")
        raise AccountNotFound(
            f"No X account named @{username} was found (X said: {detail}). Check the spelling."
        )
    metrics = as_dict(user.get("public_metrics"))
    user_id = _required_id(user, "user")
    if not user_id.isdigit():  # it goes into our request paths
        raise BadResponse("X API answered with a user id that is not a number.")
    account = AccountRecord(
        platform="x",
        platform_id=user_id,
        handle=as_str(user.get("username")) or username,
        display_name=as_str(user.get("name")),
        bio=html.unescape(as_str(user.get("description"))),
        location=as_str(user.get("location")),
        url=as_str(user.get("url")),
        followers_count=optional_count(metrics.get("followers_count")),
        following_count=optional_count(metrics.get("following_count")),
        created_at=optional_iso_datetime(user.get("created_at")),
    )
    tweet_count = optional_count(metrics.get("tweet_count"))
    return AccountLookup(
        account,
        expected={
            "posts": min(tweet_count, TIMELINE_LIMIT) if tweet_count is not None else None,
            "likes": optional_count(metrics.get("like_count")),
            "following": account.following_count,
        },
    )


def timeline_page(payload: Any, handle: str) -> Page:
    tweets, includes = _page_data(payload, handle)
    referenced = {
        as_str(tweet.get("id")): tweet for tweet in as_list(includes.get("tweets")) if isinstance(tweet, dict)
    }
    authors = _usernames(includes)
    return Page(
        history=[_tweet(tweet, referenced, authors) for tweet in tweets], next_cursor=_next_token(payload)
    )


def likes_page(payload: Any, handle: str) -> Page:
    tweets, includes = _page_data(payload, handle)
    authors = _usernames(includes)
    history = [
        HistoryRecord(
            platform_id=(tweet_id := _required_id(tweet, "liked post")),
            kind=HistoryKind.LIKE,
            target_id=tweet_id,
            target_author=authors.get(as_str(tweet.get("author_id")), ""),
            target_text=html.unescape(as_str(tweet.get("text"))),
        )
        for tweet in tweets
    ]
    return Page(history=history, next_cursor=_next_token(payload))


def following_page(payload: Any, handle: str) -> Page:
    users, _includes = _page_data(payload, handle)
    following = [
        FollowRecord(handle=as_str(user.get("username")), platform_id=_required_id(user, "followed account"))
        for user in users
    ]
    return Page(following=following, next_cursor=_next_token(payload))


def first_error(payload: Any) -> str:
    errors = as_list(as_dict(payload).get("errors"))
    first = as_dict(errors[0]) if errors else {}
    return as_str(first.get("detail")) or as_str(first.get("title")) or as_str(first.get("message"))


def _tweet(
    tweet: dict[str, Any], referenced: dict[str, dict[str, Any]], authors: dict[str, str]
) -> HistoryRecord:
    metrics = as_dict(tweet.get("public_metrics"))
    text = html.unescape(as_str(tweet.get("text")))
    common: dict[str, Any] = {
        "platform_id": _required_id(tweet, "post"),
        "created_at": optional_iso_datetime(tweet.get("created_at")),
        "language": "" if tweet.get("lang") in (None, "und") else as_str(tweet.get("lang")),
        "like_count": optional_count(metrics.get("like_count")),
        "repost_count": optional_count(metrics.get("retweet_count")),
        "reply_count": optional_count(metrics.get("reply_count")),
        "quote_count": optional_count(metrics.get("quote_count")),
    }
    references = {
        as_str(ref.get("type")): as_str(ref.get("id"))
        for ref in map(as_dict, as_list(tweet.get("referenced_tweets")))
    }
    if target_id := references.get("retweeted"):
        target = referenced.get(target_id, {})
        fallback_text = text.split(": ", 1)[1] if text.startswith(_RETWEET_PREFIX) and ": " in text else text
        return HistoryRecord(
            kind=HistoryKind.REPOST,
            target_id=target_id,
            target_author=authors.get(as_str(target.get("author_id")), ""),
            target_text=html.unescape(as_str(target.get("text"))) or fallback_text,
            **common,
        )
    if target_id := references.get("replied_to"):
        target = referenced.get(target_id, {})
        author_id = as_str(target.get("author_id")) or as_str(tweet.get("in_reply_to_user_id"))
        return HistoryRecord(
            kind=HistoryKind.REPLY,
            text=text,
            target_id=target_id,
            target_author=authors.get(author_id, ""),
            target_text=html.unescape(as_str(target.get("text"))),
            **common,
        )
    if target_id := references.get("quoted"):
        target = referenced.get(target_id, {})
        return HistoryRecord(
            kind=HistoryKind.QUOTE,
            text=text,
            target_id=target_id,
            target_author=authors.get(as_str(target.get("author_id")), ""),
            target_text=html.unescape(as_str(target.get("text"))),
            **common,
        )
    return HistoryRecord(kind=HistoryKind.POST, text=text, **common)


class NotListed(SourceError):
    """A 200 answer that carries only ``errors`` (a protected account, private likes)."""


def _page_data(payload: Any, handle: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    body = as_dict(payload)
    if "data" not in body and "meta" not in body:
        detail = first_error(payload) or "an unexpected answer"
        raise NotListed(f"X did not list this for @{handle}; X said: {detail}")
    items = body.get("data", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadResponse(
            f"X API answered with an unexpected shape for @{handle} ('data' is not a list of objects)."
        )
    return items, as_dict(body.get("includes"))


def _usernames(includes: dict[str, Any]) -> dict[str, str]:
    return {
        as_str(user.get("id")): as_str(user.get("username"))
        for user in map(as_dict, as_list(includes.get("users")))
    }


def _next_token(payload: Any) -> str | None:
    return as_str(as_dict(as_dict(payload).get("meta")).get("next_token")) or None


def _required_id(item: dict[str, Any], what: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise BadResponse(f"X API answered with a {what} that has no id.")
    return value
