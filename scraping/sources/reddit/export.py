"""Reddit's official data export (reddit.com/settings/data-request): the ZIP, or its posts/comments CSVs.

The export describes one account, the one that requested it, but its posts.csv and comments.csv
never name that account. The handle therefore comes from the export's statistics.csv (its
``account name`` row) when the ZIP holds one, and otherwise from the username the customer typed;
without either the upload is refused, because guessing would file the history under the wrong
person. The export carries no scores or counts, so those stay empty.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import PurePath, PurePosixPath

from scraping.sources.base import ProgressCallback, report
from scraping.sources.errors import UploadRejected
from scraping.sources.records import AccountBundle, AccountRecord, HistoryKind, HistoryRecord
from scraping.sources.textcodec import decode_utf8_text
from scraping.sources.uploads import UploadSource, open_upload, read_upload
from scraping.sources.values import parse_iso_datetime
from scraping.sources.x_archive.safezip import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, read_zip_members

PLATFORM = "reddit"
FRESH_EXPORT = (
    "Request your data at reddit.com/settings/data-request and upload the ZIP Reddit sends, unchanged."
)
POST_COLUMNS = ("id", "permalink", "date", "subreddit", "title", "url", "body")
COMMENT_COLUMNS = ("id", "permalink", "date", "subreddit", "link", "parent", "body")
_HISTORY_FILES = ("posts.csv", "comments.csv")
_STATISTICS_FILE = "statistics.csv"
_USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
_FULLNAME = re.compile(r"^t[13]_[a-z0-9]+$")
_POST_ID_IN_URL = re.compile(r"/comments/([a-z0-9]+)")
NO_SCORES_NOTE = "Reddit's data export has no scores or reply counts, so they stay empty for these items."


def normalize_reddit_username(text: str) -> str:
    """``u/name``, ``/u/name``, ``@name`` or ``name`` as Reddit spells it; ``UploadRejected`` when invalid."""
    name = text.strip().removeprefix("/").removeprefix("u/").removeprefix("@")
    if not _USERNAME.match(name):
        raise UploadRejected(
            f"{text.strip()!r} is not a Reddit username (3 to 20 letters, digits, '_' or '-', as in u/spez)."
        )
    return name


def reddit_account(handle: str) -> AccountRecord:
    """The account of a Reddit handle. Usernames are unique regardless of case and never change, and the
    export has no account id, so the lower-cased name is the id: an export and a listing of the same
    person land on one account."""
    return AccountRecord(platform=PLATFORM, platform_id=handle.casefold(), handle=handle)


def fullname(prefix: str, item_id: str) -> str:
    """A Reddit fullname (``t3_abc`` for posts, ``t1_abc`` for comments) from a bare or full id."""
    item_id = item_id.strip()
    return item_id if _FULLNAME.match(item_id) else f"{prefix}_{item_id}"


def parse_reddit_export(
    source: UploadSource,
    *,
    filename: str,
    handle: str = "",
    limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    max_csv_bytes: int = 50 * 1024**2,
    progress: ProgressCallback | None = None,
) -> AccountBundle:
    """The exporting account's posts and comments from the export ZIP or one of its CSV files."""
    report(progress, 0, None, "Reading the Reddit export")
    if PurePath(filename).suffix.lower() == ".zip":
        files = _zip_files(source, limits)
    else:
        raw = read_upload(source, max_bytes=max_csv_bytes, what="file")
        files = {_csv_role(raw, filename): raw}
    account_name = _statistics_account(files.pop(_STATISTICS_FILE, b""))
    bundle = AccountBundle(account=reddit_account(_export_handle(account_name, handle)))
    for name in _HISTORY_FILES:
        if name in files:
            bundle.history.extend(_records(name, files[name]))
    _link_own_targets(bundle)
    bundle.notes.append(NO_SCORES_NOTE)
    report(
        progress, len(bundle.history), len(bundle.history), f"Read {len(bundle.history):,} posts and comments"
    )
    return bundle


def _zip_files(source: UploadSource, limits: ArchiveLimits) -> dict[str, bytes]:
    with open_upload(source, max_bytes=limits.max_upload_bytes, what="export") as stream:
        if not zipfile.is_zipfile(stream):
            raise UploadRejected(
                "This file is not a ZIP archive. Upload the .zip Reddit sent you (do not unzip it), "
                "or its posts.csv or comments.csv."
            )
        stream.seek(0)
        members = read_zip_members(stream, limits=limits, wanted=_export_members)
    return {PurePosixPath(name).name.lower(): data for name, data in members.items()}


def _export_members(names: list[str]) -> list[str]:
    """The shallowest posts.csv, comments.csv and statistics.csv; refuses a ZIP with neither history file."""
    chosen: dict[str, str] = {}
    for name in sorted(names, key=lambda entry: (len(PurePosixPath(entry).parts), entry)):
        base = PurePosixPath(name).name.lower()
        if base in (*_HISTORY_FILES, _STATISTICS_FILE):
            chosen.setdefault(base, name)
    if not any(base in chosen for base in _HISTORY_FILES):
        raise UploadRejected(
            f"The ZIP has neither posts.csv nor comments.csv, so it is not a Reddit data export. {FRESH_EXPORT}"
        )
    return list(chosen.values())


