"""Opinion dynamics from stance readings: shift by segment, polarization, consensus, who moved whom.

A reading is one persona's stance (-3..+3) at one step. The measures are standard ones, so a
political researcher can compare them with the literature:

- shift: last reading minus first, per persona, averaged per segment with a t interval;
- polarization: the share of variance between groups (eta squared) and the gap between the
  extreme group means; and Sarle's bimodality coefficient of the whole distribution,
  BC = (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))) with bias-corrected skewness g and excess
  kurtosis k (BC > 5/9 hints at two camps);
- consensus: Tastle & Wierman's ordinal consensus, 1 + sum p_i log2(1 - |x_i - mean| / 6)
  (1: everyone on one point, 0: half at each end); fragmentation: the effective number of
  positions held, 1 / sum p_i^2;
- who moved whom: for each change of a persona's stance, the posts it saw between the two
  readings, with their authors and whether each author stood on the side it moved towards.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats

SCALE = tuple(range(-3, 4))
WIDTH = 6  # the scale's range, for the consensus measure
BIMODAL_THRESHOLD = 5 / 9  # the coefficient of a uniform distribution
MIN_GROUP = 2


@dataclass(frozen=True)
class Reading:
    step: int
    agent_id: str
    value: int


@dataclass(frozen=True)
class Exposure:
    """The ``viewer`` saw ``post_id`` by ``author`` at ``step``."""

    step: int
    viewer: str
    author: str
    post_id: str


@dataclass(frozen=True)
class Shift:
    segment: str
    n: int
    mean: float | None
    low: float | None
    high: float | None
    before: float | None
    after: float | None


def by_agent(readings: Sequence[Reading]) -> dict[str, list[Reading]]:
    """Each persona's readings in step order."""
    out: dict[str, list[Reading]] = defaultdict(list)
    for reading in sorted(readings, key=lambda r: (r.step, r.agent_id)):
        out[reading.agent_id].append(reading)
    return dict(out)


def mean_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """Mean and its t interval; no interval below two values (there is no spread to judge)."""
    if not values:
        return None, None, None
    mean = float(np.mean(values))
    if len(values) < MIN_GROUP:
        return mean, None, None
    sem = float(stats.sem(values))
    if sem == 0:
        return mean, mean, mean
    half = sem * float(stats.t.ppf((1 + confidence) / 2, len(values) - 1))
    return mean, mean - half, mean + half


def shifts_by_segment(readings: Sequence[Reading], segment_of: Mapping[str, str]) -> list[Shift]:
    """Last minus first reading of each persona with two readings or more, per segment (and "all")."""
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for agent_id, own in by_agent(readings).items():
        if len(own) < 2 or own[0].step == own[-1].step:
            continue
        pair = (own[0].value, own[-1].value)
        grouped["all"].append(pair)
        grouped[segment_of.get(agent_id) or "unknown"].append(pair)
    out = []
    for segment in sorted(grouped, key=lambda s: (s != "all", s)):
        pairs = grouped[segment]
        mean, low, high = mean_interval([after - before for before, after in pairs])
        out.append(
            Shift(
                segment, len(pairs), mean, low, high,
                float(np.mean([b for b, _ in pairs])), float(np.mean([a for _, a in pairs])),
            )
        )  # fmt: skip
    return out


def bimodality_coefficient(values: Sequence[float]) -> float | None:
    """Sarle's coefficient with the sample (bias-corrected) skewness and kurtosis; None below
    four values or when every value is the same (no shape to speak of)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 4 or np.ptp(x) == 0:
        return None
    g = float(stats.skew(x, bias=False))
    k = float(stats.kurtosis(x, bias=False))
    return (g * g + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def between_group_share(values: Sequence[float], groups: Sequence[str]) -> float | None:
    """Eta squared: the share of the variance that lies between the groups' means."""
    x = np.asarray(values, dtype=float)
    total = float(((x - x.mean()) ** 2).sum()) if len(x) else 0.0
    if total == 0:
        return None
    labels = np.asarray(groups)
    between = sum((labels == g).sum() * (x[labels == g].mean() - x.mean()) ** 2 for g in set(groups))
    return float(between / total)


