"""X API v2 audiences: the followers of an account, or the authors of recent posts matching a search.

``GET /2/users/:id/followers`` pages with ``pagination_token`` (up to 1,000 users a page);
``GET /2/tweets/search/recent`` pages with ``next_token`` (up to 100 posts a page) and, with
``expansions=author_id``, lists the authors in ``includes.users``. Users carry ``protected``
and, where a country withholds them, ``withheld``.
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
from scraping.sources.errors import AuthFailed, RequestRejected, SourceError
from scraping.sources.http import Clock, HttpSettings, JsonApi, Sleep, epoch_rate_limit_reader, utc_now
from scraping.sources.values import as_dict, as_list, as_str
from scraping.sources.x_api import parse
from scraping.sources.x_api.client import X_API_BASE_URL, normalize_x_username

_USER_FIELDS = "username,protected,withheld"


def list_x_api_audience(
    kind: AudienceKind,
    query: str,
    *,
    bearer_token: str,
    limit: int,
    settings: HttpSettings | None = None,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
) -> CandidateListing:
    """The accounts behind ``query``: a username (followers), a hashtag or an X search query."""
    if not bearer_token.strip():
        raise AuthFailed("Paste the Bearer Token of your X developer app to list accounts from the X API.")
    with JsonApi(
        source_name="X API",
        settings=settings or HttpSettings(base_url=X_API_BASE_URL),
        read_rate_limit=epoch_rate_limit_reader("x-rate-limit-remaining", "x-rate-limit-reset"),
        headers={"Authorization": f"Bearer {bearer_token.strip()}"},
        auth_failed_message="X rejected the bearer token (401). Copy the Bearer Token of your app again.",
        sleep=sleep,
        clock=clock,
    ) as api:
        if kind == AudienceKind.FOLLOWERS:
            fetch = _followers(api, normalize_x_username(query))
        else:
            fetch = _search_authors(api, f"#{query}" if kind == AudienceKind.HASHTAG else query)
        return collect_candidates(fetch, limit=limit, progress=progress)


def _followers(api: JsonApi, username: str):
    user_id = _get(api, f"/2/users/by/username/{username}", {}, f"look up @{username}")
    account = parse.account_lookup(user_id, username).account

    def fetch(cursor: str | None) -> CandidatePage:
        params = {"max_results": "1000", "user.fields": _USER_FIELDS}
        if cursor:
            params["pagination_token"] = cursor
        data = _get(
            api, f"/2/users/{account.platform_id}/followers", params, f"list the followers of @{username}"
        )
        return CandidatePage([_candidate(user) for user in _objects(data, "data")], _next_token(data))

    return fetch


def _search_authors(api: JsonApi, query: str):
    def fetch(cursor: str | None) -> CandidatePage:
        params = {
            "query": query,
            "max_results": "100",
            "expansions": "author_id",
            "user.fields": _USER_FIELDS,
        }
        if cursor:
            params["next_token"] = cursor
        data = _get(api, "/2/tweets/search/recent", params, f"search recent posts for {query!r}")
        users = _objects(as_dict(data).get("includes"), "users")
        return CandidatePage([_candidate(user) for user in users], _next_token(data))

    return fetch


def _candidate(user: dict[str, Any]) -> Candidate:
    username = as_str(user.get("username"))
    user_id = as_str(user.get("id"))
    skip = None
    if user.get("protected") is True:
        skip = SkipReason.PROTECTED
    elif as_list(as_dict(user.get("withheld")).get("country_codes")):
        skip = SkipReason.SUSPENDED
    return Candidate(platform_id=user_id or username, address=username, handle=username, skip=skip)


def _objects(payload: Any, key: str) -> list[dict[str, Any]]:
    return [
        item for item in as_list(as_dict(payload).get(key)) if isinstance(item, dict) and item.get("username")
    ]


def _next_token(payload: Any) -> str | None:
    return as_str(as_dict(as_dict(payload).get("meta")).get("next_token")) or None


def _get(api: JsonApi, path: str, params: dict[str, str], action: str) -> Any:
    try:
        return api.get(path, params).data
    except RequestRejected as exc:
        raise SourceError(f"X refused to {action} (HTTP {exc.status}: {exc.detail}).") from None
