"""Bluesky AppView JSON (``app.bsky.*`` views) to neutral records (pure).

A feed item is ``{"post": PostView, "reply"?: {"parent": PostView}, "reason"?: {"$type":
"app.bsky.feed.defs#reasonRepost", "by", "indexedAt", "uri"?}}``. A post's ``record`` is what
its author wrote: ``record.reply`` makes it a reply, ``record.embed`` of type
``app.bsky.embed.record`` (or ``recordWithMedia``) pointing at a post makes it a quote. Items
are identified by their ``at://`` URI; accounts by their DID.
"""

from __future__ import annotations

from typing import Any

from scraping.sources.alt_text import alt_texts
from scraping.sources.errors import BadResponse
from scraping.sources.paging import AccountLookup, Page
from scraping.sources.records import AccountRecord, FollowRecord, HistoryKind, HistoryRecord
from scraping.sources.values import as_dict, as_list, as_str, optional_count, optional_iso_datetime

_REPOST = "app.bsky.feed.defs#reasonRepost"
_QUOTE_EMBEDS = {"app.bsky.embed.record", "app.bsky.embed.recordWithMedia"}
_POST_COLLECTION = "app.bsky.feed.post"


def account_lookup(profile: Any) -> AccountLookup:
    body = as_dict(profile)
    account = AccountRecord(
        platform="bluesky",
        platform_id=_required(body, "did", "profile"),
        handle=_required(body, "handle", "profile"),
        display_name=as_str(body.get("displayName")),
        bio=as_str(body.get("description")),
        followers_count=optional_count(body.get("followersCount")),
        following_count=optional_count(body.get("followsCount")),
        created_at=optional_iso_datetime(body.get("createdAt")),
    )
    return AccountLookup(
        account,
        expected={"posts": optional_count(body.get("postsCount")), "following": account.following_count},
    )


def author_feed_page(payload: Any, account: AccountRecord) -> Page:
    history = []
    for item in _list(payload, "feed"):
        record = feed_item_record(item, account)
        if record is not None:
            history.append(record)
    return Page(history=history, next_cursor=_cursor(payload))


def feed_item_record(item: dict[str, Any], account: AccountRecord) -> HistoryRecord | None:
    """The account's own post, reply or quote, or its repost; None for anything else in the feed."""
    post = as_dict(item.get("post"))
    uri = _required(post, "uri", "feed post")
    author = as_dict(post.get("author"))
    record = as_dict(post.get("record"))
    reason = as_dict(item.get("reason"))
    if reason.get("$type") == _REPOST:
        return HistoryRecord(
            platform_id=as_str(reason.get("uri")) or f"repost-of:{uri}",
            kind=HistoryKind.REPOST,
            created_at=optional_iso_datetime(reason.get("indexedAt")),
            target_id=uri,
            target_author=as_str(author.get("handle")),
            target_text=as_str(record.get("text")),
        )
    if as_str(author.get("did")) != account.platform_id:
        return None
    common: dict[str, Any] = {
        "platform_id": uri,
        "text": as_str(record.get("text")),
        "created_at": optional_iso_datetime(record.get("createdAt"))
        or optional_iso_datetime(post.get("indexedAt")),
        "language": as_str(next(iter(as_list(record.get("langs"))), "")),
        "like_count": optional_count(post.get("likeCount")),
        "repost_count": optional_count(post.get("repostCount")),
        "reply_count": optional_count(post.get("replyCount")),
        "quote_count": optional_count(post.get("quoteCount")),
        "media": _media(as_dict(post.get("embed"))),
        "media_alt": _media_alt(as_dict(post.get("embed"))),
    }
    parent_uri = as_str(as_dict(as_dict(record.get("reply")).get("parent")).get("uri"))
    if parent_uri:
        parent = as_dict(as_dict(item.get("reply")).get("parent"))  # absent or a stub when deleted/blocked
        return HistoryRecord(
            kind=HistoryKind.REPLY,
            target_id=parent_uri,
            target_author=as_str(as_dict(parent.get("author")).get("handle")) or did_of(parent_uri),
            target_text=as_str(as_dict(parent.get("record")).get("text")),
            **common,
        )
    quoted_uri = _quoted_uri(as_dict(record.get("embed")))
    if quoted_uri:
        quoted_view = _quoted_view(as_dict(post.get("embed")))
        return HistoryRecord(
            kind=HistoryKind.QUOTE,
            target_id=quoted_uri,
            target_author=as_str(as_dict(quoted_view.get("author")).get("handle")) or did_of(quoted_uri),
            target_text=as_str(as_dict(quoted_view.get("value")).get("text")),
            **common,
        )
    return HistoryRecord(kind=HistoryKind.POST, **common)


def likes_page(payload: Any) -> Page:
    history = []
    for item in _list(payload, "feed"):
        post = as_dict(item.get("post"))
        uri = _required(post, "uri", "liked post")
        history.append(
            HistoryRecord(
                platform_id=uri,
                kind=HistoryKind.LIKE,
                target_id=uri,
                target_author=as_str(as_dict(post.get("author")).get("handle")),
                target_text=as_str(as_dict(post.get("record")).get("text")),
            )
        )
    return Page(history=history, next_cursor=_cursor(payload))


def follows_page(payload: Any) -> Page:
    following = [
        FollowRecord(
            handle=as_str(actor.get("handle")), platform_id=_required(actor, "did", "followed account")
        )
        for actor in _list(payload, "follows")
    ]
    return Page(following=following, next_cursor=_cursor(payload))


def did_of(at_uri: str) -> str:
    """``at://did:plc:abc/app.bsky.feed.post/xyz`` -> ``did:plc:abc``."""
    return at_uri.removeprefix("at://").split("/", 1)[0]


def _quoted_uri(embed: dict[str, Any]) -> str:
    if embed.get("$type") not in _QUOTE_EMBEDS:
        return ""
    reference = as_dict(embed.get("record"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        reference = as_dict(reference.get("record"))
    uri = as_str(reference.get("uri"))
    # An embedded record can also be a list or a feed generator; only posts make a quote.
    return uri if uri.split("/")[3:4] == [_POST_COLLECTION] else ""


def _quoted_view(embed_view: dict[str, Any]) -> dict[str, Any]:
    record = as_dict(embed_view.get("record"))
    if "record" in record and "uri" not in record:  # recordWithMedia#view nests one level deeper
        record = as_dict(record.get("record"))
    return record


def _media(embed_view: dict[str, Any]) -> tuple[str, ...]:
    media_view = as_dict(embed_view.get("media")) or embed_view
    images = [as_str(as_dict(image).get("fullsize")) for image in as_list(media_view.get("images"))]
    video = as_str(media_view.get("playlist"))
    return tuple(url for url in [*images, video] if url)


def _media_alt(embed_view: dict[str, Any]) -> tuple[str, ...]:
    """The alt texts of a post's images (``app.bsky.embed.images#view``) and video (``#view.alt``)."""
    media_view = as_dict(embed_view.get("media")) or embed_view
    images = [as_dict(image).get("alt") for image in as_list(media_view.get("images"))]
    return alt_texts([*images, media_view.get("alt") if media_view.get("playlist") else None])


def _list(payload: Any, key: str) -> list[dict[str, Any]]:
    items = as_dict(payload).get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadResponse(f"Bluesky answered with an unexpected shape ('{key}' is not a list of objects).")
    return items


def _cursor(payload: Any) -> str | None:
    return as_str(as_dict(payload).get("cursor")) or None


def _required(item: dict[str, Any], key: str, what: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise BadResponse(f"Bluesky answered with a {what} that has no {key}.")
    return value
