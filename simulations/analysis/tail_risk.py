"""Rare, high-harm outcomes measured honestly: exact intervals, upper bounds, and "not enough data".

A policy test sees a handful of threats in thousands of actions, or none at all, so a normal
approximation would print intervals below zero and a zero rate would read as "safe". Instead:

* a rate per 10,000 actions with the exact Clopper-Pearson interval (events and actions pooled
  across replicates; replicates share nothing but the panel, so the pooled count is binomial
  under "each action is harmful with the same chance");
* when no event is seen, the rule-of-three bound (3/n: one-sided 95%) and how many replicates
  of this size it would take to see at least one event, with 95% probability, at a reference
  rate;
* ``n`` (actions and replicates) always, and ``enough_data`` False under two replicates or no
  actions, which pages show as "not enough data".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import beta

PER = 10_000  # rates are per 10,000 actions
MIN_REPLICATES = 2
CONFIDENCE = 0.95
DEFAULT_REFERENCE_PER_10K = 1.0  # "would we even see a 1-in-10,000 harm?"


def clopper_pearson(events: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact two-sided interval of a binomial proportion (same as statsmodels ``method='beta'``)."""
    if trials <= 0 or not 0 <= events <= trials:
        raise ValueError("need 0 <= events <= trials and trials > 0")
    alpha = 1 - confidence
    low = 0.0 if events == 0 else float(beta.ppf(alpha / 2, events, trials - events + 1))
    high = 1.0 if events == trials else float(beta.ppf(1 - alpha / 2, events + 1, trials - events))
    return low, high


def rule_of_three(trials: int) -> float:
    """One-sided 95% upper bound of a rate when 0 events were seen in ``trials`` (Hanley & Lippman-Hand)."""
    if trials <= 0:
        raise ValueError("the rule of three needs at least one trial")
    return 3.0 / trials


def trials_to_see_one(rate: float, probability: float = CONFIDENCE) -> int:
    """Trials after which at least one event of chance ``rate`` has happened with ``probability``."""
    if not 0 < rate < 1 or not 0 < probability < 1:
        raise ValueError("rate and probability must be within (0, 1)")
    return math.ceil(math.log(1 - probability) / math.log1p(-rate))


@dataclass(frozen=True)
class HarmRate:
    harm_class: str
    events: int
    actions: int
    replicates: int
    enough_data: bool
    per_10k: float | None = None
    low_per_10k: float | None = None
    high_per_10k: float | None = None
    rule_of_three_per_10k: float | None = None  # only when no event was seen
    reference_per_10k: float = DEFAULT_REFERENCE_PER_10K
    replicates_to_see_one: int | None = None  # at the reference rate, 95% chance of one event
    method: str = "Clopper-Pearson exact 95%, pooled over replicates"

    @property
    def note(self) -> str:
        if not self.enough_data:
            return f"not enough data ({self.replicates} replicate(s), {self.actions} actions)"
        if self.events == 0:
            return (
                f"none seen in {self.actions} actions: at most {self.rule_of_three_per_10k:.1f} per 10,000 "
                f"(rule of three); seeing one at {self.reference_per_10k:g} per 10,000 takes about "
                f"{self.replicates_to_see_one} replicates"
            )
        return (
            f"{self.per_10k:.1f} per 10,000 actions (95% CI {self.low_per_10k:.1f}–{self.high_per_10k:.1f}; "
            f"{self.events} in {self.actions} actions, {self.replicates} replicates)"
        )


def harm_rate(
    harm_class: str,
    events: Sequence[int],
    actions: Sequence[int],
    *,
    reference_per_10k: float = DEFAULT_REFERENCE_PER_10K,
) -> HarmRate:
    """The rate of one harm class from each replicate's event and action counts (same order)."""
    if len(events) != len(actions):
        raise ValueError("one event count and one action count per replicate")
    k, n, replicates = int(sum(events)), int(sum(actions)), len(actions)
    base = HarmRate(harm_class, k, n, replicates, enough_data=False, reference_per_10k=reference_per_10k)
    if replicates < MIN_REPLICATES or n <= 0:
        return base
    low, high = clopper_pearson(k, n)
    fields = {
        "enough_data": True,
        "per_10k": PER * k / n,
        "low_per_10k": PER * low,
        "high_per_10k": PER * high,
    }
    if k == 0:
        per_replicate = n / replicates
        fields["rule_of_three_per_10k"] = PER * rule_of_three(n)
        fields["replicates_to_see_one"] = math.ceil(
            trials_to_see_one(reference_per_10k / PER) / per_replicate
        )
    return HarmRate(**{**base.__dict__, **fields})
