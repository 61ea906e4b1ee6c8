"""Neutral records every connector produces and every importer consumes.

Parsers and clients in ``scraping/sources/<platform>/`` turn outside data into these plain
dataclasses; ``personas`` turns them into database rows. No Django here, so parsers are
testable on their own and the same records feed profiling, sampling and backtests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class HistoryKind(StrEnum):
    POST = "post"
    REPLY = "reply"
    QUOTE = "quote"
    REPOST = "repost"
    LIKE = "like"


@dataclass(frozen=True)
class AccountRecord:
    platform: str  # "x", "bluesky", "mastodon", "csv"
    platform_id: str
    handle: str
    display_name: str = ""
    bio: str = ""
    location: str = ""
    url: str = ""
    followers_count: int | None = None
    following_count: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class HistoryRecord:
    """One thing the account did: wrote, replied, quoted, reposted or liked."""

    platform_id: str  # id of the item on its platform (unique per account and kind)
    kind: HistoryKind
    text: str = ""
    created_at: datetime | None = None  # likes often have no time on the platform
    language: str = ""
    target_id: str = ""  # the post replied to, quoted, reposted or liked
    target_author: str = ""  # handle of that post's author, when known
    target_text: str = ""  # text of the liked/reposted post, when known
    like_count: int | None = None
    repost_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None
    media: tuple[str, ...] = ()  # media references (URLs or archive paths), never fetched


@dataclass(frozen=True)
class FollowRecord:
    handle: str = ""
    platform_id: str = ""


@dataclass
class AccountBundle:
    """Everything one import produced for one account; imported all-or-nothing."""

    account: AccountRecord
    history: list[HistoryRecord] = field(default_factory=list)
    following: list[FollowRecord] = field(default_factory=list)
    followers: list[FollowRecord] = field(default_factory=list)
    # What the customer should know that is not a failure (skipped likes, limits reached, duplicates).
    notes: list[str] = field(default_factory=list)


class ImportFailed(Exception):
    """Input that cannot be imported; the message is shown to the customer as is."""
