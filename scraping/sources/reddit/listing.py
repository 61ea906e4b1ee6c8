"""Reddit API JSON saved to a file: a Listing, a list of Listings, or a thread (``/comments/<id>.json``).

Every post (``t3``) and comment (``t1``) in the file, nested ``replies`` included, becomes a
history item of its author, so a thread file yields one bundle per participant and the import's
panel is the thread's people. A reply's target text and author come from the file itself when its
parent is there (in a thread it always is, unless deleted). The product holds no Reddit OAuth
credential, so these files are uploaded, never fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scraping.sources.base import ProgressCallback, report
from scraping.sources.errors import UploadRejected
from scraping.sources.records import AccountBundle, HistoryKind, HistoryRecord
from scraping.sources.reddit.export import fullname, reddit_account
from scraping.sources.textcodec import decode_utf8_text
from scraping.sources.uploads import UploadSource, read_upload
from scraping.sources.values import (
    MAX_COUNT,
    NumberTooLong,
    as_dict,
    as_list,
    as_str,
    json_loads,
    optional_count,
)

GONE_AUTHORS = frozenset({"[deleted]", "[removed]"})
ITEM_KINDS = ("t3", "t1")
SHAPE_HELP = (
    'Upload Reddit API JSON: a Listing ({"kind": "Listing", "data": {"children": [...]}}), a list of '
    "Listings, or a thread as /comments/<id>.json returns it."
)


@dataclass
class _Walk:
    """What walking the file found: items in document order and what was left out."""

    things: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    listings: int = 0
    more_stubs: int = 0
    more_hidden: int = 0
    other_kinds: int = 0


def parse_reddit_listing(
    source: UploadSource, *, max_bytes: int = 50 * 1024**2, progress: ProgressCallback | None = None
) -> list[AccountBundle]:
    """One bundle per author, in order of first appearance (a thread's original poster first)."""
    report(progress, 0, None, "Reading the Reddit JSON")
    walk = _walk(_load(read_upload(source, max_bytes=max_bytes, what="file")))
    if not walk.listings and not walk.things:
        raise UploadRejected(f"This JSON holds no Reddit Listing. {SHAPE_HELP}")
    parents = {_name(kind, data): data for kind, data in walk.things}
    bundles: dict[str, AccountBundle] = {}
    seen: set[str] = set()
    gone = 0
    for kind, data in walk.things:
        author = as_str(data.get("author"))
        if not author or author in GONE_AUTHORS:
            gone += 1
            continue
        record = _record(kind, data, parents)
        if record.platform_id in seen:
            continue
        seen.add(record.platform_id)
        bundle = bundles.setdefault(author.casefold(), AccountBundle(account=reddit_account(author)))
        bundle.history.append(record)
    if not bundles:
        raise UploadRejected("The file has no posts or comments by an account that still exists.")
    notes = _notes(walk, gone)
    for bundle in bundles.values():
        bundle.notes.extend(notes)
    items = len(seen)
    report(progress, items, items, f"Read {items:,} posts and comments by {len(bundles):,} accounts")
    return list(bundles.values())


def _load(raw: bytes) -> Any:
    text = decode_utf8_text(raw, label="The file")
    try:
        return json_loads(text)
    except NumberTooLong as exc:
        raise UploadRejected(f"The file cannot be read: {exc}.") from None
    except RecursionError:
        raise UploadRejected("The file nests its JSON too deeply to be Reddit API output.") from None
    except ValueError as exc:
        raise UploadRejected(f"The file is not valid JSON ({exc}). {SHAPE_HELP}") from None


def _walk(document: Any) -> _Walk:
    """Every t3/t1 in document order, descending into ``replies``; an explicit stack bounds no depth."""
    walk = _Walk()
    stack = list(reversed(document)) if isinstance(document, list) else [document]
    while stack:
        node = as_dict(stack.pop())
        kind, data = node.get("kind"), as_dict(node.get("data"))
        if kind == "Listing":
            walk.listings += 1
            stack.extend(reversed(as_list(data.get("children"))))
        elif kind in ITEM_KINDS and (data.get("name") or data.get("id")):
            walk.things.append((kind, data))
            stack.append(data.get("replies"))  # a Listing, or "" when there are none
        elif kind == "more":
            walk.more_stubs += 1
            walk.more_hidden += optional_count(data.get("count")) or len(as_list(data.get("children")))
        elif node:
            walk.other_kinds += 1
    return walk


def _name(kind: str, data: dict[str, Any]) -> str:
    return fullname(kind, as_str(data.get("name")) or as_str(data.get("id")))


def _record(kind: str, data: dict[str, Any], parents: dict[str, dict[str, Any]]) -> HistoryRecord:
    score = data.get("score")
    score = score if isinstance(score, int) and not isinstance(score, bool) else None
    common = {
        "platform_id": _name(kind, data),
        "created_at": _utc(data.get("created_utc")),
        "community": as_str(data.get("subreddit")),
        "score": score,
        "like_count": min(max(score, 0), MAX_COUNT) if score is not None else None,
    }
    if kind == "t3":
        text = "\n\n".join(part for part in (as_str(data.get("title")), as_str(data.get("selftext"))) if part)
        linked = as_str(data.get("url")) if data.get("is_self") is False else ""
        return HistoryRecord(
            kind=HistoryKind.POST,
            text=text,
            reply_count=optional_count(data.get("num_comments")),
            media=(linked,) if linked else (),
            **common,
        )
    target_id = as_str(data.get("parent_id"))
    target_author, target_text = _target(target_id, data, parents)
    return HistoryRecord(
        kind=HistoryKind.REPLY,
        text=as_str(data.get("body")),
        target_id=target_id,
        target_author=target_author,
        target_text=target_text,
        **common,
    )


def _target(target_id: str, data: dict[str, Any], parents: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(author, text) of what a comment answers: its parent in the file, else the post a user listing names."""
    parent = parents.get(target_id)
    if parent is not None:
        author = as_str(parent.get("author"))
        if target_id.startswith("t3_"):
            text = "\n\n".join(p for p in (as_str(parent.get("title")), as_str(parent.get("selftext"))) if p)
        else:
            text = as_str(parent.get("body"))
        return ("" if author in GONE_AUTHORS else author), ("" if text in GONE_AUTHORS else text)
    if target_id and target_id == as_str(data.get("link_id")):
        author = as_str(data.get("link_author"))
        return ("" if author in GONE_AUTHORS else author), as_str(data.get("link_title"))
    return "", ""


def _utc(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _notes(walk: _Walk, gone: int) -> list[str]:
    notes = []
    if walk.more_stubs:
        notes.append(
            f"Reddit left {walk.more_hidden:,} comments out of this file behind {walk.more_stubs:,} "
            "'load more comments' links; they are not imported."
        )
    if gone:
        items = "post or comment" if gone == 1 else "posts or comments"
        notes.append(f"Skipped {gone:,} {items} whose account was deleted or removed.")
    if walk.other_kinds:
        notes.append(f"{walk.other_kinds:,} entries that are neither posts nor comments were ignored.")
    return notes
