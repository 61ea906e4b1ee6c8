"""Small value coercions shared by parsers: dates to aware UTC, counts to ints, JSON shape checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


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
    """Counts arrive as ints (APIs) or numeric strings (the X archive)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""
