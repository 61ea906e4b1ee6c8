"""Shared connector machinery: the HTTP client's policies, batches, checkpoints, HTML text, purity."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from scraping.sources import CONNECTORS
from scraping.sources.base import Batch, collect_batches
from scraping.sources.checkpoint import ImportState, StageState
from scraping.sources.errors import BadResponse, RateLimited, RequestRejected, SourceUnavailable
from scraping.sources.http import HttpSettings, JsonApi, epoch_rate_limit_reader
from scraping.sources.mastodon.html_text import html_to_text
from scraping.sources.records import (
    AccountBundle,
    AccountRecord,
    FollowRecord,
    HistoryKind,
    HistoryRecord,
    ImportFailed,
)
from tests.scraping.sources.loopback import LoopbackServer, Reply
from tests.scraping.sources.platforms import loopback_settings


def api(server, clock, **overrides):
    return JsonApi(
        source_name="Test source",
        settings=loopback_settings(server, **overrides),
        read_rate_limit=epoch_rate_limit_reader("x-rate-limit-remaining", "x-rate-limit-reset"),
        sleep=clock.sleep,
        clock=clock,
    )


def test_a_429_without_reset_headers_waits_for_retry_after(loopback, clock):
    loopback.add("/x", Reply(json={"ok": True}))
    loopback.add("/x", Reply(status=429, headers={"Retry-After": "30"}), times=1)

    with api(loopback, clock, max_rate_limit_wait_seconds=60) as client:
        assert client.get("/x").data == {"ok": True}
    assert clock.sleeps == [31.0]


def test_a_429_naming_nothing_pauses_for_the_default_and_reports_when_to_resume(loopback, clock):
    loopback.add("/x", Reply(status=429))

    with api(loopback, clock) as client, pytest.raises(RateLimited) as caught:
        client.get("/x")
    assert caught.value.reset_at == clock.now + timedelta(seconds=60)


def test_a_source_that_keeps_answering_429_after_its_reset_is_not_polled_forever(loopback, clock):
    loopback.add("/x", Reply(status=429, headers={"x-rate-limit-reset": str(int(clock.now.timestamp()) + 5)}))

    with api(loopback, clock, max_rate_limit_wait_seconds=3600) as client, pytest.raises(RateLimited):
        client.get("/x")
    assert len(loopback.calls("/x")) == 4  # the first answer and 3 waits


def test_an_unreachable_source_is_retried_then_unavailable(clock):
    with LoopbackServer() as server:
        base_url = server.base_url  # nothing listens there once the block ends
    client = JsonApi(
        source_name="Test source",
        settings=HttpSettings(base_url=base_url, max_retries=2),
        read_rate_limit=epoch_rate_limit_reader("x-rate-limit-remaining", "x-rate-limit-reset"),
        sleep=clock.sleep,
        clock=clock,
    )

    with client, pytest.raises(SourceUnavailable, match="could not connect"):
        client.get("/x")
    assert clock.sleeps == [1.0, 2.0]


def test_an_oversized_response_is_refused_without_retrying(loopback, clock):
    loopback.add("/x", Reply(body=b"[" + b"1," * 1000 + b"1]"))

    with (
        api(loopback, clock, max_response_bytes=100) as client,
        pytest.raises(BadResponse, match="more than"),
    ):
        client.get("/x")
    assert len(loopback.calls("/x")) == 1


def test_other_client_errors_carry_status_and_detail(loopback, clock):
    loopback.add("/x", Reply(status=404, json={"error": "Record not found"}))

    with api(loopback, clock) as client, pytest.raises(RequestRejected) as caught:
        client.get("/x")
    assert (caught.value.status, caught.value.detail) == (404, "Record not found")


def test_redirects_are_not_followed(loopback, clock):
    loopback.add("/x", Reply(status=302, headers={"Location": "http://169.254.169.254/latest"}))

    with api(loopback, clock) as client, pytest.raises(RequestRejected):
        client.get("/x")
    assert [request.path for request in loopback.requests] == ["/x"]


ACCOUNT = AccountRecord(
    platform="x", platform_id="1", handle="a", created_at=datetime(2020, 1, 1, tzinfo=UTC)
)


def test_collect_batches_merges_in_order_without_duplicates():
    post = HistoryRecord(platform_id="1", kind=HistoryKind.POST, text="hi")
    like = HistoryRecord(platform_id="1", kind=HistoryKind.LIKE)
    batches = [
        Batch(AccountBundle(account=ACCOUNT, history=[post], notes=["n1"])),
        Batch(
            AccountBundle(
                account=ACCOUNT, history=[post, like], following=[FollowRecord(platform_id="9")], notes=["n1"]
            )
        ),
    ]

    bundle = collect_batches(batches)

    assert (bundle.history, bundle.following, bundle.notes) == (
        [post, like],
        [FollowRecord(platform_id="9")],
        ["n1"],
    )
    with pytest.raises(ValueError):
        collect_batches([])


def test_checkpoints_round_trip_and_refuse_another_import():
    state = ImportState(
        source="x_api",
        handle="a",
        account=ACCOUNT,
        stages={"posts": StageState("tok", False, 3, 10)},
        notes=["n"],
    )

    restored = ImportState.from_checkpoint(state.to_checkpoint(), source="x_api", handle="a")

    assert restored == state
    with pytest.raises(ImportFailed, match="different importer"):
        ImportState.from_checkpoint(state.to_checkpoint(), source="bluesky", handle="a")


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>One &amp; two</p><p>Three<br>four<br/>five</p>", "One & two\n\nThree\nfour\nfive"),
        (
            (
                '<p><a href="https://x.example/long/path"><span class="invisible">https://</span>'
                '<span class="ellipsis">x.example/long</span><span class="invisible">/path</span></a></p>'
            ),
            "https://x.example/long/path",
        ),
        ('<p>Hi<script>alert("x")</script><style>p{}</style></p>', "Hi"),
        (
            '<p>Yes</p><p class="quote-inline">RE: <a href="u"><span>u</span></a><br>more</p><p>after</p>',
            "Yes\n\nafter",
        ),
        ("&lt;b&gt;not bold&lt;/b&gt; &#x1F600;", "<b>not bold</b> \U0001f600"),
        ("<p>unclosed <b>tags", "unclosed tags"),
    ],
)
def test_html_to_text(markup, text):
    assert html_to_text(markup) == text


def test_connector_table_lists_every_connector():
    assert list(CONNECTORS) == ["x_archive", "x_api", "bluesky", "mastodon", "tabular", "reddit"]
    assert all(info.label and info.input_help for info in CONNECTORS.values())
    assert {name for name, info in CONNECTORS.items() if info.resumable} == {"x_api", "bluesky", "mastodon"}


def test_sources_import_nothing_from_django():
    code = (
        "import sys, scraping.sources, scraping.sources.x_archive, scraping.sources.x_api, "
        "scraping.sources.bluesky, scraping.sources.mastodon, scraping.sources.tabular, scraping.sources.reddit\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
