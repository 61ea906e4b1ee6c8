"""Mastodon (and API-compatible servers) through the account's home server."""

from scraping.sources.mastodon.client import MastodonAddress, iter_mastodon_batches, parse_mastodon_address

__all__ = ["MastodonAddress", "iter_mastodon_batches", "parse_mastodon_address"]
