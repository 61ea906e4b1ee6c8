"""Neutral records every connector produces and every importer consumes.

Parsers and clients in ``scraping/sources/<platform>/`` turn outside data into these plain
dataclasses; ``personas`` turns them into database rows. No Django here, so parsers are
testable on their own and the same records feed profiling, sampling and backtests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    media_alt: tuple[str, ...] = ()  # the descriptions (alt texts) the author wrote for them, blanks left out
    community: str = ""  # where it was posted on forum platforms (a subreddit), else blank
    score: int | None = None  # net votes (up minus down) on forum platforms; may be negative


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


# The longest text one item may carry: X's long posts stop at 25,000 characters, so anything longer
# is a pasted document, not social-media history (and would bloat every card and prompt built from it).
MAX_ITEM_TEXT_CHARS = 25_000


def cap_item_texts(bundle: AccountBundle) -> AccountBundle:
    """``bundle`` with every text over ``MAX_ITEM_TEXT_CHARS`` cut to that length, and a note saying so.

    The CSV/JSONL importer refuses such rows with a per-row error instead (the customer can fix
    the file); archives and network sources cannot be fixed by the customer, so their rare
    oversized items are cut, never stored whole.
    """
    cut = 0
    history = []
    for record in bundle.history:
        if len(record.text) > MAX_ITEM_TEXT_CHARS or len(record.target_text) > MAX_ITEM_TEXT_CHARS:
            cut += 1
            record = replace(
                record,
                text=record.text[:MAX_ITEM_TEXT_CHARS],
                target_text=record.target_text[:MAX_ITEM_TEXT_CHARS],
            )
        history.append(record)
    account = bundle.account
    if len(account.bio) > MAX_ITEM_TEXT_CHARS:
        account = replace(account, bio=account.bio[:MAX_ITEM_TEXT_CHARS])
    if not cut and account is bundle.account:
        return bundle
    notes = list(bundle.notes)
    if cut:
        items = "item had" if cut == 1 else "items had"
        notes.append(
            f"{cut:,} {items} text longer than {MAX_ITEM_TEXT_CHARS:,} characters; it was cut there."
        )
    return replace(bundle, account=account, history=history, notes=notes)


class ImportFailed(Exception):
    """Input that cannot be imported; the message is shown to the customer as is."""
