"""Mastodon REST JSON (Account, Status) to neutral records (pure).

A status with ``reblog`` is a repost of that status; ``in_reply_to_id`` makes a reply; servers
with quote posts (Mastodon 4.4+) send ``quote`` as ``{"state", "quoted_status": Status}`` or,
nested deeper, ``{"state", "quoted_status_id"}``, and some forks send the quoted Status itself.
``content`` is HTML and becomes plain text. Accounts are identified by their full
``user@domain`` address, which is the same on every server, unlike the numeric ids.
"""

from __future__ import annotations

import re
from typing import Any

from scraping.sources.alt_text import alt_texts
from scraping.sources.errors import BadResponse
from scraping.sources.mastodon.html_text import html_to_text
from scraping.sources.paging import AccountLookup, Page
from scraping.sources.records import AccountRecord, FollowRecord, HistoryKind, HistoryRecord
from scraping.sources.values import as_dict, as_list, as_str, optional_count, optional_iso_datetime

_LOCAL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def full_acct(account: dict[str, Any], domain: str) -> str:
    """Local accounts' ``acct`` lacks the domain; add the domain of the server we asked."""
    acct = as_str(account.get("acct")) or as_str(account.get("username"))
    return acct if "@" in acct else f"{acct}@{domain}"


def account_lookup(payload: Any, domain: str) -> AccountLookup:
    account = _object(payload, "account")
    acct = full_acct(account, domain)
    record = AccountRecord(
        platform="mastodon",
        platform_id=acct,
        handle=acct,
        display_name=as_str(account.get("display_name")),
        bio=html_to_text(as_str(account.get("note"))),
        url=as_str(account.get("url")),
        followers_count=optional_count(account.get("followers_count")),
        following_count=optional_count(account.get("following_count")),
        created_at=optional_iso_datetime(account.get("created_at")),
    )
    expected = {"posts": optional_count(account.get("statuses_count")), "following": record.following_count}
    return AccountLookup(record, expected=expected)


def account_id(payload: Any) -> str:
    """The server-local id the other endpoints take."""
    value = _object(payload, "account").get("id")
    # The id goes into our request paths, so it must look like an id and nothing else.
    if not isinstance(value, str) or not is_local_id(value):
        raise BadResponse("The Mastodon server answered with an account that has no usable id.")
    return value


def statuses_page(payload: Any, *, own_id: str, domain: str, next_cursor: str | None) -> Page:
    return Page(
        history=[
            status_record(status, own_id=own_id, domain=domain) for status in _objects(payload, "statuses")
        ],
        next_cursor=next_cursor,
    )


def following_page(payload: Any, *, domain: str, next_cursor: str | None) -> Page:
    following = []
    for account in _objects(payload, "accounts"):
        acct = full_acct(account, domain)
        following.append(FollowRecord(handle=acct, platform_id=acct))
    return Page(following=following, next_cursor=next_cursor)


def status_record(status: dict[str, Any], *, own_id: str, domain: str) -> HistoryRecord:
    status_id = as_str(status.get("id"))
    if not status_id:
        raise BadResponse("The Mastodon server answered with a post that has no id.")
    created_at = optional_iso_datetime(status.get("created_at"))
    reblog = as_dict(status.get("reblog"))
    if reblog:
        return HistoryRecord(
            platform_id=status_id,
            kind=HistoryKind.REPOST,
            created_at=created_at,
            target_id=as_str(reblog.get("id")),
            target_author=full_acct(as_dict(reblog.get("account")), domain),
            target_text=status_text(reblog),
        )
    common: dict[str, Any] = {
        "platform_id": status_id,
        "text": status_text(status),
        "created_at": created_at,
        "language": as_str(status.get("language")),
        "like_count": optional_count(status.get("favourites_count")),
        "repost_count": optional_count(status.get("reblogs_count")),
        "reply_count": optional_count(status.get("replies_count")),
        "quote_count": optional_count(status.get("quotes_count")),
        "media": tuple(
            url
            for media in map(as_dict, as_list(status.get("media_attachments")))
            if (url := as_str(media.get("url")) or as_str(media.get("remote_url")))
        ),
        "media_alt": alt_texts(
            as_dict(m).get("description") for m in as_list(status.get("media_attachments"))
        ),
    }
    reply_to = as_str(status.get("in_reply_to_id"))
    if reply_to:
        return HistoryRecord(
            kind=HistoryKind.REPLY,
            target_id=reply_to,
            target_author=_reply_author(status, own_id=own_id, domain=domain),
            **common,
        )
    quoted_id, quoted = _quote(status)
    if quoted_id:
        return HistoryRecord(
            kind=HistoryKind.QUOTE,
            target_id=quoted_id,
            target_author=full_acct(as_dict(quoted.get("account")), domain) if quoted else "",
            target_text=status_text(quoted) if quoted else "",
            **common,
        )
    return HistoryRecord(kind=HistoryKind.POST, **common)


def parent_status(payload: Any, domain: str) -> tuple[str, str]:
    """(text, author address) of a status fetched on its own, the post a reply answers."""
    status = _object(payload, "status")
    return status_text(status), full_acct(as_dict(status.get("account")), domain)


def is_local_id(value: str) -> bool:
    """Whether ``value`` looks like a server-local id, safe to put into a request path."""
    return bool(_LOCAL_ID.fullmatch(value))


def status_text(status: dict[str, Any]) -> str:
    """The text a reader sees; a content warning comes first, as it does on screen."""
    text = html_to_text(as_str(status.get("content")))
    warning = as_str(status.get("spoiler_text")).strip()
    return f"{warning}\n\n{text}".strip() if warning else text


def _reply_author(status: dict[str, Any], *, own_id: str, domain: str) -> str:
    reply_account = as_str(status.get("in_reply_to_account_id"))
    if reply_account == own_id:
        return full_acct(as_dict(status.get("account")), domain)
    for mention in map(as_dict, as_list(status.get("mentions"))):
        if as_str(mention.get("id")) == reply_account:
            return full_acct(mention, domain)
    return ""


def _quote(status: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(quoted status id, the quoted status when the server included it)."""
    quote = as_dict(status.get("quote"))
    if "content" in quote:  # forks that put the quoted Status itself here
        return as_str(quote.get("id")), quote
    quoted = as_dict(quote.get("quoted_status"))
    if quoted:
        return as_str(quoted.get("id")), quoted
    return as_str(quote.get("quoted_status_id")), {}


def _object(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadResponse(f"The Mastodon server answered with an unexpected shape (no {what} object).")
    return payload


def _objects(payload: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise BadResponse(f"The Mastodon server answered with an unexpected shape ({what} are not a list).")
    return payload
