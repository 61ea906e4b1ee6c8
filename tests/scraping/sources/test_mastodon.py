from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from scraping.sources.base import collect_batches
from scraping.sources.errors import AccountNotFound, AuthFailed, RateLimited, SourceError
from scraping.sources.mastodon import iter_mastodon_batches, parse_mastodon_address
from scraping.sources.mastodon.client import next_max_id
from scraping.sources.records import HistoryKind
from tests.scraping.sources.loopback import Reply
from tests.scraping.sources.platforms import loopback_settings, masto_status, serve_mastodon_account

STATUSES = "/api/v1/accounts/1/statuses"


def run(settings, clock, **kwargs):
    return list(
        iter_mastodon_batches(
            "@alice@social.example", settings=settings, sleep=clock.sleep, clock=clock, **kwargs
        )
    )


def test_imports_statuses_over_link_pages_and_following(loopback, clock):
    settings = serve_mastodon_account(loopback, clock.now)

    bundle = collect_batches(run(settings, clock))

    assert (bundle.account.platform_id, bundle.account.handle) == (
        "alice@social.example",
        "alice@social.example",
    )
    assert bundle.account.bio == "Librarian. Opinions mine & yours.\n\nx.example"
    post, reply, repost, quote, warned = bundle.history
    assert (post.kind, post.text) == (HistoryKind.POST, "Hello & welcome\nsecond line\n\nNew paragraph")
    assert (post.like_count, post.repost_count, post.reply_count) == (3, 2, 1)
    assert (reply.kind, reply.text, reply.target_id, reply.target_author) == (
        HistoryKind.REPLY,
        "@bob sure",
        "99",
        "bob@social.example",
    )
    assert (repost.kind, repost.target_id, repost.target_author, repost.target_text) == (
        HistoryKind.REPOST,
        "50",
        "carol@other.example",
        "Carol's news",
    )
    assert (quote.kind, quote.text, quote.target_id, quote.target_author) == (
        HistoryKind.QUOTE,
        "Exactly this",
        "60",
        "bob@social.example",
    )
    assert warned.text == "Spoilers\n\nPlot twist inside"
    assert [follow.platform_id for follow in bundle.following] == [
        "bob@social.example",
        "carol@other.example",
    ]
    assert [call.query.get("max_id") for call in loopback.calls(STATUSES)] == [None, "103", "105"]
    assert loopback.calls(STATUSES)[0].query["limit"] == "40"
    assert "authorization" not in loopback.calls(STATUSES)[0].headers
    assert loopback.unmatched == []


def test_access_token_is_sent_and_a_rejected_one_is_auth_failed(loopback, clock):
    settings = serve_mastodon_account(loopback, clock.now)
    collect_batches(run(settings, clock, access_token="tok"))
    assert loopback.calls(STATUSES)[0].headers["authorization"] == "Bearer tok"

    loopback.add("/api/v1/accounts/lookup", Reply(status=401, json={"error": "The access token is invalid"}))
    with pytest.raises(AuthFailed, match="rejected the access token"):
        run(settings, clock, access_token="tok")


def test_a_server_that_needs_sign_in_says_so_without_a_token(loopback, clock):
    loopback.add(
        "/api/v1/accounts/lookup",
        Reply(status=401, json={"error": "This method requires an authenticated user"}),
    )

    with pytest.raises(SourceError, match="only shows @alice@social.example to signed-in users"):
        run(loopback_settings(loopback), clock)


def test_unknown_account_is_account_not_found(loopback, clock):
    loopback.add("/api/v1/accounts/lookup", Reply(status=404, json={"error": "Record not found"}))

    with pytest.raises(AccountNotFound, match="has no account"):
        run(loopback_settings(loopback), clock)


def test_rate_limit_reset_is_read_as_iso_8601(loopback, clock):
    settings = serve_mastodon_account(loopback, clock.now)
    loopback.add(
        STATUSES,
        Reply(
            status=429,
            json={"error": "Too many requests"},
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2025-03-01T12:05:00.000Z"},
        ),
        query={"max_id": "103"},
        times=1,
    )

    with pytest.raises(RateLimited) as caught:
        run(settings, clock)

    assert caught.value.reset_at == datetime(2025, 3, 1, 12, 5, tzinfo=UTC)


def test_hidden_following_is_skipped_with_a_note(loopback, clock):
    settings = serve_mastodon_account(loopback, clock.now)
    loopback.add("/api/v1/accounts/1/following", Reply(json=[]), query={"max_id": None})

    bundle = collect_batches(run(settings, clock))

    assert bundle.following == []
    assert bundle.notes == ["Following was skipped: this account hides the accounts it follows."]


def test_shallow_quote_keeps_the_quoted_id(loopback, clock):
    settings = serve_mastodon_account(loopback, clock.now)
    loopback.add(
        STATUSES,
        Reply(json=[masto_status("110", "<p>hm</p>", quote={"state": "pending", "quoted_status_id": "77"})]),
        query={"max_id": None},
    )

    bundle = collect_batches(run(settings, clock))

    assert (bundle.history[0].kind, bundle.history[0].target_id, bundle.history[0].target_author) == (
        HistoryKind.QUOTE,
        "77",
        "",
    )


@pytest.mark.parametrize(
    ("text", "acct"),
    [
        ("@alice@mastodon.social", "alice@mastodon.social"),
        ("alice@Mastodon.Social", "alice@mastodon.social"),
        ("https://mastodon.social/@alice", "alice@mastodon.social"),
    ],
)
def test_addresses_are_parsed(text, acct):
    assert parse_mastodon_address(text).acct == acct


@pytest.mark.parametrize(
    "text",
    [
        "alice",
        "@alice@localhost",
        "@alice@127.0.0.1",
        "@alice@[::1]",
        "@alice@intranet",
        "@alice@host:8080",
        "@a@b@c.d",
    ],
)
def test_addresses_that_could_reach_internal_hosts_are_refused(text):
    with pytest.raises(AccountNotFound):
        parse_mastodon_address(text)


def test_next_max_id_reads_only_the_next_link():
    headers = httpx.Headers(
        {
            "link": '<https://s.example/api/v1/x?max_id=5>; rel="next", <https://s.example/api/v1/x?min_id=9>; rel="prev"'
        }
    )
    assert next_max_id(headers) == "5"
    assert next_max_id(httpx.Headers({"link": '<https://s.example/x?min_id=9>; rel="prev"'})) is None
    assert next_max_id(httpx.Headers()) is None
