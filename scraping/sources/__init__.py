"""Connectors that turn outside data into neutral records (``scraping.sources.records``); no Django here.

File connectors (``x_archive``, ``tabular``, ``reddit``) parse an upload in one call and return bundles,
all-or-nothing. Network connectors (``x_api``, ``bluesky``, ``mastodon``) yield :class:`Batch`
objects, each with the checkpoint to store alongside it, so an interrupted import resumes.
``CONNECTORS`` lists them for the import page.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from scraping.sources.base import Batch, ImportCaps, ProgressCallback, collect_batches
from scraping.sources.errors import (
    AccountNotFound,
    AuthFailed,
    BadResponse,
    RateLimited,
    RequestRejected,
    RowErrors,
    SourceError,
    SourceUnavailable,
    UploadRejected,
)
from scraping.sources.http import HttpSettings


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    label: str
    input: Literal["file", "account"]  # an upload, or an account address typed by the customer
    input_help: str
    file_types: tuple[str, ...] = ()
    credential: Literal["none", "optional", "required"] = "none"
    credential_help: str = ""
    resumable: bool = False  # yields batches with checkpoints
    accounts: Literal["one", "many"] = "one"


CONNECTORS = MappingProxyType(
    {
        info.name: info
        for info in (
            ConnectorInfo(
                name="x_archive",
                label="X (Twitter) data archive",
                input="file",
                input_help="The .zip from X settings > Your account > Download an archive of your data.",
                file_types=(".zip",),
            ),
            ConnectorInfo(
                name="x_api",
                label="X (Twitter) API",
                input="account",
                input_help="An X username such as @jack.",
                credential="required",
                credential_help="The Bearer Token of your app in the X developer portal.",
                resumable=True,
            ),
            ConnectorInfo(
                name="bluesky",
                label="Bluesky",
                input="account",
                input_help="A Bluesky handle such as alice.bsky.social. Likes are private on Bluesky.",
                resumable=True,
            ),
            ConnectorInfo(
                name="mastodon",
                label="Mastodon",
                input="account",
                input_help="A Mastodon address such as @alice@mastodon.social.",
                credential="optional",
                credential_help="An access token with read scope, needed only for servers that hide profiles.",
                resumable=True,
            ),
            ConnectorInfo(
                name="tabular",
                label="CSV or JSONL file",
                input="file",
                input_help="One row per post, reply, quote, repost or like; see the template.",
                file_types=(".csv", ".jsonl", ".ndjson"),
                accounts="many",
            ),
            ConnectorInfo(
                name="reddit",
                label="Reddit export or API JSON",
                input="file",
                input_help=(
                    "Your Reddit data export (.zip, or its posts.csv / comments.csv with your username typed "
                    "below), or JSON saved from Reddit's API: a listing, or a thread (/comments/<id>.json) "
                    "whose participants all become personas."
                ),
                file_types=(".zip", ".csv", ".json"),
                accounts="many",
            ),
        )
    }
)

__all__ = [
    "CONNECTORS",
    "AccountNotFound",
    "AuthFailed",
    "BadResponse",
    "Batch",
    "ConnectorInfo",
    "HttpSettings",
    "ImportCaps",
    "ProgressCallback",
    "RateLimited",
    "RequestRejected",
    "RowErrors",
    "SourceError",
    "SourceUnavailable",
    "UploadRejected",
    "collect_batches",
]
