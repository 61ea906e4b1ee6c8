"""Trust & safety outcomes of a run and their comparison across an experiment's variants.

Per run (``run_safety``): harm labels of every written post (the labeller is named), pile-ons,
how many actions the run had (the denominator of harm rates), the E-I index of engagement
across the panel's groups, how far the harmful posts reached, and how much engagement there was.
Across variants (``compare_safety``): harm rates per class with exact intervals and honest
zero-event bounds (``tail_risk``), and bootstrap intervals of the per-replicate figures, with
the engagement lost against the baseline variant. Every figure carries its ``n``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from simulations.analysis.ei_index import ei_index
from simulations.analysis.harm import ALL_CLASSES, PILE_ON, TEXT_CLASSES, HarmLabeller, pile_ons
from simulations.analysis.records import (
    ENGAGEMENT_ACTIONS,
    ActionRecord,
    ImpressionRecord,
    PersonaRecord,
    PostKind,
    PostRecord,
)
from simulations.analysis.stats import bootstrap_mean_ci
from simulations.analysis.tail_risk import harm_rate
from simulations.engine.recommenders import GROUP_TRAITS

WORST_POSTS = 3  # the most viewed harmful posts whose reach is reported


@dataclass(frozen=True)
class RunSafety:
    actions: int  # every decision that took effect (ignore included): the harm-rate denominator
    harmful: Mapping[str, int]  # class -> harmful posts of that class (pile_on: replies in pile-ons)
    any_harm: int  # posts with at least one class
    written: int  # posts, replies and quotes by panel members
    engagement: int  # likes, reposts, quotes and replies
    ei_external: int
    ei_internal: int
    ei: float | None
    group_trait: str | None
    worst_reach: int  # distinct viewers of the WORST_POSTS most viewed harmful posts
    harmful_views: int
    views: int
    moderation: Mapping[str, int] = field(default_factory=dict)  # action -> interventions
    harmful_post_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


def group_trait(personas: Sequence[PersonaRecord]) -> str | None:
    """The trait that splits the panel into groups: the first of GROUP_TRAITS with two values."""
    for trait in GROUP_TRAITS:
        if len({str(p.traits[trait]) for p in personas if p.traits.get(trait) not in (None, "")}) >= 2:
            return trait
    return None


def run_safety(
    posts: Sequence[PostRecord],
    actions: Sequence[ActionRecord],
    personas: Sequence[PersonaRecord],
    impressions: Sequence[ImpressionRecord],
    labeller: HarmLabeller,
    moderation: Mapping[str, int] | None = None,
) -> RunSafety:
    people = {p.persona_id for p in personas}
    written = [
        p for p in posts if p.author_id in people and not p.is_stimulus and p.kind is not PostKind.REPOST
    ]
    labels = dict(zip((p.post_id for p in written), labeller.label([p.text for p in written]), strict=True))
    piled = {
        pid for pile in pile_ons(posts, {k: bool(v) for k, v in labels.items()}) for pid in pile.post_ids
    }
    counts = Counter(c for classes in labels.values() for c in classes)
    harmful_ids = {pid for pid, classes in labels.items() if classes}
    done = [a for a in actions if a.succeeded]
    trait = group_trait(personas)
    groups = {p.persona_id: str(p.traits[trait]) for p in personas if trait and p.traits.get(trait)}
    authors = {p.post_id: p.author_id for p in posts}
    ties = [
        (a.persona_id, authors[a.target_post_id])
        for a in done
        if a.action in ENGAGEMENT_ACTIONS and a.target_post_id in authors
    ]
    ei = ei_index(ties, groups)
    viewers: dict[str, set[str]] = {}
    views = harmful_views = 0
    for row in impressions:
        views += row.count
        if row.post_id in harmful_ids:
            harmful_views += row.count
            if row.persona_id is not None:
                viewers.setdefault(row.post_id, set()).add(row.persona_id)
    worst = sorted((len(v) for v in viewers.values()), reverse=True)[:WORST_POSTS]
    return RunSafety(
        actions=len(done),
        harmful={**{c: counts.get(c, 0) for c in TEXT_CLASSES}, PILE_ON: len(piled)},
        any_harm=len(harmful_ids),
        written=len(written),
        engagement=sum(1 for a in done if a.action in ENGAGEMENT_ACTIONS),
        ei_external=ei.external,
        ei_internal=ei.internal,
        ei=ei.index,
        group_trait=trait,
        worst_reach=sum(worst),
        harmful_views=harmful_views,
        views=views,
        moderation=dict(moderation or {}),
        harmful_post_ids=tuple(sorted(harmful_ids)),
    )


def _interval(values: Sequence[float], seed: int) -> dict | None:
    if not values:
        return None
    ci = bootstrap_mean_ci(values, seed=seed)
    return {"estimate": ci.estimate, "low": ci.low, "high": ci.high, "n": ci.n, "method": ci.method}


def engagement_lost(
    baseline: Sequence[float], variant: Sequence[float], *, seed: int = 0, resamples: int = 2000
) -> dict | None:
    """Share of the baseline's mean engagement a variant loses, with a 95% percentile bootstrap
    interval (replicates resampled within each variant). None without two replicates a side."""
    if len(baseline) < 2 or len(variant) < 2 or float(np.mean(baseline)) == 0:
        return None
    rng = np.random.default_rng(seed)
    a, b = np.asarray(baseline, float), np.asarray(variant, float)
    boot_a = rng.choice(a, (resamples, a.size)).mean(axis=1)
    boot_b = rng.choice(b, (resamples, b.size)).mean(axis=1)
    valid = boot_a > 0
    lost = 1 - boot_b[valid] / boot_a[valid]
    low, high = np.percentile(lost, [2.5, 97.5])
    return {
        "estimate": float(1 - b.mean() / a.mean()),
        "low": float(low),
        "high": float(high),
        "n": int(b.size),
        "n_baseline": int(a.size),
        "method": "percentile bootstrap of the ratio of means",
    }


def _rate(harm_class: str, events: list[int], actions: list[int]) -> dict:
    rate = harm_rate(harm_class, events, actions)
    return asdict(rate) | {"note": rate.note}


def compare_safety(runs: Mapping[str, Sequence[RunSafety]], baseline: str, *, seed: int = 0) -> dict:
    """Per variant: harm rates per class (exact); prevalence (the share of feed views that showed a
    harmful post, as platforms define it) and the harmful share of what was written; the E-I index,
    reach of the worst posts and engagement (bootstrap); engagement lost against ``baseline``."""
    base_engagement = [float(r.engagement) for r in runs.get(baseline, ())]
    variants = []
    for label, rows in runs.items():
        actions = [r.actions for r in rows]
        rates = [_rate(c, [r.harmful.get(c, 0) for r in rows], actions) for c in ALL_CLASSES]
        moderation: Counter[str] = Counter()
        for r in rows:
            moderation.update(r.moderation)
        variants.append(
            {
                "label": label,
                "replicates": len(rows),
                "actions": sum(actions),
                "rates": rates,
                "any_harm": _rate("any", [r.any_harm for r in rows], actions),
                "harmful_written_share": _interval([r.any_harm / r.written for r in rows if r.written], seed),
                "ei": _interval([r.ei for r in rows if r.ei is not None], seed),
                "worst_reach": _interval([float(r.worst_reach) for r in rows], seed),
                "prevalence": _interval([r.harmful_views / r.views for r in rows if r.views], seed),
                "engagement": _interval([float(r.engagement) for r in rows], seed),
                "engagement_lost": None
                if label == baseline
                else engagement_lost(base_engagement, [float(r.engagement) for r in rows], seed=seed),
                "moderation": dict(moderation),
                "group_trait": next((r.group_trait for r in rows if r.group_trait), None),
            }
        )
    return {"baseline": baseline, "classes": list(ALL_CLASSES), "variants": variants}
