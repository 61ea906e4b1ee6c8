"""Mastodon's REST API on the account's home server: profile, posts (with boosts), following.

We ask the account's own server because other servers only hold what reached them. Pages are
linked with ``Link: <...max_id=...>; rel="next"``; we keep only the ``max_id`` from that link and
request our own path again, so a hostile server cannot point us at another host. Rate limits
use ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (ISO 8601). An access token is optional;
servers in "authorized fetch" mode need one.

Statuses do not carry the post they reply to, so the text of a reply's parent is fetched with
``GET /api/v1/statuses/{id}``, at most ``max_parents`` per run of the client (one request per
reply adds up fast). Replies to the account's own posts are not fetched: those posts are in the
same import, and the importer fills the text in from there.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial

import httpx

from scraping.sources.base import DEFAULT_CAPS, Batch, ImportCaps, ProgressCallback
from scraping.sources.errors import (
    AccountNotFound,
    Checkpoint,
    RequestRejected,
    SourceError,
    SourceUnavailable,
)
from scraping.sources.http import (
    Clock,
    HttpSettings,
    JsonApi,
    JsonReply,
    Sleep,
    iso_rate_limit_reader,
    utc_now,
)
from scraping.sources.mastodon import parse
from scraping.sources.paging import AccountLookup, Page, Stage, StageSkipped, history_stages, run_client
from scraping.sources.records import AccountRecord, HistoryKind, HistoryRecord

SOURCE = "mastodon"
DEFAULT_MAX_PARENTS = 500  # parent posts fetched per run of the client
_ADDRESS = re.compile(r"^@?(?P<user>[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)@(?P<domain>[^@/\s]+)$")
_PROFILE_URL = re.compile(r"^https://(?P<domain>[^/@\s]+)/@(?P<user>[A-Za-z0-9_.-]+)/?$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_LINK = re.compile(r"<(?P<url>[^>]*)>(?P<params>[^,]*)")


@dataclass(frozen=True)
class MastodonAddress:
    username: str
    domain: str

    @property
    def acct(self) -> str:
        return f"{self.username}@{self.domain}"

    @property
    def base_url(self) -> str:
        return f"https://{self.domain}"


def parse_mastodon_address(text: str) -> MastodonAddress:
    """``@alice@mastodon.social``, ``alice@mastodon.social`` or ``https://mastodon.social/@alice``.

    The domain comes from the customer, so only public DNS names are accepted (no IP addresses,
    ports or single-label names like ``localhost``): we must not be steered at internal hosts.
    """
    candidate = text.strip()
    match = _ADDRESS.match(candidate) or _PROFILE_URL.match(candidate)
    if match is None:
        raise AccountNotFound(
            f"{candidate!r} is not a Mastodon address; write it as @name@server, e.g. @alice@mastodon.social."
        )
    domain = match["domain"].lower().rstrip(".")
    if not _public_domain(domain):
        raise AccountNotFound(f"{domain!r} is not a public Mastodon server name.")
    return MastodonAddress(username=match["user"], domain=domain)


def _public_domain(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain.strip("[]"))
        return False
    except ValueError:
        pass
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels) and labels[-1] != "localhost"


def iter_mastodon_batches(
    address: str,
    *,
    access_token: str | None = None,
    checkpoint: Checkpoint | None = None,
    settings: HttpSettings | None = None,
    caps: ImportCaps = DEFAULT_CAPS,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
    max_parents: int = DEFAULT_MAX_PARENTS,
) -> Iterator[Batch]:
    """The account, then one batch per page of posts and following. ``settings.base_url``
    defaults to the address's server; ``max_parents`` bounds the replied-to posts fetched."""
    parsed = parse_mastodon_address(address)
    token = (access_token or "").strip()
    make_api = partial(
        JsonApi,
        source_name=f"Mastodon server {parsed.domain}",
        settings=settings or HttpSettings(base_url=parsed.base_url),
        read_rate_limit=iso_rate_limit_reader("x-ratelimit-remaining", "x-ratelimit-reset"),
        headers={"Authorization": f"Bearer {token}"} if token else None,
        auth_failed_message=(
            f"{parsed.domain} rejected the access token (401). Create a new one in your Mastodon settings "
            "(Development > New application, read scope) and paste it again."
            if token
            else None
        ),
        sleep=sleep,
        clock=clock,
    )
    return run_client(
        source=SOURCE,
        open_api=make_api,
        make_client=lambda api: _Mastodon(api, parsed, max_parents),
        checkpoint=checkpoint,
        caps=caps,
        progress=progress,
    )


