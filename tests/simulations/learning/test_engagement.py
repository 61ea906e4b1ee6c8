"""The forecast follows a fame jump, its 80% interval covers ~80%, short histories lean on the prior."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from personas.builders.demo_history import brand_account
from personas.builders.public_texts import rated_tweets
from simulations.learning.engagement import (
    METRICS,
    ForecastModel,
    fit_forecast,
    fit_pooled_forecast,
    predict,
    rolling_forecasts,
    rolling_origin,
)
from simulations.learning.features import PostRow
from simulations.learning.priors import own_weight


def _rows_of(bundle) -> list[PostRow]:
    return [
        PostRow(
            h.text,
            h.created_at,
            media=len(h.media),
            counts={
                "likes": h.like_count,
                "reposts": h.repost_count,
                "replies": h.reply_count,
                "quotes": h.quote_count,
            },
        )
        for h in bundle.history
    ]


@pytest.fixture(scope="module")
def brand_rows() -> list[PostRow]:
    texts = rated_tweets()  # fetched by make install; missing, it says how to fetch it
    return _rows_of(brand_account(texts))


@pytest.fixture(scope="module")
def backtest(brand_rows):
    return rolling_forecasts(brand_rows, last_n=200, refit_every=20)


def test_tracks_level_shift(brand_rows, backtest):
    """Beats the rolling mean of the last 200 posts (the naive reference) on MAE of log1p likes."""
    first = len(brand_rows) - 200
    actual = np.log1p([row.counts["likes"] for row, _ in backtest])
    forecast = np.log1p([f.metrics["likes"].expected for _, f in backtest])
    rolling_mean = np.array(
        [
            np.log1p([r.counts["likes"] for r in brand_rows[t - 200 : t]]).mean()
            for t in range(first, len(brand_rows))
        ]
    )
    model_mae, naive_mae = np.abs(actual - forecast).mean(), np.abs(actual - rolling_mean).mean()
    assert model_mae < 0.93 * naive_mae, (model_mae, naive_mae)
    pairs = rolling_origin(brand_rows[:1900], last_n=140, refit_every=40)  # across the x10 jump at post 1800
    assert set(pairs) == set(METRICS) and len(pairs["likes"][0]) == 140
    before, after = np.median(pairs["likes"][1][:20]), np.median(pairs["likes"][1][-20:])
    assert after > 5 * before, (before, after)


def test_interval_coverage_80(backtest):
    for metric in ("likes", "reposts"):
        inside = [
            f.metrics[metric].low <= row.counts[metric] <= f.metrics[metric].high for row, f in backtest
        ]
        assert 0.72 <= np.mean(inside) <= 0.88, (metric, np.mean(inside))


def _account(level: float, n: int, seed: int, start: datetime) -> list[PostRow]:
    rng = np.random.default_rng(seed)
    return [
        PostRow(
            f"#news item {i} {'with picture' if i % 2 else 'words only'}",
            start + timedelta(hours=5 * i),
            media=i % 2,
            counts={
                m: int(rng.poisson(level * (1.5 if i % 2 else 1) * s))
                for m, s in zip(METRICS, (1, 0.2, 0.1, 0.05), strict=True)
            },
        )
        for i in range(n)
    ]


def test_short_history_uses_prior():
    start = datetime(2024, 3, 1, tzinfo=UTC)
    pooled = fit_pooled_forecast([_account(200, 120, seed, start) for seed in range(4)])
    short = _account(5, 10, 99, start + timedelta(days=60))
    draft = PostRow("#news item fresh with picture", start + timedelta(days=70), media=1)
    alone, shrunk = fit_forecast(short), fit_forecast(short, pooled=pooled)
    assert shrunk.own_weight == pytest.approx(own_weight(10)) == pytest.approx(10 / 30)
    own_like = predict(alone, draft, short).metrics["likes"].expected
    prior_like = predict(pooled, draft, _account(200, 120, 0, start)).metrics["likes"].expected
    shrunk_forecast = predict(shrunk, draft, short)
    assert own_like * 2 < shrunk_forecast.metrics["likes"].expected < prior_like / 2
    assert "short history" in shrunk_forecast.notes[0]
    long = _account(5, 40, 98, start)
    assert fit_forecast(long, pooled=pooled).own_weight == 1.0
    assert predict(fit_forecast(long, pooled=pooled), draft, long).metrics["likes"].expected < 15


def test_json_roundtrip_predicts_same(brand_rows):
    model = fit_forecast(brand_rows[:600])
    again = ForecastModel.from_dict(json.loads(json.dumps(model.to_dict())))
    draft = PostRow(
        "#tech new app: launching today https://example.com/p", brand_rows[600].created_at, media=1
    )
    assert predict(again, draft, brand_rows[:600]) == predict(model, draft, brand_rows[:600])
    assert predict(model, draft, brand_rows[:600]).metrics["likes"].expected > 0
    assert model.n_train == 600