def _csv_role(raw: bytes, filename: str) -> str:
    """Which export file a lone CSV is, told by its header (customers rename files)."""
    first_line = decode_utf8_text(raw.split(b"\n", 1)[0], label=repr(filename)).lower()
    header = {cell.strip() for cell in next(csv.reader([first_line]), [])}
    if {"parent", "link"} <= header:
        return "comments.csv"
    if "title" in header:
        return "posts.csv"
    raise UploadRejected(
        f"{PurePath(filename).name!r} is neither posts.csv nor comments.csv from a Reddit data export "
        f"(expected the columns {', '.join(POST_COLUMNS)} or {', '.join(COMMENT_COLUMNS)})."
    )


def _statistics_account(raw: bytes) -> str:
    if not raw:
        return ""
    rows = csv.reader(io.StringIO(decode_utf8_text(raw, label=_STATISTICS_FILE), newline=""))
    for row in rows:
        if len(row) >= 2 and row[0].strip().lower() == "account name":
            return row[1].strip()
    return ""


def _export_handle(account_name: str, typed: str) -> str:
    if account_name and typed and normalize_reddit_username(typed).casefold() != account_name.casefold():
        raise UploadRejected(
            f"This export belongs to u/{account_name}, not u/{normalize_reddit_username(typed)}. "
            "Clear the username or upload that account's export."
        )
    if account_name:
        return normalize_reddit_username(account_name)
    if typed:
        return normalize_reddit_username(typed)
    raise UploadRejected(
        "Reddit's posts.csv and comments.csv do not say whose they are. Type the Reddit username "
        "in the Account field, or upload the whole export ZIP (its statistics.csv names the account)."
    )


def _rows(name: str, raw: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(decode_utf8_text(raw, label=name), newline=""))
    header = [column.strip().lower() for column in reader.fieldnames or ()]
    required = POST_COLUMNS if name == "posts.csv" else COMMENT_COLUMNS
    missing = [column for column in required if column not in header]
    if missing:
        raise UploadRejected(f"{name} has no {', '.join(missing)} column(s); {FRESH_EXPORT}")
    reader.fieldnames = header
    try:
        for row in reader:
            if any((value or "").strip() for value in row.values() if isinstance(value, str)):
                yield reader.line_num, {key: (value or "").strip() for key, value in row.items() if key}
    except csv.Error as exc:
        raise UploadRejected(f"{name} line {reader.line_num} cannot be read as CSV ({exc}).") from None


def _records(name: str, raw: bytes) -> Iterator[HistoryRecord]:
    for line, row in _rows(name, raw):
        if not row["id"]:
            raise UploadRejected(f"{name} line {line} has no id; {FRESH_EXPORT}")
        when = _export_time(row["date"], name, line)
        if name == "posts.csv":
            yield _post(row, when)
        else:
            yield _comment(row, when)


def _export_time(value: str, name: str, line: int) -> datetime:
    """Export dates read ``2024-05-01 08:30:00 UTC``; ISO 8601 is accepted too."""
    try:
        return parse_iso_datetime(value.removesuffix(" UTC").removesuffix(" GMT"))
    except ValueError:
        raise UploadRejected(
            f"{name} line {line}: the date {value!r} cannot be read; {FRESH_EXPORT}"
        ) from None


def _post(row: dict[str, str], when: datetime) -> HistoryRecord:
    name = fullname("t3", row["id"])
    text = "\n\n".join(part for part in (row["title"], row["body"]) if part)
    linked = row["url"] and f"/comments/{name.removeprefix('t3_')}" not in row["url"]
    return HistoryRecord(
        platform_id=name,
        kind=HistoryKind.POST,
        text=text,
        created_at=when,
        community=row["subreddit"],
        media=(row["url"],) if linked else (),
    )


def _comment(row: dict[str, str], when: datetime) -> HistoryRecord:
    post = _POST_ID_IN_URL.search(row["link"] or row["permalink"])
    post_id = post.group(1) if post else ""
    parent = row["parent"]
    if not parent:
        target = f"t3_{post_id}" if post_id else ""
    elif parent == post_id:
        target = f"t3_{parent}"
    else:
        target = fullname("t1", parent)
    media = row.get("media", "")
    return HistoryRecord(
        platform_id=fullname("t1", row["id"]),
        kind=HistoryKind.REPLY,
        text=row["body"],
        created_at=when,
        target_id=target,
        community=row["subreddit"],
        media=(media,) if media else (),
    )


def _link_own_targets(bundle: AccountBundle) -> None:
    """Replies to the exporter's own posts or comments get that item's text and author."""
    own = {record.platform_id: record.text for record in bundle.history}
    for index, record in enumerate(bundle.history):
        if record.target_id in own:
            bundle.history[index] = replace(
                record, target_author=bundle.account.handle, target_text=own[record.target_id]
            )
