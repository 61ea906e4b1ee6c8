"""The run report gathers every analysis into JSON, and feeds an experiment end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulations.analysis.backlash import RiskLevel
from simulations.analysis.experiment import compare_variants
from simulations.analysis.records import Reaction
from simulations.analysis.report import OUTCOME_METRICS, build_report, segment_keys
from tests.support.peloton import (
    ACCUSATIONS,
    AD_TEXT,
    FANS,
    JOKES,
    SELF_GIFT_REPLIES,
    SELF_GIFT_TEXT,
    backlash_run,
    build_run,
)


@pytest.fixture(scope="module")
def report():
    run = backlash_run()
    history = [
        Reaction("p00", "post", "Morning ride done."),
        Reaction("p00", "reply", "Awful take, honestly."),
    ]
    return build_report(
        run.posts,
        run.actions,
        run.personas,
        impressions=run.impressions,
        real_history=history,
        run_id="7",
        variant="A",
    )


def test_report_gathers_every_analysis(report):
    assert (report.run_id, report.variant) == ("7", "A")
    assert (
        report.totals.engagements == 18 + 5 + 2 + 3
    )  # replies+quotes, likes on r0, reposts, likes on the ad
    assert report.totals.impressions == 200
    assert len(report.steps) == 5
    [stimulus] = report.stimuli
    assert stimulus.cascade.size == 28 and stimulus.cascade.depth == 1
    assert stimulus.backlash.level is report.backlash.level
    assert report.backlash.level in (RiskLevel.HIGH, RiskLevel.SEVERE)
    assert report.sentiment.responses == len(report.responses) == 18
    assert any("sexist" in t.label for t in report.themes.accusations)
    assert report.themes.jokes
    assert [s.trait_key for s in report.segments] == ["age_group", "gender"]  # user_id is an identifier
    assert report.diagnostics is not None and report.diagnostics.personas_compared == 1


def test_to_dict_is_plain_json(report):
    data = report.to_dict()
    text = json.dumps(data)
    assert json.loads(text) == data
    assert data["backlash"]["level"] in ("high", "severe")
    # 18 writers at steps 1..4 in turn (5, 5, 4, 4) + 3 likes of the ad at step 1,
    # 5 likes of the first reply and 2 reposts at step 2
    assert data["stimuli"][0]["cascade"]["engagements_by_step"] == {"1": 8, "2": 12, "3": 4, "4": 4}
    assert data["stimuli"][0]["cascade"]["engaged_persona_ids"][:2] == ["p00", "p01"]
    assert data["responses"][0]["sentiment"] in ("positive", "neutral", "negative")


def test_outcome_metrics_cover_the_declared_directions(report):
    metrics = report.outcome_metrics()
    assert set(metrics) == set(OUTCOME_METRICS)
    assert metrics["negative_share"] == pytest.approx(12 / 18)
    assert metrics["engagement_rate"] == pytest.approx(28 / 200)
    assert metrics["cascade_size"] == 28.0


def test_segment_keys_keep_categorical_traits_only():
    run = backlash_run()
    assert segment_keys(run.personas) == ["age_group", "gender"]


def test_which_variant_causes_backlash_across_seeded_replicates():
    """Ten seeds of the original ad against ten of "she buys it for herself"."""
    rng = np.random.default_rng(12)

    def replicate(variant: str) -> dict[str, float | None]:
        if variant == "A":
            critics = list(rng.choice(ACCUSATIONS, size=int(rng.integers(5, 10)), replace=False))
            jokes = list(rng.choice(JOKES, size=int(rng.integers(1, 4)), replace=False))
            fans = list(rng.choice(FANS, size=int(rng.integers(1, 4)), replace=False))
            run = build_run(AD_TEXT, critics[:3] + fans, critics[3:] + jokes, 2, 3)
        else:
            fans = list(rng.choice(SELF_GIFT_REPLIES, size=int(rng.integers(4, 8)), replace=False))
            critics = list(rng.choice(ACCUSATIONS, size=int(rng.integers(0, 2)), replace=False))
            run = build_run(SELF_GIFT_TEXT, fans + critics, [], 6, 8, variant="B")
        return build_report(run.posts, run.actions, run.personas, segments=()).outcome_metrics()

    data = {v: [replicate(v) for _ in range(10)] for v in ("A", "B")}
    verdict = compare_variants(data, "A", OUTCOME_METRICS, seed=1)
    by_metric = {c.metric: c for c in verdict.comparisons}
    negative = by_metric["negative_share"]
    assert negative.significant and negative.a_is_better
    assert negative.verdict.startswith("B is better than A on negative_share")
    assert by_metric["accusation_share"].significant and by_metric["backlash_score"].a_is_better
    assert "B is better than A" in verdict.summary


def test_quiet_last_steps_still_get_a_row():
    run = backlash_run()
    last_seen = max(a.step for a in run.actions)
    plain = build_report(run.posts, run.actions, run.personas, impressions=run.impressions)
    longer = build_report(
        run.posts, run.actions, run.personas, impressions=run.impressions, steps_taken=last_seen + 3
    )
    assert [s.step for s in plain.steps] == list(range(last_seen + 1))
    assert [s.step for s in longer.steps] == list(range(last_seen + 3))
    assert longer.steps[-1].engagements == 0 and longer.steps[-1].impressions == 0
