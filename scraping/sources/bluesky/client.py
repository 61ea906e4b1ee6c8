"""Bluesky through the public AppView's XRPC endpoints, over plain httpx.

We do not use the ``atproto`` SDK: it is a large dependency (models for the whole lexicon) for
four read-only GET endpoints whose JSON we parse ourselves anyway, and going through our own
:class:`JsonApi` keeps timeouts, retries, rate limits (``ratelimit-remaining`` /
``ratelimit-reset``, epoch seconds) and resumable checkpoints identical to the other sources.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

from scraping.sources.base import DEFAULT_CAPS, Batch, ImportCaps, ProgressCallback
from scraping.sources.bluesky import parse
from scraping.sources.errors import AccountNotFound, Checkpoint, RequestRejected, SourceError
from scraping.sources.http import Clock, HttpSettings, JsonApi, Sleep, epoch_rate_limit_reader, utc_now
from scraping.sources.paging import AccountLookup, Page, Stage, StageSkipped, history_stages, run_client
from scraping.sources.records import AccountRecord

SOURCE = "bluesky"
BLUESKY_PUBLIC_APPVIEW = "https://public.api.bsky.app"
_HANDLE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DID = re.compile(r"^did:(?:plc|web):[A-Za-z0-9._:%-]+$")
_PROFILE_URL = re.compile(r"^https?://bsky\.app/profile/(?P<actor>[^/?#]+)")


def normalize_bluesky_actor(text: str) -> str:
    """``@alice.bsky.social``, a bsky.app profile link or a DID to the actor we query."""
    candidate = text.strip()
    if match := _PROFILE_URL.match(candidate):
        candidate = match["actor"]
    candidate = candidate.removeprefix("@")
    if _DID.match(candidate):
        return candidate
    candidate = candidate.lower()
    if len(candidate) > 253 or not _HANDLE.match(candidate):
        raise AccountNotFound(
            f"{text.strip()!r} is not a Bluesky handle; handles look like alice.bsky.social or example.com."
        )
    return candidate


def iter_bluesky_batches(
    actor: str,
    *,
    checkpoint: Checkpoint | None = None,
    settings: HttpSettings | None = None,
    caps: ImportCaps = DEFAULT_CAPS,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
) -> Iterator[Batch]:
    """The account, then one batch per page of posts, likes (when public) and following."""
    handle = normalize_bluesky_actor(actor)
    make_api = partial(
        JsonApi,
        source_name="Bluesky",
        settings=settings or HttpSettings(base_url=BLUESKY_PUBLIC_APPVIEW),
        read_rate_limit=epoch_rate_limit_reader("ratelimit-remaining", "ratelimit-reset"),
        sleep=sleep,
        clock=clock,
    )
    return run_client(
        source=SOURCE,
        open_api=make_api,
        make_client=lambda api: _Bluesky(api, handle),
        checkpoint=checkpoint,
        caps=caps,
        progress=progress,
    )


class _Bluesky:
    def __init__(self, api: JsonApi, handle: str) -> None:
        self.api = api
        self.handle = handle

    def stages(self, caps: ImportCaps) -> list[Stage]:
        return history_stages(self.posts, self.following, caps, likes=self.likes)

    def lookup(self) -> AccountLookup:
        try:
            reply = self.api.get("/xrpc/app.bsky.actor.getProfile", {"actor": self.handle})
        except RequestRejected as exc:
            raise AccountNotFound(
                f"Bluesky has no public profile for {self.handle} (Bluesky said: {exc.detail}). Check the handle."
            ) from None
        return parse.account_lookup(reply.data)

    def posts(self, account: AccountRecord, cursor: str | None) -> Page:
        params = {"actor": account.platform_id, "filter": "posts_with_replies", "limit": "100"}
        return parse.author_feed_page(self._get("app.bsky.feed.getAuthorFeed", params, cursor), account)

    def likes(self, account: AccountRecord, cursor: str | None) -> Page:
        try:
            data = self.api.get(
                "/xrpc/app.bsky.feed.getActorLikes",
                _paged({"actor": account.platform_id, "limit": "100"}, cursor),
            )
        except RequestRejected as exc:
            raise StageSkipped(
                f"Likes were skipped: Bluesky shows an account's likes only to that account when signed in "
                f"(Bluesky said: {exc.detail})."
            ) from None
        return parse.likes_page(data.data)

    def following(self, account: AccountRecord, cursor: str | None) -> Page:
        params = {"actor": account.platform_id, "limit": "100"}
        return parse.follows_page(self._get("app.bsky.graph.getFollows", params, cursor))

    def _get(self, method: str, params: dict[str, str], cursor: str | None) -> Any:
        try:
            return self.api.get(f"/xrpc/{method}", _paged(params, cursor)).data
        except RequestRejected as exc:
            raise SourceError(
                f"Bluesky refused {method} for {self.handle} (Bluesky said: {exc.detail})."
            ) from None


def _paged(params: dict[str, str], cursor: str | None) -> dict[str, str]:
    return {**params, "cursor": cursor} if cursor else params
