"""The contract every connector follows: progress callback, batches with checkpoints, limits.

Network connectors yield :class:`Batch` objects: the account plus one page of items, and the
checkpoint that is valid once that page is stored. The importer stores both together; after a
crash, a rate limit or an outage it passes the last stored checkpoint back and the connector
continues after that page, so storing every batch once gives exactly the records of one
uninterrupted import. The first batch holds only the account; a checkpoint whose endpoints are
all finished yields nothing more. :func:`collect_batches` merges batches when nothing needs to
be resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from scraping.sources.errors import Checkpoint
from scraping.sources.records import AccountBundle, FollowRecord, HistoryKind, HistoryRecord

T = TypeVar("T")
K = TypeVar("K")

ProgressCallback = Callable[[int, "int | None", str], None]
"""``progress(done, total, message)``; ``total`` is None when the source does not say."""


def report(progress: ProgressCallback | None, done: int, total: int | None, message: str) -> None:
    if progress is not None:
        progress(done, total, message)


@dataclass(frozen=True)
class ImportCaps:
    """Upper bounds per endpoint so one huge account cannot make an import run for hours."""

    max_posts: int = 3200
    max_likes: int = 3200
    max_following: int = 5000


DEFAULT_CAPS = ImportCaps()


@dataclass(frozen=True)
class Batch:
    """One page of an import: ``bundle`` holds the account and only this page's new items."""

    bundle: AccountBundle
    checkpoint: Checkpoint = field(default_factory=dict)


def history_key(record: HistoryRecord) -> tuple[HistoryKind, str]:
    return (record.kind, record.platform_id)


def follow_key(record: FollowRecord) -> str:
    return record.platform_id or record.handle.casefold()


def collect_batches(batches: Iterable[Batch]) -> AccountBundle:
    """Merge batches into one bundle (latest account record, items and notes in first-seen order)."""
    merged: AccountBundle | None = None
    seen_history: set[tuple[HistoryKind, str]] = set()
    seen_following: set[str] = set()
    seen_followers: set[str] = set()
    for batch in batches:
        part = batch.bundle
        if merged is None:
            merged = AccountBundle(account=part.account)
        merged.account = part.account
        merged.history.extend(_unseen(part.history, seen_history, history_key))
        merged.following.extend(_unseen(part.following, seen_following, follow_key))
        merged.followers.extend(_unseen(part.followers, seen_followers, follow_key))
        merged.notes.extend(note for note in part.notes if note not in merged.notes)
    if merged is None:
        raise ValueError("collect_batches() needs at least one batch")
    return merged


def _unseen(items: list[T], seen: set[K], key: Callable[[T], K]) -> list[T]:
    fresh = []
    for item in items:
        item_key = key(item)
        if item_key not in seen:
            seen.add(item_key)
            fresh.append(item)
    return fresh
