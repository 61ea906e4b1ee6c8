"""The generated demo history has the causes its docstring promises, and is reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from personas.builders.demo_history import brand_account, thread_community
from personas.builders.public_texts import PublicDataMissing, rated_tweets
from scraping.sources.records import HistoryKind


@pytest.fixture(scope="module")
def texts():
    return rated_tweets()  # fetched by make install; missing, it says how to fetch it


def test_public_tweets_are_the_4200_rated_ones(texts):
    assert len(texts) == 4200
    assert all(-4 <= t.rating <= 4 for t in texts)
    assert not any("&amp;" in t.text for t in texts)


def test_missing_file_says_how_to_fetch_it(tmp_path):
    with pytest.raises(PublicDataMissing, match="make install"):
        rated_tweets(tmp_path / "nope.txt")


def test_brand_account_is_reproducible_and_becomes_famous(texts):
    first, again = brand_account(texts, seed=3, posts=600), brand_account(texts, seed=3, posts=600)
    assert first.history == again.history
    likes = np.array([item.like_count for item in first.history])
    before, after = np.median(likes[: int(0.55 * 600)]), np.median(likes[int(0.65 * 600) :])
    assert 5 < after / before < 20
    times = [item.created_at for item in first.history]
    assert times == sorted(times)


def test_media_posts_get_more_likes(texts):
    history = brand_account(texts, seed=5, posts=3000).history[:1500]  # before the jump
    with_media = np.mean([np.log1p(i.like_count) for i in history if i.media])
    without = np.mean([np.log1p(i.like_count) for i in history if not i.media])
    assert with_media - without > 0.2


def test_members_reply_more_on_their_topic(texts):
    bundles = thread_community(texts, seed=4)
    roots = {i.platform_id: i.community for b in bundles for i in b.history if i.platform_id.startswith("t3_")}
    on_topic = off_topic = 0
    for bundle in bundles:
        if not bundle.account.handle.startswith("member_"):
            continue
        top = bundle.account.bio.removeprefix("Into ").rstrip(".")
        for item in bundle.history:
            if item.kind is HistoryKind.REPLY:
                on_topic += item.community == top
                off_topic += item.community != top
    assert on_topic > off_topic / 3  # one topic of eight draws far more than an eighth of the replies
    replies = [i for b in bundles for i in b.history if i.kind is HistoryKind.REPLY]
    assert all(r.target_id and r.target_author and r.target_text for r in replies)
    assert any(r.target_id.startswith("t1_") for r in replies)  # some replies answer replies
    assert set(roots.values()) <= {r.community for r in replies} | set(roots.values())
