"""Audience listings against loopback servers speaking each platform's protocol, and seeded sampling."""

from __future__ import annotations

import pytest

from scraping.sources.audience import (
    AudienceKind,
    Candidate,
    CandidatePage,
    collect_candidates,
    sample_candidates,
    skipped_note,
)
from scraping.sources.bluesky.audience import list_bluesky_audience
from scraping.sources.errors import AuthFailed, SourceError
from scraping.sources.mastodon.audience import list_mastodon_audience
from scraping.sources.x_api.audience import list_x_api_audience
from tests.scraping.sources.audiences import (
    X_BRAND_ID,
    serve_bluesky_followers,
    serve_bluesky_search,
    serve_mastodon_followers,
    serve_mastodon_search,
    serve_mastodon_tag,
    serve_x_followers,
    serve_x_search,
)
from tests.scraping.sources.loopback import Reply
from tests.scraping.sources.platforms import loopback_settings

TOKEN = "x-bearer-token"


def handles(listing) -> list[str]:
    return [candidate.handle for candidate in listing.eligible]


def test_x_followers_are_paged_deduplicated_and_protected_or_withheld_accounts_left_out(loopback, clock):
    serve_x_followers(loopback)

    listing = list_x_api_audience(
        AudienceKind.FOLLOWERS, "@brand", bearer_token=TOKEN, limit=100,
        settings=loopback_settings(loopback), sleep=clock.sleep, clock=clock,
    )  # fmt: skip

    assert handles(listing) == ["u1", "u3", "u4"]
    assert listing.seen == 5 and listing.skipped == {"protected": 1, "suspended": 1}
    pages = loopback.calls(f"/2/users/{X_BRAND_ID}/followers")
    assert [call.query.get("pagination_token") for call in pages] == [None, "F2"]
    assert pages[0].query["user.fields"] == "username,protected,withheld"
    assert pages[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert loopback.unmatched == []


def test_x_hashtag_lists_the_authors_of_recent_posts_paged_with_next_token(loopback, clock):
    serve_x_search(loopback, "#climate")

    listing = list_x_api_audience(
        AudienceKind.HASHTAG, "climate", bearer_token=TOKEN, limit=100,
        settings=loopback_settings(loopback), sleep=clock.sleep, clock=clock,
    )  # fmt: skip

    assert handles(listing) == ["u6", "u8"] and listing.skipped == {"protected": 1}
    calls = loopback.calls("/2/tweets/search/recent")
    assert [call.query.get("next_token") for call in calls] == [None, "N2"]
    assert calls[0].query["expansions"] == "author_id"


def test_x_needs_a_token_and_a_refused_listing_names_it(loopback, clock):
    with pytest.raises(AuthFailed):
        list_x_api_audience(AudienceKind.SEARCH, "tea", bearer_token=" ", limit=10)
    loopback.add("/2/tweets/search/recent", Reply(status=403, json={"title": "Client Forbidden"}))

    with pytest.raises(SourceError, match="search recent posts for 'tea'.*Client Forbidden"):
        list_x_api_audience(
            AudienceKind.SEARCH, "tea", bearer_token=TOKEN, limit=10,
            settings=loopback_settings(loopback), sleep=clock.sleep, clock=clock,
        )  # fmt: skip


def test_bluesky_followers_skip_hidden_bot_labeler_and_invalid_accounts(loopback, clock):
    serve_bluesky_followers(loopback)

    listing = list_bluesky_audience(
        AudienceKind.FOLLOWERS, "@brand.bsky.social", limit=100,
        settings=loopback_settings(loopback), sleep=clock.sleep, clock=clock,
    )  # fmt: skip

    assert handles(listing) == ["ann.bsky.social", "ben.bsky.social", "eve.bsky.social", "fay.bsky.social"]
    assert listing.eligible[0].address == "did:plc:ann"
    assert listing.seen == 8 and listing.skipped == {"bot": 2, "protected": 1, "suspended": 1}
    calls = loopback.calls("/xrpc/app.bsky.graph.getFollowers")
    assert [(call.query.get("cursor"), call.query["limit"]) for call in calls] == [
        (None, "100"),
        ("c2", "100"),
    ]


def test_bluesky_hashtag_search_keeps_the_first_page_when_the_next_is_refused(loopback, clock):
    serve_bluesky_search(loopback, "#climate")

    listing = list_bluesky_audience(
        AudienceKind.HASHTAG, "climate", limit=100,
        settings=loopback_settings(loopback), sleep=clock.sleep, clock=clock,
    )  # fmt: skip

    assert handles(listing) == ["ivy.bsky.social", "jon.bsky.social"]
    assert any("stopped the search" in note for note in listing.notes)


def test_mastodon_followers_follow_the_link_header_and_keep_remote_accounts(loopback, clock):
    serve_mastodon_followers(loopback)

    listing = list_mastodon_audience(
        AudienceKind.FOLLOWERS, "@brand@social.example", server="social.example", limit=100,
        settings=loopback_settings(loopback), sleep=clock.sleep, clock=clock,
    )  # fmt: skip

    assert [c.address for c in listing.eligible] == [
        "@ann@social.example",
        "@ben@other.example",
        "@eve@social.example",
    ]
    assert listing.seen == 6 and listing.skipped == {"bot": 1, "protected": 1, "unreachable": 1}
    assert [c.query.get("max_id") for c in loopback.calls("/api/v1/accounts/9/followers")] == [None, "13"]


def test_mastodon_hashtag_and_account_search(loopback, clock):
    serve_mastodon_tag(loopback, "climate")
    serve_mastodon_search(loopback, "gardening")
    common = {
        "server": "social.example",
        "limit": 100,
        "settings": loopback_settings(loopback),
        "clock": clock,
    }

    tag = list_mastodon_audience(AudienceKind.HASHTAG, "climate", sleep=clock.sleep, **common)
    search = list_mastodon_audience(AudienceKind.SEARCH, "gardening", sleep=clock.sleep, **common)

    assert [c.handle for c in tag.eligible] == ["kim@social.example", "lee@far.example"]
    assert [c.handle for c in search.eligible] == ["moe@social.example"] and search.skipped == {
        "suspended": 1
    }
    assert "offset" not in loopback.calls("/api/v2/search")[0].query, "anonymous callers cannot page a search"


def candidates(count: int) -> list[Candidate]:
    return [Candidate(platform_id=f"id{i:03}", address=f"a{i}", handle=f"h{i}") for i in range(count)]


def test_the_same_seed_gives_the_same_sample_whatever_the_listing_order():
    pool = candidates(50)

    first = sample_candidates(pool, size=10, seed=7)
    reordered = sample_candidates(list(reversed(pool)), size=10, seed=7)
    other_seed = sample_candidates(pool, size=10, seed=8)

    assert first == reordered and len({c.platform_id for c in first}) == 10
    assert first != other_seed
    assert (
        sample_candidates(pool[:3], size=10, seed=7)
        and len(sample_candidates(pool[:3], size=10, seed=7)) == 3
    )


def test_every_candidate_is_about_equally_likely_to_be_sampled():
    pool = candidates(20)
    counts = dict.fromkeys((c.platform_id for c in pool), 0)
    for seed in range(2000):
        for picked in sample_candidates(pool, size=5, seed=seed):
            counts[picked.platform_id] += 1

    expected = 2000 * 5 / 20
    assert all(abs(count - expected) < 0.2 * expected for count in counts.values()), counts


def test_the_listing_stops_at_its_limit_and_says_so():
    pages = {None: CandidatePage(candidates(5)[:3], "p2"), "p2": CandidatePage(candidates(5)[3:], "p3")}
    asked = []

    def fetch(cursor):
        asked.append(cursor)
        return pages[cursor]

    listing = collect_candidates(fetch, limit=3)

    assert asked == [None] and listing.seen == 3
    assert "first 3 accounts" in listing.notes[0]
    assert skipped_note({"bot": 2}) == "Left out while listing: 2 marked as automated."
