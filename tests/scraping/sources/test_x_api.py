from __future__ import annotations

import pytest

from scraping.sources.base import ImportCaps, collect_batches
from scraping.sources.errors import AccountNotFound, AuthFailed, BadResponse, RateLimited, SourceUnavailable
from scraping.sources.records import HistoryKind, ImportFailed
from scraping.sources.x_api import iter_x_api_batches, normalize_x_username
from tests.scraping.sources.loopback import Reply
from tests.scraping.sources.platforms import (
    X_USER_ID,
    loopback_settings,
    serve_x_account,
    x_rate_headers,
    x_tweet,
)

TWEETS = f"/2/users/{X_USER_ID}/tweets"


def run(settings, clock, **kwargs):
    return list(
        iter_x_api_batches(
            "@jack", bearer_token="secret-token", settings=settings, sleep=clock.sleep, clock=clock, **kwargs
        )
    )


def test_imports_profile_history_likes_and_following_across_pages(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    progress = []

    batches = run(
        settings, clock, progress=lambda done, total, message: progress.append((done, total, message))
    )
    bundle = collect_batches(batches)

    assert bundle.account.platform_id == X_USER_ID and bundle.account.handle == "jack"
    assert (bundle.account.followers_count, bundle.account.following_count) == (100, 3)
    by_id = {record.platform_id: record for record in bundle.history}
    assert [by_id[i].kind for i in ("1001", "1002", "1003", "1004", "1005")] == [
        HistoryKind.POST,
        HistoryKind.REPLY,
        HistoryKind.REPOST,
        HistoryKind.QUOTE,
        HistoryKind.POST,
    ]
    assert by_id["1001"].text == "Rock & roll <3"
    assert (by_id["1001"].like_count, by_id["1001"].reply_count, by_id["1001"].quote_count) == (3, 2, 4)
    assert (by_id["1002"].target_id, by_id["1002"].target_author) == ("900", "alice")
    assert by_id["1002"].target_text == "Original thought"  # the reply keeps what it answered
    assert (by_id["1003"].text, by_id["1003"].target_author, by_id["1003"].target_text) == (
        "",
        "bob",
        "Something worth sharing & more",
    )
    assert (by_id["1004"].target_id, by_id["1004"].target_author) == ("902", "carol")
    likes = [record for record in bundle.history if record.kind is HistoryKind.LIKE]
    assert [(like.target_id, like.target_author) for like in likes] == [
        ("2001", "alice"),
        ("2002", "bob"),
        ("2003", "carol"),
    ]
    assert [follow.handle for follow in bundle.following] == ["alice", "bob", "carol"]
    assert len(batches) == 7  # account + 2 pages each of posts, likes and following
    assert progress[-1] == (11, 11, "Fetched 3 followed accounts of jack")
    request = loopback.calls(TWEETS)[0]
    assert request.headers["authorization"] == "Bearer secret-token"
    assert (
        request.query["max_results"] == "100"
        and "referenced_tweets.id.author_id" in request.query["expansions"]
    )
    assert loopback.unmatched == []


def test_401_raises_auth_failed_naming_the_bearer_token(loopback, clock):
    loopback.add(
        "/2/users/by/username/jack", Reply(status=401, json={"title": "Unauthorized", "status": 401})
    )

    with pytest.raises(AuthFailed, match="rejected the bearer token"):
        run(loopback_settings(loopback), clock)


def test_unknown_username_answered_with_errors_only_is_account_not_found(loopback, clock):
    detail = "Could not find user with username: [jack]."
    loopback.add(
        "/2/users/by/username/jack",
        Reply(
            json={
                "errors": [
                    {"value": "jack", "detail": detail, "title": "Not Found Error", "resource_type": "user"}
                ]
            }
        ),
    )

    with pytest.raises(AccountNotFound, match="No X account named @jack"):
        run(loopback_settings(loopback), clock)


def test_429_mid_pagination_raises_rate_limited_then_resumes_without_duplicates(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    reset = int(clock.now.timestamp()) + 600
    loopback.add(
        TWEETS,
        Reply(
            status=429,
            json={"title": "Too Many Requests"},
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        ),
        query={"pagination_token": "p2"},
        times=1,
    )
    received = []

    with pytest.raises(RateLimited) as caught:
        for batch in iter_x_api_batches(
            "jack", bearer_token="t", settings=settings, sleep=clock.sleep, clock=clock
        ):
            received.append(batch)  # noqa: PERF402 (list() would lose the batches received before the error)

    assert caught.value.reset_at.timestamp() == reset
    assert "continues after" in str(caught.value)
    assert caught.value.checkpoint == received[-1].checkpoint
    received += run(settings, clock, checkpoint=caught.value.checkpoint)
    ids = [record.platform_id for batch in received for record in batch.bundle.history]
    assert len(ids) == len(set(ids)) == 8
    assert clock.sleeps == []


def test_429_within_the_allowed_wait_sleeps_until_reset_and_finishes(loopback, clock):
    serve_x_account(loopback, clock.now)
    loopback.add(
        TWEETS,
        Reply(
            status=429,
            headers={
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(clock.now.timestamp()) + 120),
            },
        ),
        query={"pagination_token": "p2"},
        times=1,
    )
    allowed = loopback_settings(loopback, max_rate_limit_wait_seconds=300)

    bundle = collect_batches(run(allowed, clock))

    assert clock.sleeps == [121.0]
    assert len(bundle.history) == 8


def exhaust_quota_on_first_timeline_page(loopback, clock):
    """The first timeline page says no calls are left until the reset, 900 seconds away."""
    serve_x_account(loopback, clock.now)
    page = {"data": [x_tweet("1001", "first")], "meta": {"result_count": 1, "next_token": "p2"}}
    loopback.add(
        TWEETS,
        Reply(json=page, headers=x_rate_headers(clock.now, remaining=0)),
        query={"pagination_token": None},
    )


def test_remaining_zero_stops_before_sending_the_next_request(loopback, clock):
    exhaust_quota_on_first_timeline_page(loopback, clock)

    with pytest.raises(RateLimited) as caught:
        run(loopback_settings(loopback), clock)

    assert [call.query.get("pagination_token") for call in loopback.calls(TWEETS)] == [None]
    assert caught.value.checkpoint["stages"]["posts"]["cursor"] == "p2"


def test_remaining_zero_waits_for_the_reset_when_allowed(loopback, clock):
    exhaust_quota_on_first_timeline_page(loopback, clock)

    bundle = collect_batches(run(loopback_settings(loopback, max_rate_limit_wait_seconds=1000), clock))

    assert clock.sleeps == [901.0]
    assert [call.query.get("pagination_token") for call in loopback.calls(TWEETS)] == [None, "p2"]
    assert len(bundle.history) == 1 + 2 + 3


def test_server_error_is_retried_with_backoff_then_succeeds(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    loopback.add(
        TWEETS,
        Reply(status=503, json={"title": "Service Unavailable"}),
        query={"pagination_token": None},
        times=2,
    )

    bundle = collect_batches(run(settings, clock))

    assert len(bundle.history) == 8
    assert clock.sleeps == [1.0, 2.0]
    assert len(loopback.calls(TWEETS)) == 4  # 2 failures, page 1, page 2


def test_server_error_until_retries_run_out_raises_source_unavailable_with_checkpoint(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    loopback.add(
        TWEETS, Reply(status=500, json={"title": "Internal Error"}), query={"pagination_token": "p2"}
    )

    with pytest.raises(SourceUnavailable, match="not answering properly") as caught:
        run(settings, clock)

    assert not isinstance(caught.value, BadResponse)
    assert caught.value.checkpoint["stages"]["posts"] == {
        "cursor": "p2",
        "done": False,
        "count": 3,
        "expected": 5,
    }
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(loopback.calls(TWEETS)) == 1 + 4


def test_truncated_body_is_retried_then_reported_as_bad_response(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    loopback.add(
        TWEETS,
        Reply(json={"data": [], "meta": {"result_count": 0}}, truncate_at=9),
        query={"pagination_token": None},
    )

    with pytest.raises(BadResponse, match="incomplete or invalid response"):
        run(settings, clock)
    assert len(loopback.calls(TWEETS)) == 4


def test_one_truncated_body_then_a_good_one_succeeds(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    loopback.add(TWEETS, Reply(json={"data": []}, truncate_at=5), query={"pagination_token": None}, times=1)

    assert len(collect_batches(run(settings, clock)).history) == 8


def test_complete_but_invalid_json_is_a_bad_response(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    loopback.add(TWEETS, Reply(body=b'{"data": [ {"id": "1"'), query={"pagination_token": None})

    with pytest.raises(BadResponse, match="not complete JSON"):
        run(settings, clock)


def test_forbidden_likes_are_skipped_with_a_note(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    loopback.add(
        f"/2/users/{X_USER_ID}/liked_tweets",
        Reply(
            status=403, json={"title": "Forbidden", "detail": "You are not permitted to use this endpoint."}
        ),
    )

    bundle = collect_batches(run(settings, clock))

    assert not [record for record in bundle.history if record.kind is HistoryKind.LIKE]
    assert len(bundle.history) == 5 and len(bundle.following) == 3
    assert bundle.notes and bundle.notes[0].startswith("Likes were skipped")


def test_caps_stop_an_endpoint_with_a_note(loopback, clock):
    settings = serve_x_account(loopback, clock.now)

    bundle = collect_batches(
        run(settings, clock, caps=ImportCaps(max_posts=2, max_likes=10, max_following=10))
    )

    assert [record.platform_id for record in bundle.history if record.kind is not HistoryKind.LIKE] == [
        "1001",
        "1002",
    ]
    assert "Stopped after 2 posts" in bundle.notes[0]
    assert len(loopback.calls(TWEETS)) == 1


@pytest.mark.parametrize(
    "text", ["jack", "@jack", " https://x.com/jack ", "https://twitter.com/jack/status/1"]
)
def test_usernames_are_normalized(text):
    assert normalize_x_username(text) == "jack"


@pytest.mark.parametrize("text", ["", "jack smith", "a" * 16, "../etc"])
def test_invalid_usernames_are_refused_before_any_request(text):
    with pytest.raises(AccountNotFound, match="not an X username"):
        iter_x_api_batches(text, bearer_token="t")


def test_missing_token_is_refused_before_any_request():
    with pytest.raises(AuthFailed, match="Bearer Token"):
        iter_x_api_batches("jack", bearer_token="  ")


def test_checkpoint_of_another_account_is_refused(loopback, clock):
    settings = serve_x_account(loopback, clock.now)
    first = next(
        iter(iter_x_api_batches("jack", bearer_token="t", settings=settings, clock=clock, sleep=clock.sleep))
    )

    with pytest.raises(ImportFailed, match="not 'bob'"):
        next(
            iter(iter_x_api_batches("bob", bearer_token="t", settings=settings, checkpoint=first.checkpoint))
        )
