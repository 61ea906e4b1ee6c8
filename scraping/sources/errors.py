"""Typed connector failures, all :class:`ImportFailed` so the importer shows one kind of message.

Network failures carry the checkpoint of the last completed page, so a job that hits a rate
limit or an outage is rescheduled and continues instead of starting over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scraping.sources.records import ImportFailed

Checkpoint = dict[str, Any]


class SourceError(ImportFailed):
    """A connector failure; ``checkpoint`` (when set) is where a later attempt can resume."""

    def __init__(self, message: str, *, checkpoint: Checkpoint | None = None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint


class RateLimited(SourceError):
    """The source asked us to wait longer than we are allowed to sleep; reschedule at ``reset_at``."""

    def __init__(self, reset_at: datetime, *, source: str, checkpoint: Checkpoint | None = None) -> None:
        super().__init__(
            f"{source} rate limit reached. The import pauses and continues after "
            f"{reset_at:%Y-%m-%d %H:%M} UTC; nothing already fetched is lost.",
            checkpoint=checkpoint,
        )
        self.reset_at = reset_at


class AuthFailed(SourceError):
    """The credential the customer gave was rejected."""


class SourceUnavailable(SourceError):
    """The source kept failing (5xx, network) after bounded retries."""


class BadResponse(SourceUnavailable):
    """The source answered with a truncated, non-JSON or unexpectedly shaped body."""


class RequestRejected(SourceError):
    """A 4xx answer other than 401/429; connectors turn the ones they expect into better messages."""

    def __init__(self, message: str, *, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class AccountNotFound(SourceError):
    """The handle does not name an account the source can show."""


class UploadRejected(ImportFailed):
    """An uploaded file that is unsafe, damaged or not in the expected format."""


class RowErrors(UploadRejected):
    """Every problem found in a tabular upload, so the customer can fix them all at once."""

    def __init__(self, errors: list[str], *, max_listed: int) -> None:
        listed = errors[:max_listed]
        lines = [f"- {error}" for error in listed]
        if len(errors) > max_listed:
            lines.append(f"- and {len(errors) - max_listed} more")
        problems = "problem" if len(errors) == 1 else "problems"
        super().__init__(
            f"The file has {len(errors)} {problems}; nothing was imported. "
            "Fix them and upload the file again:\n" + "\n".join(lines)
        )
        self.errors = errors
