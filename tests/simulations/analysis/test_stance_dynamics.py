"""Opinion-dynamics measures against values worked out by hand, and the stance honesty checks."""

from __future__ import annotations

import math

import pytest

from simulations.analysis.stance_dynamics import (
    BIMODAL_THRESHOLD,
    Exposure,
    Reading,
    between_group_share,
    bimodality_coefficient,
    effective_positions,
    extreme_gap,
    influence,
    over_time,
    shifts_by_segment,
    tastle_wierman,
    who_moved_whom,
)
from simulations.analysis.stance_honesty import agree_check, spread_check


def test_bimodality_two_camps_by_hand():
    # n=10, g=0, population excess kurtosis -2 -> sample G2 = ((11)(-2)+6)*9/(8*7) = -18/7;
    # BC = 1 / (-18/7 + 3*81/56) = 1 / (243/56 - 144/56) = 56/99
    value = bimodality_coefficient([-3] * 5 + [3] * 5)
    assert value == pytest.approx(56 / 99)
    assert value > BIMODAL_THRESHOLD


def test_bimodality_one_peak_by_hand():
    # [0]*8 + [-1, 1]: m2 = 0.2, m4 = 0.2, g2 = 2 -> G2 = (11*2+6)*9/56 = 4.5; BC = 1/(4.5 + 243/56)
    value = bimodality_coefficient([0] * 8 + [-1, 1])
    assert value == pytest.approx(1 / (4.5 + 243 / 56))
    assert value < BIMODAL_THRESHOLD
    assert bimodality_coefficient([1, 1, 1, 1, 1]) is None


def test_consensus_and_fragmentation_by_hand():
    assert tastle_wierman([-3, 3, -3, 3]) == pytest.approx(0.0)  # half at each end
    assert tastle_wierman([2, 2, 2]) == pytest.approx(1.0)
    # mean 0; |x|/6 = 1/6 for +-1: 1 + log2(5/6)
    assert tastle_wierman([-1, 1]) == pytest.approx(1 + math.log2(5 / 6))
    assert effective_positions([-3, -3, 3, 3]) == pytest.approx(2.0)
    assert effective_positions([0, 0, 0, 1]) == pytest.approx(1 / (0.75**2 + 0.25**2))


def test_between_group_share_and_gap_by_hand():
    assert between_group_share([1, 1, 3, 3], ["a", "a", "b", "b"]) == pytest.approx(1.0)
    assert between_group_share([1, 3, 1, 3], ["a", "a", "b", "b"]) == pytest.approx(0.0)
    # means a=-2, b=0, c=2.5: SS total = ... between share = sum n_g (mean_g - mean)^2 / SS
    values, groups = [-3, -1, 0, 0, 2, 3], ["a", "a", "b", "b", "c", "c"]
    mean = sum(values) / 6
    ss = sum((v - mean) ** 2 for v in values)
    between = 2 * ((-2 - mean) ** 2 + (0 - mean) ** 2 + (2.5 - mean) ** 2)
    assert between_group_share(values, groups) == pytest.approx(between / ss)
    assert extreme_gap(values, groups) == ("a", "c", pytest.approx(4.5))


def test_shift_by_segment_with_t_interval():
    readings = [
        Reading(0, "A", -2), Reading(4, "A", 0), Reading(0, "D", -1), Reading(4, "D", 0),
        Reading(0, "B", 2), Reading(4, "B", 1), Reading(0, "E", 3), Reading(4, "E", 1),
        Reading(0, "F", 1),  # one reading only: no shift to count
    ]  # fmt: skip
    party = {"A": "Democrat", "D": "Democrat", "B": "Republican", "E": "Republican", "F": "Democrat"}
    shifts = {s.segment: s for s in shifts_by_segment(readings, party)}
    dem = shifts["Democrat"]
    assert (dem.n, dem.mean, dem.before, dem.after) == (2, 1.5, -1.5, 0.0)
    assert dem.low == pytest.approx(1.5 - 12.7062 * 0.5, abs=1e-3)  # t(0.975, 1) * sem
    assert shifts["Republican"].mean == -1.5
    assert shifts["all"].n == 4 and shifts["all"].mean == 0.0


def test_over_time_rows():
    readings = [Reading(0, a, v) for a, v in zip("ABCD", [-3, -3, 3, 3], strict=True)]
    readings += [Reading(5, a, 0) for a in "ABCD"]
    rows = over_time(readings, {"A": "d", "B": "d", "C": "r", "D": "r"})
    assert [r["step"] for r in rows] == [0, 5]
    assert rows[0]["consensus"] == pytest.approx(0.0) and rows[1]["consensus"] == pytest.approx(1.0)
    assert rows[0]["between_share"] == pytest.approx(1.0) and rows[1]["between_share"] is None
    assert rows[1]["sd"] == 0.0


def test_who_moved_whom_on_a_hand_made_sequence():
    readings = [
        Reading(0, "A", -2), Reading(2, "A", 0),
        Reading(0, "B", 2), Reading(2, "B", 2),
        Reading(0, "C", -3), Reading(2, "C", -3),
    ]  # fmt: skip
    exposures = [
        Exposure(0, "A", "B", "p1"),
        Exposure(1, "A", "C", "p2"),
        Exposure(1, "A", "A", "p3"),  # one's own post is no exposure
        Exposure(2, "A", "B", "p4"),  # after the second reading: too late to count
        Exposure(1, "B", "C", "p2"),  # B did not move
    ]
    moves = who_moved_whom(readings, exposures)
    assert len(moves) == 1
    move = moves[0]
    assert (move.agent_id, move.before, move.after) == ("A", -2, 0)
    assert [e.post_id for e in move.exposures] == ["p1", "p2"]
    assert move.towards == ("B",)  # B stood at +2, on the side A moved to; C at -3 did not
    assert influence(moves) == [("B", 1, 1), ("C", 1, 0)]


def test_spread_check_flags_a_collapsed_distribution_not_a_matching_one():
    reference = [-3, -2, -1, 0, 1, 2, 3] * 3
    collapsed = spread_check([0, 0, 0, 1, -1, 0, 0, 0, 1, -1, 0, 0], reference, seed=1)
    assert collapsed is not None and collapsed.collapsed
    assert collapsed.simulated_sd < collapsed.reference_sd and collapsed.high < collapsed.reference_sd
    matching = spread_check(reference, reference, seed=1)
    assert matching is not None and not matching.collapsed
    assert matching.ratio == pytest.approx(1.0)
    assert spread_check([0, 1], reference) is None  # too few to judge


def test_agree_check_flags_everyone_agreeing():
    reference_sides = [-2, -1, 0, 1, 2] * 4  # 40% on the agreeing side
    assert agree_check([2, 1, 3, 2, 1, 2, 1, 2, 3, 1, 2, 2], reference_sides).too_agreeable
    assert not agree_check([-2, -1, 0, 1, 2] * 2, reference_sides).too_agreeable
