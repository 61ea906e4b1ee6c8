"""``python -m bench --fidelity``: the honest backtest on the shipped demo data, no database.

The data is what ``manage.py seed_demo`` imports (``personas.builders.demo_history`` with the
demo seed): a brand account's 3,000 posts with counts, and a threaded community. Two backtests,
the same pure code the product runs (``simulations.insight.backtest_*``):

- engagement: the forecast of each of the account's last 200 posts from the posts before it,
  against the history mean, the rolling means of the last 20 and 200 posts and "everyone ignores";
- reactions: one cut-off for the community; the reaction model and the rule baseline against each
  member's own past rate, the history mean and "everyone ignores", with the calibration bins.

Every figure carries its 95% interval and n; "beats" comes only from intervals. No language model
runs here (the bench needs no model), so the hybrid's words are not scored: the text table
compares the rule baseline's texts with the real replies.
"""

from __future__ import annotations

from typing import Any

from personas.builders.demo_history import DEMO_COMMUNITY_DAYS, DEMO_SEED, brand_account, thread_community
from personas.builders.public_texts import rated_tweets
from scraping.sources.records import AccountBundle, HistoryKind
from simnet.llm.baseline import BaselineProvider
from simulations.engine.persona import PanelSnapshot, Persona
from simulations.insight.backtest_engagement import run_engagement_backtest
from simulations.insight.backtest_reactions import run_reaction_backtest
from simulations.learning.exposures import MemberItem
from simulations.learning.features import PostRow

LAST_N = 200
SIMULATED_CASES = 20


def post_rows(bundle: AccountBundle) -> list[PostRow]:
    return [
        PostRow(r.text, r.created_at, media=len(r.media), counts=_counts(r))
        for r in bundle.history
        if r.kind is HistoryKind.POST and r.created_at and r.like_count is not None
    ]


def _counts(record) -> dict[str, int]:
    return {
        "likes": record.like_count, "reposts": record.repost_count,
        "replies": record.reply_count, "quotes": record.quote_count,
    }  # fmt: skip


def community_inputs(bundles: list[AccountBundle]) -> tuple[list[MemberItem], PanelSnapshot, dict]:
    """The members' history, the panel as the engine sees it (cards rebuilt at the cut-off), accounts."""
    history = [MemberItem(b.account.handle, b.account.handle, r) for b in bundles for r in b.history]
    personas = tuple(Persona(id=b.account.handle, handle=b.account.handle, display_name=b.account.handle) for b in bundles)
    return history, PanelSnapshot(personas, ()), {b.account.handle: b.account for b in bundles}


def measure_fidelity(
    seed: int = DEMO_SEED, *, posts: int = 3000, members: int = 150, threads: int = 60
) -> tuple[dict[str, Any], list[str]]:
    """The figures and the printed lines; the defaults are the demo data's sizes."""
    texts = rated_tweets()
    brand = brand_account(texts, seed=seed, posts=posts)
    engagement = run_engagement_backtest(post_rows(brand), last_n=min(LAST_N, posts // 3), seed=seed)
    community = thread_community(texts, seed=seed, personas=members, threads=threads, days=DEMO_COMMUNITY_DAYS)
    history, panel, accounts = community_inputs(community)
    reactions = run_reaction_backtest(
        history, panel, policies={"rules": BaselineProvider()}, accounts=accounts, seed=seed,
        max_cases=SIMULATED_CASES,
    )  # fmt: skip
    coverage = [
        {"metric": c.metric, "inside": c.inside, "n": c.n, "share": round(c.share, 3),
         "low": round(c.low, 3), "high": round(c.high, 3), "nominal": c.nominal}
        for c in engagement.coverage
    ]  # fmt: skip
    figures = {
        "engagement": {"posts": engagement.posts, "origins": engagement.origins, "table": engagement.table.to_dict(),
                       "interval_coverage": coverage},
        "reactions": {"cutoff": reactions.cutoff.isoformat(), "members": reactions.population,
                      "test_posts": reactions.test_posts, "tables": [t.to_dict() for t in reactions.tables],
                      "calibration": reactions.calibration.to_dict(),
                      "warnings": [{"code": w.code, "text": w.text} for w in reactions.warnings]},
    }  # fmt: skip
    lines = [
        f"fidelity on the demo data (seed {seed}); every cell: value [95% interval], n in the header",
        "",
        f"## Engagement forecast: the last {engagement.origins} of {engagement.posts} posts of demo_brand",
        engagement.table.to_markdown(),
        "",
        "80% interval coverage: "
        + "; ".join(f"{c['metric']} {c['share']:.2f} [{c['low']:.2f}, {c['high']:.2f}] n={c['n']}" for c in coverage),
        "",
        (
            f"## Reactions: {reactions.population} members, cut-off {reactions.cutoff:%Y-%m-%d %H:%M}, "
            f"{reactions.test_posts} posts after it"
        ),
    ]
    for table in reactions.tables:
        lines += [table.to_markdown(), ""]
    lines += ["Reliability of the reaction model (predicted -> observed, n):"]
    lines += [
        f"  {b.low:.1f}-{b.high:.1f}: {b.mean_predicted:.3f} -> {b.observed_rate:.3f} (n={b.count})"
        for b in reactions.calibration.bins
        if b.count
    ]
    lines.append(f"  Brier {reactions.calibration.brier:.4f}, n={reactions.calibration.n}")
    lines += [f"warning [{w.code}]: {w.text}" for w in reactions.warnings]
    return figures, lines
