"""X API v2 with the customer's own bearer token: profile, posts, likes and following.

Rate limits come from ``x-rate-limit-remaining`` / ``x-rate-limit-reset`` (epoch seconds) and
are handled by :class:`JsonApi`; this module only knows the endpoints and what their errors mean.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

from scraping.sources.base import DEFAULT_CAPS, Batch, ImportCaps, ProgressCallback
from scraping.sources.errors import AccountNotFound, AuthFailed, Checkpoint, RequestRejected, SourceError
from scraping.sources.http import Clock, HttpSettings, JsonApi, Sleep, epoch_rate_limit_reader, utc_now
from scraping.sources.paging import AccountLookup, Page, Stage, StageSkipped, history_stages, run_client
from scraping.sources.records import AccountRecord
from scraping.sources.x_api import parse

SOURCE = "x_api"
X_API_BASE_URL = "https://api.x.com"
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_PROFILE_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<name>[^/?#]+)")
_TWEET_FIELDS = (
    "created_at,public_metrics,referenced_tweets,lang,conversation_id,in_reply_to_user_id,author_id"
)
_USER_FIELDS = "description,public_metrics,created_at,location,url"


def normalize_x_username(text: str) -> str:
    """``@jack``, ``jack`` or ``https://x.com/jack`` to ``jack``."""
    candidate = text.strip()
    if match := _PROFILE_URL.match(candidate):
        candidate = match["name"]
    candidate = candidate.removeprefix("@")
    if not _USERNAME.match(candidate):
        raise AccountNotFound(
            f"{text.strip()!r} is not an X username; use the name after @ (letters, digits and _, up to 15)."
        )
    return candidate


def iter_x_api_batches(
    username: str,
    *,
    bearer_token: str,
    checkpoint: Checkpoint | None = None,
    settings: HttpSettings | None = None,
    caps: ImportCaps = DEFAULT_CAPS,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
) -> Iterator[Batch]:
    """The account, then one batch per page of posts, likes and following (see ``base.Batch``).

    Arguments are checked now; requests start when the first batch is asked for.
    """
    handle = normalize_x_username(username)
    if not bearer_token.strip():
        raise AuthFailed("Paste the Bearer Token of your X developer app to import from the X API.")
    make_api = partial(
        JsonApi,
        source_name="X API",
        settings=settings or HttpSettings(base_url=X_API_BASE_URL),
        read_rate_limit=epoch_rate_limit_reader("x-rate-limit-remaining", "x-rate-limit-reset"),
        headers={"Authorization": f"Bearer {bearer_token.strip()}"},
        auth_failed_message=(
            "X rejected the bearer token (401). Copy the Bearer Token of your app again from the X developer "
            "portal; it stops working when it is regenerated or the app is suspended."
        ),
        sleep=sleep,
        clock=clock,
    )
    return run_client(
        source=SOURCE,
        open_api=make_api,
        make_client=lambda api: _XApi(api, handle),
        checkpoint=checkpoint,
        caps=caps,
        progress=progress,
    )


class _XApi:
    def __init__(self, api: JsonApi, handle: str) -> None:
        self.api = api
        self.handle = handle

    def stages(self, caps: ImportCaps) -> list[Stage]:
        return history_stages(self.posts, self.following, caps, likes=self.likes)

    def lookup(self) -> AccountLookup:
        try:
            reply = self.api.get(f"/2/users/by/username/{self.handle}", {"user.fields": _USER_FIELDS})
        except RequestRejected as exc:
            raise self._refused("look up", exc) from None
        return parse.account_lookup(reply.data, self.handle)

    def posts(self, account: AccountRecord, cursor: str | None) -> Page:
        params = {
            "max_results": "100",
            "tweet.fields": _TWEET_FIELDS,
            "expansions": "referenced_tweets.id,referenced_tweets.id.author_id",
            "user.fields": "username",
        }
        data = self._page(f"/2/users/{account.platform_id}/tweets", params, cursor, "list the posts of")
        return parse.timeline_page(data, self.handle)

    def likes(self, account: AccountRecord, cursor: str | None) -> Page:
        params = {"max_results": "100", "tweet.fields": "author_id,lang", "expansions": "author_id"}
        try:
            reply = self.api.get(f"/2/users/{account.platform_id}/liked_tweets", _with_cursor(params, cursor))
            return parse.likes_page(reply.data, self.handle)
        except (RequestRejected, parse.NotListed) as exc:
            raise StageSkipped(
                f"Likes were skipped: X did not list them ({exc}). X shows an account's likes only to that "
                "account itself."
            ) from None

    def following(self, account: AccountRecord, cursor: str | None) -> Page:
        params = {"max_results": "1000", "user.fields": "username"}
        data = self._page(
            f"/2/users/{account.platform_id}/following", params, cursor, "list who is followed by"
        )
        return parse.following_page(data, self.handle)

    def _page(self, path: str, params: dict[str, str], cursor: str | None, action: str) -> Any:
        try:
            return self.api.get(path, _with_cursor(params, cursor)).data
        except RequestRejected as exc:
            raise self._refused(action, exc) from None

    def _refused(self, action: str, exc: RequestRejected) -> SourceError:
        if exc.status == 403:
            return SourceError(
                f"X refused to {action} @{self.handle} (X said: {exc.detail}). Check that your X developer app's "
                "access level allows this endpoint."
            )
        return SourceError(f"X refused to {action} @{self.handle} (HTTP {exc.status}: {exc.detail}).")


def _with_cursor(params: dict[str, str], cursor: str | None) -> dict[str, str]:
    return {**params, "pagination_token": cursor} if cursor else params