class _Mastodon:
    def __init__(self, api: JsonApi, address: MastodonAddress, max_parents: int) -> None:
        self.api = api
        self.address = address
        self._local_id: str | None = None
        self._parents_left = max_parents
        self._max_parents = max_parents
        self._cap_noted = False

    @property
    def handle(self) -> str:
        return self.address.acct

    def stages(self, caps: ImportCaps) -> list[Stage]:
        return history_stages(self.posts, self.following, caps)

    def lookup(self) -> AccountLookup:
        reply = self._lookup_reply()
        self._local_id = parse.account_id(reply.data)
        return parse.account_lookup(reply.data, self.address.domain)

    def posts(self, account: AccountRecord, cursor: str | None) -> Page:
        own_id = self._account_id()
        reply = self._get(f"/api/v1/accounts/{own_id}/statuses", {"limit": "40"}, cursor)
        page = parse.statuses_page(
            reply.data, own_id=own_id, domain=self.address.domain, next_cursor=next_max_id(reply.headers)
        )
        return self._with_parents(page, account)

    def _with_parents(self, page: Page, account: AccountRecord) -> Page:
        """``page`` with the text of the posts its replies answer, fetched within the cap."""
        wanted = [i for i, record in enumerate(page.history) if _wants_parent(record, account)]
        fetched, skipped = wanted[: self._parents_left], wanted[self._parents_left :]
        self._parents_left -= len(fetched)
        failed: list[str] = []
        history = list(page.history)
        for i in fetched:
            history[i] = self._with_parent(history[i], failed)
        notes = []
        if skipped and not self._cap_noted:
            self._cap_noted = True
            notes.append(
                f"Fetched the posts that {self._max_parents:,} replies answer, the limit per import; "
                "later replies keep only the id of the post they answer."
            )
        if failed:
            notes.append(
                f"{len(failed):,} post(s) that replies answer could not be fetched "
                f"(e.g. {failed[0]}); those replies keep only the post's id."
            )
        return replace(page, history=history, notes=[*page.notes, *notes])

    def _with_parent(self, record: HistoryRecord, failed: list[str]) -> HistoryRecord:
        if not parse.is_local_id(record.target_id):
            failed.append(f"{record.target_id!r}: not a post id")
            return record
        try:
            reply = self.api.get(f"/api/v1/statuses/{record.target_id}")
            text, author = parse.parent_status(reply.data, self.address.domain)
        except (RequestRejected, SourceUnavailable) as exc:
            failed.append(f"{record.target_id}: {getattr(exc, 'detail', '') or exc}")
            return record
        return replace(record, target_text=text, target_author=record.target_author or author)

    def following(self, account: AccountRecord, cursor: str | None) -> Page:
        reply = self._get(f"/api/v1/accounts/{self._account_id()}/following", {"limit": "80"}, cursor)
        page = parse.following_page(
            reply.data, domain=self.address.domain, next_cursor=next_max_id(reply.headers)
        )
        if cursor is None and not page.following and (account.following_count or 0) > 0:
            raise StageSkipped("Following was skipped: this account hides the accounts it follows.")
        return page

    def _account_id(self) -> str:
        """The server-local id; a resumed import looks it up again (one request)."""
        if self._local_id is None:
            self._local_id = parse.account_id(self._lookup_reply().data)
        return self._local_id

    def _lookup_reply(self) -> JsonReply:
        try:
            return self.api.get("/api/v1/accounts/lookup", {"acct": self.address.username})
        except RequestRejected as exc:
            if exc.status == 404:
                raise AccountNotFound(f"{self.address.domain} has no account @{self.address.acct}.") from None
            raise self._refused(exc) from None

    def _get(self, path: str, params: dict[str, str], cursor: str | None) -> JsonReply:
        try:
            return self.api.get(path, {**params, "max_id": cursor} if cursor else params)
        except RequestRejected as exc:
            raise self._refused(exc) from None

    def _refused(self, exc: RequestRejected) -> SourceError:
        if exc.status in (401, 403):
            return SourceError(
                f"{self.address.domain} only shows @{self.address.acct} to signed-in users "
                f"({exc.detail}). Add an access token from an account on that server."
            )
        return SourceError(
            f"{self.address.domain} refused the request for @{self.address.acct} ({exc.detail})."
        )


def _wants_parent(record: HistoryRecord, account: AccountRecord) -> bool:
    """A reply to someone else's post whose text we lack (own posts come with the import)."""
    return (
        record.kind == HistoryKind.REPLY
        and bool(record.target_id)
        and not record.target_text
        and record.target_author.casefold() != account.platform_id.casefold()
    )


def next_max_id(headers: httpx.Headers) -> str | None:
    """The ``max_id`` of the ``rel="next"`` link, or None on the last page."""
    for match in _LINK.finditer(headers.get("link", "")):
        rel = re.search(r'rel="?([^";]+)"?', match["params"])
        if rel and "next" in rel.group(1).split():
            return httpx.URL(match["url"]).params.get("max_id")
    return None
