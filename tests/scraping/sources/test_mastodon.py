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
from tests.scraping.sources.platforms import (
    ALICE,
    BOB,
    loopback_settings,
    masto_status,
    serve_mastodon_account,
)

STATUSES = "/api/v1/accounts/1/statuses"
PARENT = "/api/v1/statuses/99"  # the post alice's reply 102 answers


def serve_alice(loopback, clock):
    """alice's account, and the post of bob's that her reply answers."""
    settings = serve_mastodon_account(loopback, clock.now)
    loopback.add(PARENT, Reply(json=masto_status("99", "<p>Coffee later?</p>", account=BOB)))
    return settings


def run(settings, clock, **kwargs):
    return list(
        iter_mastodon_batches(
            "@alice@social.example", settings=settings, sleep=clock.sleep, clock=clock, **kwargs
        )
    )


def test_imports_statuses_over_link_pages_and_following(loopback, clock):
    settings = serve_alice(loopback, clock)

    bundle = collect_batches(run(settings, clock))

    assert (bundle.account.platform_id, bundle.account.handle) == (
        "alice@social.example",
        "alice@social.example",
    )
    assert bundle.account.bio == "Librarian. Opinions mine & yours.\n\nx.example"
    post, reply, repost, quote, warned = bundle.history
    assert (post.kind, post.text) == (HistoryKind.POST, "Hello & welcome\nsecond line\n\nNew paragraph")
    assert (post.like_count, post.repost_count, post.reply_count) == (3, 2, 1)
    assert (reply.kind, reply.text, reply.target_id, reply.target_author, reply.target_text) == (
        HistoryKind.REPLY,
        "@bob sure",
        "99",
        "bob@social.example",
        "Coffee later?",
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
    assert len(loopback.calls(PARENT)) == 1
    assert loopback.unmatched == []


def test_access_token_is_sent_and_a_rejected_one_is_auth_failed(loopback, clock):
    settings = serve_alice(loopback, clock)
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
    settings = serve_alice(loopback, clock)
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
    settings = serve_alice(loopback, clock)
    loopback.add("/api/v1/accounts/1/following", Reply(json=[]), query={"max_id": None})

    bundle = collect_batches(run(settings, clock))

    assert bundle.following == []
    assert bundle.notes == ["Following was skipped: this account hides the accounts it follows."]


def reply_to(status_id: str, parent_id: str, account_id: str) -> dict:
    return masto_status(
        status_id, f"<p>re {parent_id}</p>", in_reply_to_id=parent_id, in_reply_to_account_id=account_id
    )


def test_parents_are_fetched_up_to_the_cap_and_the_cap_is_noted(loopback, clock):
    settings = serve_alice(loopback, clock)
    page = [reply_to("120", "91", "2"), reply_to("121", "92", "2"), reply_to("122", "93", "2")]
    loopback.add(STATUSES, Reply(json=page), query={"max_id": None})
    loopback.add("/api/v1/statuses/91", Reply(json=masto_status("91", "<p>First parent</p>", account=BOB)))
    loopback.add("/api/v1/statuses/92", Reply(status=404, json={"error": "Record not found"}))

    bundle = collect_batches(run(settings, clock, max_parents=2))

    assert [(r.target_id, r.target_text, r.target_author) for r in bundle.history] == [
        ("91", "First parent", "bob@social.example"),
        ("92", "", ""),  # gone: noted, the import goes on
        ("93", "", ""),  # over the cap: not asked for
    ]
    assert [call.path for call in loopback.requests if call.path.startswith("/api/v1/statuses/")] == [
        "/api/v1/statuses/91",
        "/api/v1/statuses/92",
    ]
    assert any("the limit per import" in note and "2 replies" in note for note in bundle.notes)
    assert any(note.startswith("1 post(s) that replies answer could not be fetched") for note in bundle.notes)


def test_replies_to_own_posts_are_not_fetched(loopback, clock):
    settings = serve_alice(loopback, clock)
    loopback.add(STATUSES, Reply(json=[reply_to("130", "101", ALICE["id"])]), query={"max_id": None})

    bundle = collect_batches(run(settings, clock))

    assert bundle.history[0].target_author == "alice@social.example"
    assert [call for call in loopback.requests if call.path.startswith("/api/v1/statuses/")] == []


def test_shallow_quote_keeps_the_quoted_id(loopback, clock):
    settings = serve_alice(loopback, clock)
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
