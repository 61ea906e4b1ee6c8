"""Parse a CSV or JSONL upload (see ``schema``) into one AccountBundle per handle, all-or-nothing.

Every row problem is collected before failing, so the customer fixes the whole file in one go
instead of discovering errors one upload at a time.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from scraping.sources.base import ProgressCallback, report
from scraping.sources.errors import RowErrors, UploadRejected
from scraping.sources.records import (
    MAX_ITEM_TEXT_CHARS,
    AccountBundle,
    AccountRecord,
    HistoryKind,
    HistoryRecord,
)
from scraping.sources.tabular.schema import (
    ALIASES,
    ALLOWED_COLUMNS,
    COUNT_COLUMNS,
    KINDS,
    MAX_SCORE,
    REQUIRED_COLUMNS,
)
from scraping.sources.textcodec import decode_utf8_text
from scraping.sources.uploads import UploadSource, read_upload
from scraping.sources.values import (
    MAX_COUNT,
    MAX_JSON_INT_DIGITS,
    NumberTooLong,
    json_loads,
    parse_iso_datetime,
)

_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
_SIGNED_WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]+$")
_PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class TabularLimits:
    max_bytes: int = 50 * 1024**2
    max_rows: int = 200_000
    max_listed_errors: int = 50


DEFAULT_TABULAR_LIMITS = TabularLimits()


@dataclass(frozen=True)
class _RawRow:
    line: int
    values: dict[str, str]
    problem: str = ""  # set when the row could not even be read into values


def parse_tabular(
    source: UploadSource,
    *,
    filename: str,
    limits: TabularLimits = DEFAULT_TABULAR_LIMITS,
    progress: ProgressCallback | None = None,
) -> list[AccountBundle]:
    """One bundle per handle, in order of first appearance. ``filename`` picks CSV or JSONL."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        hint = (
            " Excel files cannot be read: save the sheet as 'CSV UTF-8' first."
            if suffix in (".xls", ".xlsx")
            else ""
        )
        raise UploadRejected(f"Upload a .csv or .jsonl file; {PurePath(filename).name!r} is neither.{hint}")
    raw = read_upload(source, max_bytes=limits.max_bytes, what="file")
    text = decode_utf8_text(raw, label="The file")
    if not text.strip():
        raise UploadRejected("The file is empty. Download the template to see the expected columns.")
    rows = _csv_rows(text) if suffix == ".csv" else _jsonl_rows(text)
    builder = _BundleBuilder()
    for count, row in enumerate(rows, 1):
        if count > limits.max_rows:
            raise UploadRejected(
                f"The file has more than {limits.max_rows:,} rows; split it into smaller files."
            )
        builder.add(row)
        if count % _PROGRESS_EVERY == 0:
            report(progress, count, None, f"Checked {count:,} rows")
    if builder.errors:
        raise RowErrors(builder.errors, max_listed=limits.max_listed_errors)
    if not builder.accounts:
        raise UploadRejected("The file has a header but no rows to import.")
    report(progress, builder.rows, builder.rows, f"Checked {builder.rows:,} rows")
    return builder.bundles()


