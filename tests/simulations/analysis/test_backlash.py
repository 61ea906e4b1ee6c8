"""Backlash risk: high on the original ad, low on a praised variant with enough replies, signals by the documented thresholds."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from simulations.analysis.backlash import (
    MIN_RESPONSES,
    NEGATIVE_SHARE_THRESHOLDS,
    RiskLevel,
    assess_backlash,
    negative_growth,
)
from simulations.analysis.records import ActionKind, ActionRecord, PersonaRecord, PostKind, PostRecord
from simulations.analysis.sentiment import label_responses
from tests.support.peloton import SELF_GIFT_REPLIES, SELF_GIFT_TEXT, backlash_run, build_run, praise_run


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


def test_the_self_gift_variant_with_enough_replies_is_low_risk():
    run = build_run(SELF_GIFT_TEXT, SELF_GIFT_REPLIES * 2, quotes=(), reposts=10, likes_on_stimulus=12)
    result = assess(run)
    assert result.level is RiskLevel.LOW and result.label == "LOW"
    assert result.negative_share == 0.0 and result.accusation_share == 0.0
    assert result.quote_repost_ratio == 0.0
    assert result.amplifiers == ()
    assert result.summary == "Backlash risk: LOW. 0% of 16 replies and quotes were negative."


def test_eight_friendly_replies_are_not_enough_data_for_a_level():
    result = assess(praise_run())
    assert result.level is RiskLevel.NOT_ENOUGH_DATA and result.label == "not enough data (n=8)"
    assert result.summary == (
        "Backlash risk: not enough data (n=8). 0% of 8 replies and quotes were negative. "
        f"A risk level needs at least {MIN_RESPONSES} replies and quotes."
    )


def test_the_minimum_is_where_a_unanimous_sample_rules_out_the_first_threshold():
    """The docstring's reason, checked: at the minimum, no negatives out of n puts the 95% Wilson
    upper bound under 20%; one response fewer does not."""
    first = NEGATIVE_SHARE_THRESHOLDS[0]
    assert proportion_confint(0, MIN_RESPONSES, method="wilson")[1] < first
    assert proportion_confint(0, MIN_RESPONSES - 1, method="wilson")[1] >= first


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


def test_nobody_answering_is_not_enough_data_with_a_plain_summary():
    ad = PostRecord("s", "brand", PostKind.POST, "Buy the bike", 0, is_stimulus=True)
    result = assess_backlash([ad], [], [], [PersonaRecord("p1")])
    assert result.level is RiskLevel.NOT_ENOUGH_DATA and result.responses == 0
    assert result.label == "not enough data (n=0)"
    assert result.negative_share is None
    assert result.summary == (
        "Backlash risk: not enough data (n=0). Nobody replied to or quoted the stimulus, "
        "so there is nothing to read as backlash."
    )


def test_one_response_headlines_no_level():
    ad = PostRecord("s", "brand", PostKind.POST, "Buy the bike", 0, is_stimulus=True)
    posts = [ad, PostRecord("r", "p1", PostKind.REPLY, "So sexist.", 1, parent_id="s", root_id="s")]
    result = assess_backlash(posts, [], label_responses(posts))
    assert not result.enough_evidence and result.level is RiskLevel.NOT_ENOUGH_DATA
    assert result.summary.startswith("Backlash risk: not enough data (n=1). 100% of 1 replies")
    assert result.summary.endswith(f"A risk level needs at least {MIN_RESPONSES} replies and quotes.")


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
