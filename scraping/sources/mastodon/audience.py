"""Mastodon audiences, asked of one server: an account's followers, a hashtag's posters, an account search.

``GET /api/v1/accounts/:id/followers`` (``limit`` up to 80) and ``GET /api/v1/timelines/tag/:hashtag``
(``limit`` up to 40, the authors of its statuses) page with ``Link: <...max_id=...>; rel="next"``;
``GET /api/v2/search?type=accounts`` pages with ``offset``, which servers only accept from signed-in
callers, so without an access token the search lists its first page only. Accounts carry
``locked`` (followers approved by hand), ``bot``, ``suspended``, ``limited`` and ``moved``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from scraping.sources.audience import (
    AudienceKind,
    Candidate,
    CandidateListing,
    CandidatePage,
    SkipReason,
    collect_candidates,
)
from scraping.sources.base import ProgressCallback
from scraping.sources.errors import AccountNotFound, RequestRejected, SourceError
from scraping.sources.http import Clock, HttpSettings, JsonApi, Sleep, iso_rate_limit_reader, utc_now
from scraping.sources.mastodon.client import next_max_id, parse_mastodon_address
from scraping.sources.mastodon.parse import account_id, full_acct
from scraping.sources.values import as_dict, as_list

SEARCH_PAGE = 40


def list_mastodon_audience(
    kind: AudienceKind,
    query: str,
    *,
    server: str,
    limit: int,
    access_token: str | None = None,
    settings: HttpSettings | None = None,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
) -> CandidateListing:
    """The accounts behind ``query`` on ``server`` (for followers: the account's own server)."""
    token = (access_token or "").strip()
    with JsonApi(
        source_name=f"Mastodon server {server}",
        settings=settings or HttpSettings(base_url=f"https://{server}"),
        read_rate_limit=iso_rate_limit_reader("x-ratelimit-remaining", "x-ratelimit-reset"),
        headers={"Authorization": f"Bearer {token}"} if token else None,
        auth_failed_message=f"{server} rejected the access token (401). Create a new one and paste it again."
        if token
        else None,
        sleep=sleep,
        clock=clock,
    ) as api:
        if kind == AudienceKind.FOLLOWERS:
            fetch = _followers(api, query, server)
        elif kind == AudienceKind.HASHTAG:
            fetch = _tag_authors(api, query, server)
        else:
            fetch = _search(api, query, server, signed_in=bool(token))
        return collect_candidates(fetch, limit=limit, progress=progress)


def _followers(api: JsonApi, address: str, server: str):
    username = parse_mastodon_address(address).username
    try:
        local_id = account_id(api.get("/api/v1/accounts/lookup", {"acct": username}).data)
    except RequestRejected as exc:
        raise AccountNotFound(f"{server} has no account @{username}@{server} ({exc.detail}).") from None

    def fetch(cursor: str | None) -> CandidatePage:
        params = {"limit": "80", **({"max_id": cursor} if cursor else {})}
        reply = _get(api, f"/api/v1/accounts/{local_id}/followers", params, f"the followers of @{username}")
        accounts = _objects(reply.data)
        return CandidatePage([_candidate(a, server) for a in accounts], next_max_id(reply.headers))

    return fetch


def _tag_authors(api: JsonApi, hashtag: str, server: str):
    def fetch(cursor: str | None) -> CandidatePage:
        params = {"limit": "40", **({"max_id": cursor} if cursor else {})}
        path = f"/api/v1/timelines/tag/{quote(hashtag, safe='')}"
        reply = _get(api, path, params, f"the posts tagged #{hashtag}")
        authors = [as_dict(status.get("account")) for status in _objects(reply.data)]
        return CandidatePage([_candidate(a, server) for a in authors if a], next_max_id(reply.headers))

    return fetch


def _search(api: JsonApi, query: str, server: str, *, signed_in: bool):
    def fetch(cursor: str | None) -> CandidatePage:
        params = {
            "q": query,
            "type": "accounts",
            "limit": str(SEARCH_PAGE),
            **({"offset": cursor} if cursor else {}),
        }
        reply = _get(api, "/api/v2/search", params, f"an account search for {query!r}")
        accounts = [a for a in as_list(as_dict(reply.data).get("accounts")) if isinstance(a, dict)]
        offset = int(cursor or 0) + len(accounts)
        more = len(accounts) == SEARCH_PAGE
        notes = []
        if more and not signed_in:
            notes.append(
                f"{server} shows only the first {SEARCH_PAGE} search results without an access token."
            )
        next_cursor = str(offset) if more and signed_in else None
        return CandidatePage([_candidate(a, server) for a in accounts], next_cursor, notes)

    return fetch


def _candidate(account: dict[str, Any], server: str) -> Candidate:
    acct = full_acct(account, server)
    skip = None
    if account.get("suspended") is True or account.get("limited") is True or account.get("moved"):
        skip = SkipReason.SUSPENDED
    elif account.get("locked") is True:
        skip = SkipReason.PROTECTED
    elif account.get("bot") is True:
        skip = SkipReason.BOT
    else:
        try:
            parse_mastodon_address(acct)
        except AccountNotFound:
            skip = SkipReason.UNREACHABLE
    return Candidate(platform_id=acct.casefold(), address=f"@{acct}", handle=acct, skip=skip)


def _objects(payload: Any) -> list[dict[str, Any]]:
    return [item for item in as_list(payload) if isinstance(item, dict)]


def _get(api: JsonApi, path: str, params: dict[str, str], what: str):
    try:
        return api.get(path, params)
    except RequestRejected as exc:
        if exc.status in (401, 403):
            raise SourceError(
                f"{api.source_name} shows {what} only to signed-in users ({exc.detail})."
            ) from None
        raise SourceError(f"{api.source_name} refused to list {what} ({exc.detail}).") from None
