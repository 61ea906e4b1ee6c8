"""Bluesky (AT Protocol) through the public AppView."""

from scraping.sources.bluesky.client import (
    BLUESKY_PUBLIC_APPVIEW,
    iter_bluesky_batches,
    normalize_bluesky_actor,
)

__all__ = ["BLUESKY_PUBLIC_APPVIEW", "iter_bluesky_batches", "normalize_bluesky_actor"]
