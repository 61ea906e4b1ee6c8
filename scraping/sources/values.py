"""Small value coercions shared by parsers: dates to aware UTC, counts to ints, JSON shape checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

# Counts are stored in PositiveIntegerField columns, whose upper bound this is on every database.
MAX_COUNT = 2_147_483_647
# No field of any source needs longer integers; Python itself refuses to read more than 4,300
# digits ("Exceeds the limit (4300 digits)"), which would otherwise end an import as an internal error.
MAX_JSON_INT_DIGITS = 100


class NumberTooLong(ValueError):
    """A JSON integer longer than ``MAX_JSON_INT_DIGITS``; ``digits`` says how long, for the message."""

    def __init__(self, digits: int) -> None:
        super().__init__(
            f"a number has {digits:,} digits; numbers may have at most {MAX_JSON_INT_DIGITS} digits"
        )
        self.digits = digits


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_JSON_INT_DIGITS:
        raise NumberTooLong(digits)
    return int(text)


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses absurdly long integers with ``NumberTooLong`` (a ValueError)."""
    return json.loads(text, parse_int=_bounded_int)


def json_decoder() -> json.JSONDecoder:
    """A decoder (for ``raw_decode``) with the same integer rule as ``json_loads``."""
    return json.JSONDecoder(parse_int=_bounded_int)


def parse_iso_datetime(value: str) -> datetime:
    """ISO 8601 text to an aware UTC datetime; a value without an offset is taken as UTC.

    Raises ValueError so callers can name the field and the line in their own message.
    """
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def optional_iso_datetime(value: Any) -> datetime | None:
    """For API fields: a missing or unreadable timestamp is dropped rather than failing the import."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso_datetime(value)
    except ValueError:
        return None


def optional_count(value: Any) -> int | None:
    """Counts arrive as ints (APIs) or numeric strings (the X archive); anything outside 0..MAX_COUNT is dropped."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_COUNT)):
        value = int(value)
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""