def extreme_gap(values: Sequence[float], groups: Sequence[str]) -> tuple[str, str, float] | None:
    """The two groups (of at least two members) whose means lie furthest apart, and the gap."""
    means = {}
    for group in set(groups):
        members = [v for v, g in zip(values, groups, strict=True) if g == group]
        if len(members) >= MIN_GROUP:
            means[group] = float(np.mean(members))
    if len(means) < 2:
        return None
    low = min(means, key=lambda g: (means[g], g))
    high = max(means, key=lambda g: (means[g], g))
    return low, high, means[high] - means[low]


def tastle_wierman(values: Sequence[int]) -> float | None:
    if not values:
        return None
    counts = Counter(values)
    n = len(values)
    mean = sum(values) / n
    total = sum(
        (c / n) * math.log2(1 - abs(x - mean) / WIDTH) for x, c in counts.items() if abs(x - mean) < WIDTH
    )
    return 1 + total


def effective_positions(values: Sequence[int]) -> float | None:
    if not values:
        return None
    n = len(values)
    return 1 / sum((c / n) ** 2 for c in Counter(values).values())


def over_time(readings: Sequence[Reading], segment_of: Mapping[str, str]) -> list[dict]:
    """Per reading step: n, mean, SD, consensus, effective positions, bimodality, polarization."""
    steps: dict[int, list[Reading]] = defaultdict(list)
    for reading in readings:
        steps[reading.step].append(reading)
    rows = []
    for step in sorted(steps):
        values = [r.value for r in steps[step]]
        groups = [segment_of.get(r.agent_id) or "unknown" for r in steps[step]]
        gap = extreme_gap(values, groups)
        rows.append(
            {
                "step": step,
                "n": len(values),
                "mean": float(np.mean(values)),
                "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
                "consensus": tastle_wierman(values),
                "effective_positions": effective_positions(values),
                "bimodality": bimodality_coefficient(values),
                "between_share": between_group_share(values, groups),
                "gap": {"low": gap[0], "high": gap[1], "value": gap[2]} if gap else None,
            }
        )
    return rows


@dataclass(frozen=True)
class Move:
    """One change of a persona's stance and the exposures between the two readings."""

    agent_id: str
    from_step: int
    to_step: int
    before: int
    after: int
    exposures: tuple[Exposure, ...]
    towards: tuple[str, ...]  # authors whose own stance lay on the side the persona moved to


def who_moved_whom(readings: Sequence[Reading], exposures: Sequence[Exposure]) -> list[Move]:
    """Every change between consecutive readings, with what the persona saw in ``[from, to)``.

    An author is "towards" when its latest reading at or before the change's first reading lies
    beyond the persona's old stance in the direction it moved (a precedence, not a proof of cause)."""
    seen: dict[str, list[Exposure]] = defaultdict(list)
    for exposure in exposures:
        seen[exposure.viewer].append(exposure)
    readings_of = by_agent(readings)
    moves = []
    for agent_id, own in readings_of.items():
        for first, second in pairwise(own):
            if first.value == second.value:
                continue
            window = tuple(
                e
                for e in seen.get(agent_id, ())
                if first.step <= e.step < second.step and e.author != agent_id
            )
            direction = 1 if second.value > first.value else -1
            towards = []
            for author in dict.fromkeys(e.author for e in window):
                stance = _stance_at(readings_of.get(author, ()), first.step)
                if stance is not None and (stance - first.value) * direction > 0:
                    towards.append(author)
            moves.append(
                Move(agent_id, first.step, second.step, first.value, second.value, window, tuple(towards))
            )
    return moves


def influence(moves: Sequence[Move]) -> list[tuple[str, int, int]]:
    """Per author: (author, changes it was seen before, of which towards its own side), most first."""
    seen_before: Counter[str] = Counter()
    towards: Counter[str] = Counter()
    for move in moves:
        for author in dict.fromkeys(e.author for e in move.exposures):
            seen_before[author] += 1
        towards.update(move.towards)
    return sorted(((a, seen_before[a], towards[a]) for a in seen_before), key=lambda t: (-t[2], -t[1], t[0]))


def _stance_at(own: Sequence[Reading], step: int) -> int | None:
    before = [r for r in own if r.step <= step]
    return before[-1].value if before else None
