"""Post features read nothing after the post they describe, and hashed TF-IDF survives JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from simulations.learning.features import NUMERIC_NAMES, PostRow, TextHasher, feature_table, post_features


def _rows(n: int = 80, seed: int = 3) -> list[PostRow]:
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        PostRow(
            text=f"post {i} about #topic{i % 5} @friend https://x.example/{i}"
            if i % 3
            else f"plain words {i}",
            created_at=start + timedelta(hours=7 * i),
            media=int(rng.random() < 0.3),
            counts={
                "likes": int(rng.poisson(30 + 3 * i)),
                "reposts": int(rng.poisson(4)),
                "replies": 1,
                "quotes": 0,
            },
        )
        for i in range(n)
    ]


def test_no_lookahead():
    rows = _rows()
    table = feature_table(rows)
    for i in (0, 1, 10, 40, 78):
        changed = list(rows)
        changed[i] = replace(
            rows[i], counts={"likes": 10**6, "reposts": 10**5, "replies": 10**4, "quotes": 99}
        )
        changed[i + 1] = replace(rows[i + 1], text="wholly different", counts={"likes": 0}, media=5)
        before, after = post_features(rows, i), post_features(changed, i)
        assert before.numbers == after.numbers
        assert before.levels == after.levels or np.isnan(before.levels["likes"])
        np.testing.assert_array_equal(feature_table(changed).numbers[i], table.numbers[i])
    # positive control: a change BEFORE post i does move its level features
    earlier = list(rows)
    earlier[39] = replace(rows[39], counts={"likes": 10**6, "reposts": 0, "replies": 0, "quotes": 0})
    assert post_features(earlier, 40).levels["likes"] > post_features(rows, 40).levels["likes"] + 0.1


def test_level_and_content_features_have_known_values():
    rows = _rows()
    described = post_features(rows, 40)
    features, level = described.numbers, described.levels["likes"]
    likes = np.log1p([r.counts["likes"] for r in rows[:40]])
    weights = 0.5 ** (np.arange(39, -1, -1) / 30)
    assert abs(level - np.average(likes, weights=weights)) < 1e-9
    assert abs(features["likes_mean20_vs_level"] + level - likes[-20:].mean()) < 1e-9
    assert abs(features["likes_trend50"] - np.polyfit(np.arange(40), likes, 1)[0]) < 1e-9
    assert features["has_link"] == 1.0 and features["mentions"] == 1.0 and features["hashtags"] == 1.0
    assert post_features(rows, 3).numbers["has_link"] == 0.0
    assert set(features) == set(NUMERIC_NAMES)


def test_hasher_json_roundtrip_is_exact():
    texts = [r.text for r in _rows()]
    hasher = TextHasher.fit(texts, n_features=256)
    again = TextHasher.from_dict(json.loads(json.dumps(hasher.to_dict())))
    assert (hasher.transform(texts) != again.transform(texts)).nnz == 0
    assert len(set(hasher.idf.round(6))) > 1  # real IDF weights, not all ones
