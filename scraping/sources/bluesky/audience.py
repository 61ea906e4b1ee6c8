"""Bluesky audiences: an account's followers, or the authors of posts matching a search or a hashtag.

``app.bsky.graph.getFollowers`` answers ``{"subject", "followers": [ProfileView], "cursor"?}``;
``app.bsky.feed.searchPosts`` answers ``{"posts": [PostView], "cursor"?, "hitsTotal"?}`` and
takes ``#tag`` in ``q``. Both take ``limit`` up to 100. Profiles carry moderation ``labels``
(``!takedown``, ``!suspend``, ``!no-unauthenticated`` for people who asked not to be shown to
logged-out viewers, the self-label ``bot``) and ``associated.labeler`` for labeling services.
The public AppView refuses later search pages to anonymous callers, so a refused next page ends
the listing with a note instead of failing it.
"""

from __future__ import annotations

import time
from typing import Any

from scraping.sources.audience import (
    AudienceKind,
    Candidate,
    CandidateListing,
    CandidatePage,
    SkipReason,
    collect_candidates,
)
from scraping.sources.base import ProgressCallback
from scraping.sources.bluesky.client import BLUESKY_PUBLIC_APPVIEW, normalize_bluesky_actor
from scraping.sources.errors import RequestRejected, SourceError
from scraping.sources.http import Clock, HttpSettings, JsonApi, Sleep, epoch_rate_limit_reader, utc_now
from scraping.sources.values import as_dict, as_list, as_str

_HIDDEN = {"!no-unauthenticated"}
_REMOVED = {"!takedown", "!suspend"}
_INVALID_HANDLE = "handle.invalid"


def list_bluesky_audience(
    kind: AudienceKind,
    query: str,
    *,
    limit: int,
    settings: HttpSettings | None = None,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
) -> CandidateListing:
    """The accounts behind ``query``: a handle (followers), a hashtag or a search query."""
    with JsonApi(
        source_name="Bluesky",
        settings=settings or HttpSettings(base_url=BLUESKY_PUBLIC_APPVIEW),
        read_rate_limit=epoch_rate_limit_reader("ratelimit-remaining", "ratelimit-reset"),
        sleep=sleep,
        clock=clock,
    ) as api:
        if kind == AudienceKind.FOLLOWERS:
            fetch = _followers(api, normalize_bluesky_actor(query))
        else:
            fetch = _search_authors(api, f"#{query}" if kind == AudienceKind.HASHTAG else query)
        return collect_candidates(fetch, limit=limit, progress=progress)


def _followers(api: JsonApi, actor: str):
    def fetch(cursor: str | None) -> CandidatePage:
        params = {"actor": actor, "limit": "100", **({"cursor": cursor} if cursor else {})}
        try:
            data = api.get("/xrpc/app.bsky.graph.getFollowers", params).data
        except RequestRejected as exc:
            raise SourceError(
                f"Bluesky refused to list the followers of {actor} (Bluesky said: {exc.detail})."
            ) from None
        profiles = [p for p in as_list(as_dict(data).get("followers")) if isinstance(p, dict)]
        return CandidatePage([_candidate(p) for p in profiles if p.get("did")], _cursor(data))

    return fetch


def _search_authors(api: JsonApi, query: str):
    def fetch(cursor: str | None) -> CandidatePage:
        params = {"q": query, "limit": "100", **({"cursor": cursor} if cursor else {})}
        try:
            data = api.get("/xrpc/app.bsky.feed.searchPosts", params).data
        except RequestRejected as exc:
            if cursor is None:
                raise SourceError(
                    f"Bluesky refused to search posts for {query!r} (Bluesky said: {exc.detail})."
                ) from None
            note = f"Bluesky stopped the search after its first pages (it said: {exc.detail}); the sample is drawn from those."
            return CandidatePage(notes=[note])
        posts = [p for p in as_list(as_dict(data).get("posts")) if isinstance(p, dict)]
        authors = [as_dict(p.get("author")) for p in posts]
        return CandidatePage([_candidate(a) for a in authors if a.get("did")], _cursor(data))

    return fetch


def _candidate(profile: dict[str, Any]) -> Candidate:
    did = as_str(profile.get("did"))
    handle = as_str(profile.get("handle"))
    labels = {as_str(as_dict(label).get("val")) for label in as_list(profile.get("labels"))}
    skip = None
    if labels & _REMOVED or handle == _INVALID_HANDLE:
        skip = SkipReason.SUSPENDED
    elif labels & _HIDDEN:
        skip = SkipReason.PROTECTED
    elif "bot" in labels or as_dict(profile.get("associated")).get("labeler") is True:
        skip = SkipReason.BOT
    return Candidate(platform_id=did, address=did, handle=handle or did, skip=skip)


def _cursor(payload: Any) -> str | None:
    return as_str(as_dict(payload).get("cursor")) or None
