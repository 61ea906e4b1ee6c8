"""The documented CSV / JSONL upload format: one row per history item, several accounts per file.

``COLUMNS`` is the single source: the parser validates against it, and ``SCHEMA_DOC`` (the table
on the import page) and ``TEMPLATE_CSV`` (the downloadable template) are generated from it, so
the three cannot drift apart.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from scraping.sources.records import MAX_ITEM_TEXT_CHARS, HistoryKind
from scraping.sources.values import MAX_COUNT


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()  # other names accepted in a header or JSON key


KINDS = tuple(kind.value for kind in HistoryKind)
COUNT_COLUMNS = ("like_count", "repost_count", "reply_count", "quote_count")
MAX_SCORE = MAX_COUNT

COLUMNS: tuple[Column, ...] = (
    Column(
        "handle",
        True,
        "The account's handle, with or without a leading @. Rows are grouped into one account per handle (case does not matter).",
    ),
    Column("kind", True, f"What the account did: {', '.join(KINDS)}."),
    Column(
        "item_id",
        True,
        "The item's id on its platform; unique per handle and kind. A row repeated exactly is skipped.",
    ),
    Column(
        "text",
        False,
        f"What the account wrote, at most {MAX_ITEM_TEXT_CHARS:,} characters. Leave empty for reposts and likes.",
    ),
    Column(
        "created_at",
        False,
        "When, in ISO 8601, e.g. 2024-05-01T08:15:00Z. A time without an offset is read as UTC.",
    ),
    Column(
        "target_id",
        False,
        "The id of the post replied to, quoted, reposted or liked (the parent post). May be named parent_id.",
        ("parent_id",),
    ),
    Column(
        "target_author",
        False,
        "The handle of that post's author. May be named parent_author.",
        ("parent_author",),
    ),
    Column(
        "target_text",
        False,
        f"The text of that post, at most {MAX_ITEM_TEXT_CHARS:,} characters; it shows what the account was "
        "reacting to. May be named parent_text.",
        ("parent_text",),
    ),
    Column("language", False, "Language code such as en or de."),
    Column("like_count", False, f"Likes the item received (a whole number from 0 to {MAX_COUNT:,})."),
    Column("repost_count", False, "Reposts the item received."),
    Column("reply_count", False, "Replies the item received."),
    Column("quote_count", False, "Quotes the item received."),
    Column("community", False, "Where it was posted, on forums: a subreddit or a group."),
    Column(
        "score",
        False,
        f"Net votes the item received (up minus down), a whole number from -{MAX_SCORE:,} to {MAX_SCORE:,}.",
    ),
    Column(
        "display_name",
        False,
        "The account's display name; taken from the first row of the handle that has one.",
    ),
    Column("bio", False, "The account's bio; taken from the first row of the handle that has one."),
)

ALLOWED_COLUMNS = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in COLUMNS if column.required)
# alias -> column name: older exports and forum tools say "parent" where we say "target"
ALIASES = {alias: column.name for column in COLUMNS for alias in column.aliases}

_EXAMPLE_ROWS = (
    {
        "handle": "maria_votes",
        "kind": "post",
        "item_id": "1001",
        "text": "Bus lanes on Main St would save me 20 minutes a day, & the buses would finally be on time.",
        "created_at": "2024-05-01T08:15:00Z",
        "language": "en",
        "like_count": "12",
        "repost_count": "3",
        "reply_count": "2",
        "quote_count": "0",
        "display_name": "María López",
        "bio": "Nurse, cyclist, city council watcher",
    },
    {
        "handle": "maria_votes",
        "kind": "reply",
        "item_id": "1002",
        "text": "Agreed, and the night buses too.",
        "created_at": "2024-05-01T09:02:00Z",
        "target_id": "990",
        "target_author": "citytransit",
        "target_text": "Should the Main St bus lane run all night? Tell us before Friday.",
        "language": "en",
        "like_count": "4",
    },
    {
        "handle": "maria_votes",
        "kind": "like",
        "item_id": "1003",
        "created_at": "2024-05-02T18:40:00+02:00",
        "target_id": "991",
        "target_author": "localnews",
    },
)


def _template_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ALLOWED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_EXAMPLE_ROWS)
    return out.getvalue()


def _schema_doc() -> str:
    rows = [
        f"| `{column.name}` | {'yes' if column.required else 'no'} | {column.description} |"
        for column in COLUMNS
    ]
    return "\n".join(
        [
            (
                "Upload a UTF-8 `.csv` file with a header row, or a `.jsonl` file with one JSON object per line "
                "using the same names as keys. Each row is one thing an account did; a file may hold many accounts."
            ),
            "",
            "| Column | Required | Meaning |",
            "| --- | --- | --- |",
            *rows,
            "",
            "Nothing is imported unless every row is valid; the error list names each line to fix.",
        ]
    )


TEMPLATE_CSV = _template_csv()
SCHEMA_DOC = _schema_doc()
