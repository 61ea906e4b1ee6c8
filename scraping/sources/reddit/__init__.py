"""Reddit: the official data export (CSV in a ZIP) and API JSON listings, as neutral records.

Uploads only: reading Reddit's API needs an OAuth app this product does not hold, so customers
upload their export, or JSON they saved from the API (a user's listing or a whole thread).
"""

from __future__ import annotations

from pathlib import PurePath

from scraping.sources.base import ProgressCallback
from scraping.sources.errors import UploadRejected
from scraping.sources.records import AccountBundle
from scraping.sources.reddit.export import normalize_reddit_username, parse_reddit_export
from scraping.sources.reddit.listing import parse_reddit_listing
from scraping.sources.uploads import UploadSource
from scraping.sources.x_archive.safezip import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits

FILE_TYPES = (".zip", ".csv", ".json")


def parse_reddit_upload(
    source: UploadSource,
    *,
    filename: str,
    handle: str = "",
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    max_text_bytes: int = 50 * 1024**2,
    progress: ProgressCallback | None = None,
) -> list[AccountBundle]:
    """Every account of a Reddit upload: the exporter of a ZIP/CSV export, or each author in API JSON.

    ``handle`` names the exporter of a lone CSV (the export's statistics.csv names it otherwise);
    JSON carries its authors and ignores it.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".json":
        return parse_reddit_listing(source, max_bytes=max_text_bytes, progress=progress)
    if suffix in (".zip", ".csv"):
        export = parse_reddit_export(
            source,
            filename=filename,
            handle=handle,
            limits=archive_limits,
            max_csv_bytes=max_text_bytes,
            progress=progress,
        )
        return [export]
    raise UploadRejected(
        f"Reddit imports take {', '.join(FILE_TYPES)} files; {PurePath(filename).name!r} is not one."
    )


__all__ = [
    "FILE_TYPES",
    "normalize_reddit_username",
    "parse_reddit_export",
    "parse_reddit_listing",
    "parse_reddit_upload",
]
