"""X (Twitter) data archive: the zip a customer downloads from their account settings."""

from scraping.sources.x_archive.archive import parse_x_archive
from scraping.sources.x_archive.safezip import ArchiveLimits

__all__ = ["ArchiveLimits", "parse_x_archive"]