def _csv_rows(text: str) -> Iterator[_RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [_column_name(name.strip().lower()) for name in next(reader)]
    _check_header(header)
    row_start = reader.line_num + 1
    try:
        for cells in reader:
            line, row_start = row_start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problem = (
                    f"has {len(cells)} values but the header has {len(header)} columns "
                    "(text containing commas must be in double quotes)"
                )
                yield _RawRow(line, {}, problem)
                continue
            yield _RawRow(line, dict(zip(header, cells)))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # the csv module's own cap, far above ours
            problem = f"has a value over {csv.field_size_limit():,} characters; text may have at most {MAX_ITEM_TEXT_CHARS:,}"
            yield _RawRow(row_start, {}, problem)
        else:
            yield _RawRow(row_start, {}, f"cannot be read as CSV ({exc}); check its quotes")


def _column_name(name: str) -> str:
    """The column a header name or JSON key stands for (aliases such as parent_id become target_id)."""
    return ALIASES.get(name, name)


def _allowed_names() -> str:
    return ", ".join(ALLOWED_COLUMNS) + " (or " + ", ".join(ALIASES) + ")"


def _check_header(header: list[str]) -> None:
    problems = []
    unnamed = [str(position) for position, name in enumerate(header, 1) if not name]
    if unnamed:
        problems.append(f"Header column(s) {', '.join(unnamed)} have no name; delete empty columns.")
    unknown = [name for name in header if name and name not in ALLOWED_COLUMNS]
    if unknown:
        problems.append(
            f"Unknown column(s): {', '.join(repr(name) for name in unknown)}. "
            f"Allowed columns: {_allowed_names()}."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(f"Missing required column(s): {', '.join(missing)}.")
    repeated = sorted(name for name, count in Counter(header).items() if name and count > 1)
    if repeated:
        problems.append(
            f"Column(s) {', '.join(repeated)} appear more than once in the header "
            "(a parent_ name counts as its target_ column)."
        )
    if problems:
        raise UploadRejected(" ".join(problems))


def _jsonl_rows(text: str) -> Iterator[_RawRow]:
    # split("\n"), not splitlines(): JSON strings may legally hold U+2028 and other line separators.
    for line, content in enumerate(text.split("\n"), 1):
        if not content.strip():
            continue
        try:
            item = json_loads(content)
        except NumberTooLong as exc:
            yield _RawRow(
                line, {}, f"has a number with {exc.digits:,} digits (at most {MAX_JSON_INT_DIGITS} allowed)"
            )
            continue
        except (ValueError, RecursionError) as exc:
            yield _RawRow(line, {}, f"is not valid JSON ({exc})")
            continue
        if not isinstance(item, dict):
            yield _RawRow(line, {}, 'must be a JSON object such as {"handle": ..., "kind": ...}')
            continue
        yield _json_row(line, item)


def _json_row(line: int, item: dict[str, Any]) -> _RawRow:
    unknown = [key for key in item if _column_name(key) not in ALLOWED_COLUMNS]
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        return _RawRow(line, {}, f"has unknown field(s) {names}; allowed: {_allowed_names()}")
    both = sorted(key for key in item if key in ALIASES and ALIASES[key] in item)
    if both:
        pairs = ", ".join(f"{key!r} and {ALIASES[key]!r}" for key in both)
        return _RawRow(line, {}, f"has both {pairs}; they are the same field, keep one")
    values: dict[str, str] = {}
    for name, value in item.items():
        key = _column_name(name)
        if value is None:
            values[key] = ""
        elif isinstance(value, str):
            values[key] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            values[key] = str(value)
        elif isinstance(value, float) and value.is_integer():
            values[key] = str(int(value))
        else:
            return _RawRow(line, {}, f"field {name!r} must be text or a whole number")
    return _RawRow(line, values)


class _BundleBuilder:
    def __init__(self) -> None:
        self.accounts: dict[str, AccountBundle] = {}
        self.errors: list[str] = []
        self.rows = 0
        self._items: dict[tuple[str, HistoryKind, str], tuple[int, HistoryRecord]] = {}
        self._repeats: Counter[str] = Counter()

    def add(self, row: _RawRow) -> None:
        self.rows += 1
        if row.problem:
            self.errors.append(f"line {row.line} {row.problem}.")
            return
        checked = _validate(row)
        if isinstance(checked, list):
            self.errors.extend(f"line {row.line}: {problem}." for problem in checked)
            return
        handle, record = checked
        key = (handle.casefold(), record.kind, record.platform_id)
        if key in self._items:
            first_line, first = self._items[key]
            if first == record:
                self._repeats[key[0]] += 1
            else:
                differing = [
                    f.name
                    for f in dataclasses.fields(record)
                    if getattr(first, f.name) != getattr(record, f.name)
                ]
                self.errors.append(
                    f"line {row.line}: item_id {record.platform_id!r} ({record.kind} by @{handle}) was already "
                    f"used on line {first_line} with a different {', '.join(differing)}."
                )
            return
        self._items[key] = (row.line, record)
        bundle = self.accounts.setdefault(key[0], AccountBundle(account=AccountRecord("csv", handle, handle)))
        bundle.history.append(record)
        bundle.account = dataclasses.replace(
            bundle.account,
            display_name=bundle.account.display_name or row.values.get("display_name", "").strip(),
            bio=bundle.account.bio or row.values.get("bio", "").strip(),
        )

    def bundles(self) -> list[AccountBundle]:
        for key, bundle in self.accounts.items():
            if self._repeats[key]:
                rows = "row" if self._repeats[key] == 1 else "rows"
                bundle.notes.append(
                    f"Skipped {self._repeats[key]} {rows} that repeat an earlier row exactly."
                )
        return list(self.accounts.values())


def _validate(row: _RawRow) -> tuple[str, HistoryRecord] | list[str]:
    """(handle, record), or the row's problems."""
    values = {name: value.strip() for name, value in row.values.items()}
    problems = []
    handle = values.get("handle", "").removeprefix("@")
    if not handle:
        problems.append("handle is missing")
    elif any(character.isspace() for character in handle):
        problems.append(f"handle {handle!r} contains spaces")
    kind = values.get("kind", "").lower()
    if kind not in KINDS:
        problems.append(f"kind {values.get('kind', '')!r} is not one of {', '.join(KINDS)}")
    if not values.get("item_id"):
        problems.append("item_id is missing")
    created_at = None
    if values.get("created_at"):
        try:
            created_at = parse_iso_datetime(values["created_at"])
        except ValueError:
            problems.append(
                f"created_at {values['created_at']!r} is not an ISO 8601 date such as 2024-05-01T08:15:00Z"
            )
    counts: dict[str, int | None] = {}
    for column in COUNT_COLUMNS:
        text = values.get(column, "")
        counts[column] = _count(text)
        if text and counts[column] is None:
            problems.append(f"{column} must be a whole number from 0 to {MAX_COUNT:,}, not {_shown(text)}")
    score = _score(values.get("score", ""))
    if values.get("score") and score is None:
        problems.append(
            f"score must be a whole number from -{MAX_SCORE:,} to {MAX_SCORE:,}, not {_shown(values['score'])}"
        )
    texts = {name: row.values.get(name, "").strip() for name in ("text", "target_text")}
    for name, text in texts.items():
        if len(text) > MAX_ITEM_TEXT_CHARS:
            problems.append(
                f"{name} is {len(text):,} characters long; the limit is {MAX_ITEM_TEXT_CHARS:,} per item"
            )
    if problems:
        return problems
    record = HistoryRecord(
        platform_id=values["item_id"],
        kind=HistoryKind(kind),
        text=texts["text"],
        created_at=created_at,
        language=values.get("language", ""),
        target_id=values.get("target_id", ""),
        target_author=values.get("target_author", "").removeprefix("@"),
        target_text=texts["target_text"],
        community=values.get("community", ""),
        score=score,
        **counts,
    )
    return handle, record


def _count(text: str) -> int | None:
    """A count column's value, or None when empty or not a whole number from 0 to ``MAX_COUNT``."""
    if not _WHOLE_NUMBER.match(text) or len(text) > len(str(MAX_COUNT)):
        return None  # checked by length first: int() refuses numbers of more than 4,300 digits
    value = int(text)
    return value if value <= MAX_COUNT else None


def _score(text: str) -> int | None:
    """The score column's value, or None when empty or not a whole number within ``MAX_SCORE`` either way."""
    if not _SIGNED_WHOLE_NUMBER.match(text) or len(text.lstrip("+-")) > len(str(MAX_SCORE)):
        return None
    value = int(text)
    return value if abs(value) <= MAX_SCORE else None


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted for an error message, shortened when long."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text):,} characters)"
