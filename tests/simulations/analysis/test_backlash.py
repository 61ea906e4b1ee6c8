"""Backlash risk: high on the original ad, low on the praised variant, signals by the documented thresholds."""

from __future__ import annotations

import pytest

from simulations.analysis.backlash import (
    RiskLevel,
    assess_backlash,
    negative_growth,
)
from simulations.analysis.records import ActionKind, ActionRecord, PersonaRecord, PostKind, PostRecord
from simulations.analysis.sentiment import label_responses
from tests.support.peloton import backlash_run, praise_run


def assess(run):
    return assess_backlash(run.posts, run.actions, label_responses(run.posts), run.personas)


def test_the_original_ad_is_high_risk_or_worse():
    result = assess(backlash_run())
    assert result.level in (RiskLevel.HIGH, RiskLevel.SEVERE)
    assert result.responses == 18
    assert result.negative_share == pytest.approx(12 / 18)  # the twelve accusations
    assert result.quote_repost_ratio == 5.0  # ten quotes, two reposts
    assert result.accusation_share == pytest.approx(12 / 18)
    assert result.top_accusations[:2] == ("sexist", "body shaming")  # in 12 and 11 texts
    assert result.enough_evidence


def test_the_self_gift_variant_is_low_risk():
    result = assess(praise_run())
    assert result.level is RiskLevel.LOW
    assert result.negative_share == 0.0 and result.accusation_share == 0.0
    assert result.quote_repost_ratio == 0.0
    assert result.amplifiers == ()
    assert result.summary == "Backlash risk: LOW. 0% of 8 replies and quotes were negative."


def test_signal_points_follow_the_thresholds_and_weights():
    result = assess(backlash_run())
    points = {s.name: s.points for s in result.signals}
    # negative share 0.67 >= 0.5: 3; quotes/reposts 5 >= 2: 3; accusations 0.67 >= 0.3: 3
    assert points["negative_share"] == points["quote_repost_ratio"] == points["accusation_share"] == 3
    growth = next(s for s in result.signals if s.name == "negative_growth")
    assert growth.points == sum(1 for t in growth.thresholds if growth.value >= t)
    assert result.score == pytest.approx((2 * 3 + 3 + growth.points + 3) / 5)


def test_the_summary_is_built_from_the_numbers():
    result = assess(backlash_run())
    assert result.summary.startswith(f"Backlash risk: {result.level.upper()}. 67% of 18 replies and quotes")
    assert "quoted 5.0 times per repost" in result.summary
    assert '67% made accusations (most often "sexist", "body shaming"' in result.summary
    assert "Biggest amplifier: @user00 (1 critical post drew 5 engagements from 5 people)." in result.summary


def test_amplifiers_rank_critical_authors_by_engagement_below_their_posts():
    run = backlash_run()
    extra_posts = (PostRecord("re", "p30", PostKind.REPLY, "Exactly.", 3, parent_id="r1", root_id="s"),)
    extra_actions = (
        ActionRecord(3, "p30", ActionKind.REPLY, "r1", "re", "Exactly."),
        ActionRecord(4, "p31", ActionKind.LIKE, "re"),
        ActionRecord(4, "p32", ActionKind.LIKE, "r1", outcome="error: timeout"),
    )
    posts, actions = run.posts + extra_posts, run.actions + extra_actions
    result = assess_backlash(posts, actions, label_responses(posts), run.personas)
    top = result.amplifiers[0]
    assert (top.persona_id, top.handle) == ("p00", "user00")
    assert top.engagements == 5 and top.reach == 5
    second = result.amplifiers[1]
    assert (second.persona_id, second.engagements, second.reach) == ("p01", 2, 2)  # p30's reply, p31's like
    assert second.example.startswith("Sexist and body shaming")


def test_nobody_answering_is_low_risk_with_a_plain_summary():
    ad = PostRecord("s", "brand", PostKind.POST, "Buy the bike", 0, is_stimulus=True)
    result = assess_backlash([ad], [], [], [PersonaRecord("p1")])
    assert result.level is RiskLevel.LOW and result.responses == 0
    assert result.negative_share is None
    assert result.summary == (
        "Backlash risk: LOW. Nobody replied to or quoted the stimulus, so there is nothing to read as backlash."
    )


def test_few_responses_are_called_a_weak_signal():
    ad = PostRecord("s", "brand", PostKind.POST, "Buy the bike", 0, is_stimulus=True)
    posts = [ad, PostRecord("r", "p1", PostKind.REPLY, "So sexist.", 1, parent_id="s", root_id="s")]
    result = assess_backlash(posts, [], label_responses(posts))
    assert not result.enough_evidence
    assert result.summary.endswith("Based on only 1 response: treat this as a weak signal.")


def test_responses_to_another_stimulus_are_left_out():
    run = backlash_run()
    result = assess_backlash(
        run.posts, run.actions, label_responses(run.posts), stimulus_post_ids={"elsewhere"}
    )
    assert result.responses == 0


def test_negative_growth_is_a_relative_least_squares_slope():
    assert negative_growth([1, 2, 2, 3, 3, 3], 1, 3) == pytest.approx(
        1.0 / 2.0
    )  # counts 1,2,3: slope 1, mean 2
    assert negative_growth([1, 1, 1], 1, 1) is None  # one step: no slope
    assert negative_growth([], 0, 4) is None
    assert negative_growth([0, 0, 3], 0, 3) < 0  # fading
