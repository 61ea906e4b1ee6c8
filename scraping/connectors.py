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

import re
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
from scraping.sources.audience import AudienceKind, CandidateListing
from scraping.sources.bluesky import BLUESKY_PUBLIC_APPVIEW, iter_bluesky_batches, normalize_bluesky_actor
from scraping.sources.bluesky.audience import list_bluesky_audience
from scraping.sources.mastodon import iter_mastodon_batches, parse_mastodon_address
from scraping.sources.mastodon.audience import list_mastodon_audience
from scraping.sources.records import AccountBundle
from scraping.sources.reddit import normalize_reddit_username, parse_reddit_upload
from scraping.sources.tabular import TabularLimits, parse_tabular
from scraping.sources.x_api import X_API_BASE_URL, iter_x_api_batches, normalize_x_username
from scraping.sources.x_api.audience import list_x_api_audience
from scraping.sources.x_archive import ArchiveLimits, parse_x_archive
from simnet.tenancy.errors import ApplicationError

TABULAR_MAX_BYTES = 50 * 1024**2  # CSV/JSON(L) are read into memory whole; archives are read entry by entry
AUDIENCE_CAPS = ImportCaps(max_posts=200, max_likes=200, max_following=1000)  # recent history per member
_HASHTAG = re.compile(r"^\w{1,100}$")


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


def _caps(*, audience: bool = False) -> ImportCaps:
    caps = ImportCaps(**settings.IMPORT_CAPS)
    if not audience:
        return caps
    return ImportCaps(
        max_posts=min(caps.max_posts, AUDIENCE_CAPS.max_posts),
        max_likes=min(caps.max_likes, AUDIENCE_CAPS.max_likes),
        max_following=min(caps.max_following, AUDIENCE_CAPS.max_following),
    )


def open_batches(
    *,
    connector: str,
    account: str,
    credential: str,
    checkpoint: dict | None,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
    audience_member: bool = False,
) -> Iterator[Batch]:
    """The batches of a network import, continuing after ``checkpoint`` when given.

    ``audience_member``: one account of an audience, so only its recent history (``AUDIENCE_CAPS``).
    """
    common = {
        "checkpoint": checkpoint or None,
        "settings": _http_settings(connector, account, base_url),
        "caps": _caps(audience=audience_member),
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


def _audience_error(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="audience_invalid", fields={field: [message]})


def normalized_audience(connector: str, kind: str, query: str, server: str = "") -> dict:
    """What an audience lists, as its connector will query it: ``{"kind", "query", "server"}``."""
    if connector not in ("x_api", "bluesky", "mastodon"):
        raise _audience_error("connector", "Audiences come from the X API, Bluesky or Mastodon.")
    if kind not in {member.value for member in AudienceKind}:
        raise _audience_error("kind", "Choose followers of an account, a hashtag or a search.")
    text = query.strip()
    if kind == AudienceKind.FOLLOWERS:
        address = normalized_account(connector, text)
        domain = parse_mastodon_address(address).domain if connector == "mastodon" else ""
        return {"kind": kind, "query": address, "server": domain}
    if kind == AudienceKind.HASHTAG:
        text = text.removeprefix("#")
        if not _HASHTAG.match(text):
            raise _audience_error("query", "Type one hashtag: letters, digits and _, such as #climate.")
    elif not 1 <= len(text) <= 400:
        raise _audience_error("query", "Type a search query of up to 400 characters.")
    if connector != "mastodon":
        return {"kind": kind, "query": text, "server": ""}
    try:
        domain = parse_mastodon_address(
            f"@someone@{server.strip().removeprefix('https://').rstrip('/')}"
        ).domain
    except SourceError:
        raise _audience_error("server", "Type the Mastodon server to ask, such as mastodon.social.") from None
    return {"kind": kind, "query": text, "server": domain}


def list_audience(
    *,
    connector: str,
    audience: dict,
    credential: str,
    limit: int,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
) -> CandidateListing:
    """Every candidate account of an audience (``normalized_audience``), up to ``limit``."""
    kind, query, server = AudienceKind(audience["kind"]), audience["query"], audience["server"]
    address = query if kind == AudienceKind.FOLLOWERS else f"@someone@{server}"
    http = _http_settings(connector, address, base_url)
    common = {"limit": limit, "settings": http, "progress": progress}
    if connector == "x_api":
        return list_x_api_audience(kind, query, bearer_token=credential, **common)
    if connector == "bluesky":
        return list_bluesky_audience(kind, query, **common)
    if connector == "mastodon":
        return list_mastodon_audience(kind, query, server=server, access_token=credential or None, **common)
    raise ValueError(f"{connector!r} has no audiences")
