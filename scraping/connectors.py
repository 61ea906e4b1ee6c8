"""The Django side of the connector table: check what a customer typed, open a network import, parse a file.

Optional settings (all have safe defaults; none is exposed to customers):

* ``IMPORT_HTTP``: ``HttpSettings`` fields applied to every network connector (timeouts,
  retries, ``max_rate_limit_wait_seconds``, ...).
* ``IMPORT_BASE_URLS``: ``{connector: base URL}`` to reach a self-hosted or test server instead of
  the public one. A job may also carry ``params["base_url"]`` set by the ``import_account``
  command (an operator tool); forms and the API never accept one, so customers cannot make the
  server fetch arbitrary URLs.
* ``IMPORT_CAPS``: ``ImportCaps`` fields (items per endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from django.conf import settings

from scraping.sources import (
    CONNECTORS,
    Batch,
    HttpSettings,
    ImportCaps,
    ProgressCallback,
    SourceError,
    UploadRejected,
)
from scraping.sources.bluesky import BLUESKY_PUBLIC_APPVIEW, iter_bluesky_batches, normalize_bluesky_actor
from scraping.sources.mastodon import iter_mastodon_batches, parse_mastodon_address
from scraping.sources.records import AccountBundle
from scraping.sources.reddit import normalize_reddit_username, parse_reddit_upload
from scraping.sources.tabular import TabularLimits, parse_tabular
from scraping.sources.x_api import X_API_BASE_URL, iter_x_api_batches, normalize_x_username
from scraping.sources.x_archive import ArchiveLimits, parse_x_archive
from simnet.tenancy.errors import ApplicationError

TABULAR_MAX_BYTES = 50 * 1024**2  # CSV/JSON(L) are read into memory whole; archives are read entry by entry


def normalized_account(connector: str, text: str) -> str:
    """The account address as the connector will query it; ``ApplicationError`` naming the field otherwise."""
    normalizers = {
        "x_api": normalize_x_username,
        "bluesky": normalize_bluesky_actor,
        "mastodon": lambda value: "@" + parse_mastodon_address(value).acct,
    }
    if not text.strip():
        message = "Type the account to import."
        raise ApplicationError(message, code="account_required", fields={"account": [message]})
    try:
        return normalizers[connector](text)
    except SourceError as exc:
        raise ApplicationError(str(exc), code="account_invalid", fields={"account": [str(exc)]}) from None


def file_account(connector: str, text: str) -> str:
    """The optional account a file import is for: a lone Reddit export CSV does not name its owner."""
    if connector != "reddit" or not text.strip():
        return ""
    try:
        return normalize_reddit_username(text)
    except UploadRejected as exc:
        raise ApplicationError(str(exc), code="account_invalid", fields={"account": [str(exc)]}) from None


def _http_settings(connector: str, account: str, base_url: str | None) -> HttpSettings:
    defaults = {
        "x_api": X_API_BASE_URL,
        "bluesky": BLUESKY_PUBLIC_APPVIEW,
        "mastodon": parse_mastodon_address(account).base_url if connector == "mastodon" else "",
    }
    configured = settings.IMPORT_BASE_URLS.get(connector)
    http = HttpSettings(base_url=base_url or configured or defaults[connector])
    return replace(http, **settings.IMPORT_HTTP)


def _caps() -> ImportCaps:
    return ImportCaps(**settings.IMPORT_CAPS)


def open_batches(
    *,
    connector: str,
    account: str,
    credential: str,
    checkpoint: dict | None,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[Batch]:
    """The batches of a network import, continuing after ``checkpoint`` when given."""
    common = {
        "checkpoint": checkpoint or None,
        "settings": _http_settings(connector, account, base_url),
        "caps": _caps(),
        "progress": progress,
    }
    if connector == "x_api":
        return iter_x_api_batches(account, bearer_token=credential, **common)
    if connector == "bluesky":
        return iter_bluesky_batches(account, **common)
    if connector == "mastodon":
        return iter_mastodon_batches(account, access_token=credential or None, **common)
    raise ValueError(f"{connector!r} is not a network connector")


def parse_file(
    *,
    connector: str,
    path: Path,
    filename: str,
    account: str = "",
    progress: ProgressCallback | None = None,
) -> list[AccountBundle]:
    """Every account of an uploaded file, all-or-nothing (``UploadRejected`` otherwise).

    ``account`` is the owner the customer typed for a file that does not name one (a Reddit CSV).
    """
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if connector == "x_archive":
        return [parse_x_archive(path, limits=ArchiveLimits(max_upload_bytes=limit), progress=progress)]
    if connector == "tabular":
        limits = TabularLimits(max_bytes=min(limit, TABULAR_MAX_BYTES))
        return parse_tabular(path, filename=filename, limits=limits, progress=progress)
    if connector == "reddit":
        return parse_reddit_upload(
            path,
            filename=filename,
            handle=account,
            archive_limits=ArchiveLimits(max_upload_bytes=limit),
            max_text_bytes=min(limit, TABULAR_MAX_BYTES),
            progress=progress,
        )
    raise ValueError(f"{connector!r} is not a file connector")


def is_network(connector: str) -> bool:
    return CONNECTORS[connector].input == "account"
