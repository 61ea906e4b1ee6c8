"""derive_profile against figures computed by hand from tests/personas/builders/fixtures.py."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from personas.builders.profiling import (
    ProfileResult,
    derive_profile,
    online_chance_per_step,
    per_item_propensities,
    split_history,
    term_background,
)
from personas.builders.propensities import FeedExposure
from scraping.sources.records import AccountRecord, HistoryKind, HistoryRecord
from tests.personas.builders.fixtures import ACCOUNT, HISTORY, at, item

# First timed training item 1 March 09:00, last 15 March 20:00: 14 days and 11 hours.
SPAN_DAYS = 14 + 11 / 24
OWN_TEXTS = [r.text for r in HISTORY[:10]] + [HISTORY[18].text]  # p1-p5, r1-r3, q1, q2, p6


@pytest.fixture(scope="module")
def profile() -> ProfileResult:
    return derive_profile(ACCOUNT, HISTORY)


def test_holdout_takes_the_newest_fifth_of_timed_items(profile):
    # 20 timed items -> floor(0.2 * 20) = 4 held out: h1-h4; the 3 untimed likes always train.
    assert profile.holdout_ids == ("h1", "h2", "h3", "h4")
    assert profile.holdout_count == 4
    assert profile.training_count == 19


def test_holdout_by_days_and_untimed_items_stay_in_training():
    # Newest item 23 March 09:00; 7 days back = 16 March 09:00 -> h1-h4 are newer.
    assert [r.platform_id for r in split_history(HISTORY, holdout_days=7).holdout] == ["h1", "h2", "h3", "h4"]
    # 8.5 days back = 14 March 21:00 -> p6 (15 March 20:00) is held out too.
    assert [r.platform_id for r in split_history(HISTORY, holdout_days=8.5).holdout] == [
        "p6",
        "h1",
        "h2",
        "h3",
        "h4",
    ]
    half = split_history(HISTORY, holdout_fraction=0.5)
    assert len(half.holdout) == 10  # floor(0.5 * 20 timed)
    assert {"l1", "l2", "l3"} <= {r.platform_id for r in half.training}
    assert split_history(HISTORY, holdout_fraction=0).holdout == ()
    with pytest.raises(ValueError):
        split_history(HISTORY, holdout_fraction=1)


def test_kind_shares_over_training_actions(profile):
    # training: 6 posts (p1-p6), 3 replies, 2 quotes, 2 reposts, 6 likes (l1-l6) = 19
    assert profile.kind_counts == {"post": 6, "reply": 3, "quote": 2, "repost": 2, "like": 6}
    assert profile.propensities == pytest.approx(
        {"post": 6 / 19, "reply": 3 / 19, "quote": 2 / 19, "repost": 2 / 19, "like": 6 / 19}
    )


def test_activity_rate_over_the_observed_span(profile):
    assert profile.first_at == "2024-03-01T09:00:00"
    assert profile.last_at == "2024-03-15T20:00:00"
    assert profile.span_days == pytest.approx(SPAN_DAYS)
    assert profile.items_per_day == pytest.approx(19 / SPAN_DAYS)
    assert profile.rates_per_day["like"] == pytest.approx(6 / SPAN_DAYS)
    assert "untimed items assumed" in profile.explain["activity"]


def test_hour_histogram_and_active_hours(profile):
    # 16 timed training items: 9 at 09h, 1 at 10h, 4 at 20h, 2 at 21h.
    expected = [0] * 24
    expected[9], expected[10], expected[20], expected[21] = 9, 1, 4, 2
    assert list(profile.hour_histogram) == expected
    # 80% of 16 = 12.8: 09h alone covers 9, adding 20h covers 13.
    assert profile.active_hours == (9, 20)


def test_length_and_tone(profile):
    # character lengths sorted: 24 33 35 41 42 43 43 45 53 63 72 -> median 43; words -> median 8
    assert profile.median_chars == 43
    assert profile.median_words == 8
    tone = profile.tone
    assert tone.texts == 11
    assert tone.exclamation_rate == pytest.approx(3 / 11)  # p1, p5, p6
    assert tone.question_rate == pytest.approx(1 / 11)  # p4
    assert tone.emoji_rate == pytest.approx(1 / 11)  # q1
    assert tone.caps_rate == pytest.approx(1 / 11)  # r2 "THIS"
    scores = [SentimentIntensityAnalyzer().polarity_scores(t)["compound"] for t in OWN_TEXTS]
    assert tone.sentiment_mean == pytest.approx(sum(scores) / 11)
    assert tone.share_negative == pytest.approx(sum(s <= -0.05 for s in scores) / 11)
    assert tone.share_positive == pytest.approx(sum(s >= 0.05 for s in scores) / 11)


def test_languages_topics_hashtags_mentions(profile):
    # 8 declared (7 en incl. en-US, 1 es), p4/q1/q2 guessed en from stop words: en 10/11, es 1/11 < 10%
    assert profile.languages == (("en", pytest.approx(10 / 11)),)
    # document counts over 11 own texts + 3 liked/reposted texts; terms in at least 2 of them
    assert profile.topics == (
        ("trail", 7),
        ("hiking", 3),
        ("park", 3),
        ("patagonia", 3),
        ("shoes", 3),
        ("nike", 2),
    )
    assert profile.hashtags == (("#outdoors", 2), ("#hiking", 1))
    assert profile.mentions == (("@bob", 2), ("@carol", 1))


def test_stances_with_evidence_and_no_holdout_leak(profile):
    hints = {h.target: h for h in profile.stances}
    assert set(hints) == {"Nike", "Patagonia"}  # "Adidas is amazing" is held out; "THIS" is no target
    assert (hints["Nike"].position, hints["Nike"].support, hints["Nike"].oppose) == ("oppose", 0, 2)
    assert (hints["Patagonia"].position, hints["Patagonia"].support) == ("support", 2)
    assert [e.item_id for e in hints["Nike"].evidence] == ["p3", "q2"]
    assert hints["Nike"].evidence[0].quote == "Boycott Nike until they pay workers fairly."


def test_engaged_accounts(profile):
    engaged = {e.handle: (e.total, e.by_kind) for e in profile.engaged_accounts}
    assert engaged == {
        "bob": (6, {"like": 3, "reply": 2, "repost": 1}),
        "carol": (3, {"like": 1, "reply": 1, "repost": 1}),
        "dave": (3, {"like": 2, "quote": 1}),
        "erin": (1, {"quote": 1}),
    }
    assert [e.handle for e in profile.engaged_accounts] == ["bob", "carol", "dave", "erin"]


def test_engaged_accounts_leave_the_account_itself_out():
    own_thread = [
        item("s1", HistoryKind.REPLY, "and another thing", at(16, 9), author="@Alice"),
        item("s2", HistoryKind.LIKE, when=at(16, 10), author="alice"),
        item("s3", HistoryKind.LIKE, when=at(16, 11), author="bob"),
    ]
    profile = derive_profile(ACCOUNT, own_thread, holdout_fraction=0)
    assert [(e.handle, e.total) for e in profile.engaged_accounts] == [("bob", 1)]


def test_per_item_propensities_follow_the_documented_model(profile):
    # 150 follows from 1 Jan 00:00 to 15 March 20:00 = 31 + 29 + 14 days + 20 hours
    follows_per_day = 150 / (74 + 20 / 24)
    assert profile.follows_per_day == pytest.approx(follows_per_day)
    probabilities = per_item_propensities(profile, FeedExposure(items_seen_per_day=50, steps_per_day=12))
    assert probabilities == pytest.approx(
        {
            "like": 6 / SPAN_DAYS / 50,
            "repost": 2 / SPAN_DAYS / 50,
            "quote": 2 / SPAN_DAYS / 50,
            "reply": 3 / SPAN_DAYS / 50,
            "post": 6 / SPAN_DAYS / 12,
            "follow": follows_per_day / 50,
        }
    )
    # 19/SPAN actions a day in 3-action visits over 2 active hours of 12 steps a day = 1 step each
    chance = online_chance_per_step(profile, FeedExposure(steps_per_day=12, actions_per_visit=3))
    assert chance == pytest.approx(min(1.0, 19 / SPAN_DAYS / 3 / (12 * 2 / 24)))


def test_propensities_fall_back_to_shares_without_times():
    history = [HistoryRecord("a", HistoryKind.LIKE), HistoryRecord("b", HistoryKind.POST, text="hello there")]
    profile = derive_profile(AccountRecord("x", "1", "bob"), history)
    assert profile.items_per_day is None and profile.rates_per_day == {}
    probabilities = per_item_propensities(profile, FeedExposure(fallback_actions_per_day=4))
    assert probabilities["like"] == pytest.approx(0.5 * 4 / 60)
    assert probabilities["post"] == pytest.approx(0.5 * 4 / 24)
    assert probabilities["follow"] == 0.0


def test_profile_is_json_round_trippable_and_explained(profile):
    data = json.loads(json.dumps(profile.to_dict()))
    assert ProfileResult.from_dict(data) == profile
    for key in (
        "holdout",
        "propensities",
        "activity",
        "active_hours",
        "tone",
        "languages",
        "topics",
        "stances",
    ):
        assert profile.explain[key]


def test_deterministic_and_order_independent():
    assert derive_profile(ACCOUNT, HISTORY) == derive_profile(ACCOUNT, list(reversed(HISTORY)))


def test_background_makes_topics_distinctive():
    everyone_says_trail = [[HistoryRecord(f"o{i}", HistoryKind.POST, text="trail trail")] for i in range(50)]
    background, docs = term_background(everyone_says_trail)
    ranked = derive_profile(ACCOUNT, HISTORY, background=background, background_docs=docs).topics
    assert ranked[0][0] != "trail"
    assert "trail" in dict(ranked)


def test_mixed_naive_and_aware_times_and_empty_history():
    history = [
        HistoryRecord("a", HistoryKind.POST, text="one", created_at=datetime(2024, 1, 1, 12)),
        HistoryRecord(
            "b", HistoryKind.POST, text="two", created_at=datetime.fromisoformat("2024-01-03T12:00+02:00")
        ),
    ]
    profile = derive_profile(AccountRecord("x", "1", "bob"), history, holdout_fraction=0)
    assert profile.span_days == pytest.approx(1 + 22 / 24)
    empty = derive_profile(AccountRecord("x", "1", "bob"), [])
    assert empty.training_count == 0 and empty.tone.sentiment_mean is None and empty.active_hours == ()
