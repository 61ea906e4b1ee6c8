"""The rule policy's answer to a stance poll: a stance from who the persona is and what it read.

A stance poll asks for a position on the run's question on a -3..+3 scale and one sentence. A
model answers it from the persona card; the rule policy (no model) needs a rule, and this is
it, stated so a reader can judge it:

    prior  = the persona's stated stance when it has one, else its left-right position
             (ideology, then party) turned towards the side the question leans to;
    heard  = the priors of the authors whose posts the persona read (the exposures);
    stance = round((1 - w) * prior + w * mean(heard) + noise),  w = PULL * min(1, n / FULL_PULL_AT)

a DeGroot-style pull towards what one read. PULL and the noise are assumptions, not estimates:
the report marks rule-policy readings as such. Same seed, same answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from simnet.llm.base import Situation

STANCE_POLL = "stance_poll"  # Situation.format of a poll request
DELIBERATION = "deliberation"  # Situation.format of a turn in a deliberation's discussion
SPEAK_CHANCE = 0.8  # a rule participant asked by the moderator speaks this often, else passes
SCALE = (-3, -2, -1, 0, 1, 2, 3)
SIDES = ("left", "right")  # which end of the left-right scale tends to agree with the question
PULL = 0.3
FULL_PULL_AT = 5  # exposures at which the pull reaches PULL
NOISE_SD = 0.45
SIDE_KEY = "poll_agree_side"  # Situation.traits keys the engine adds to a poll request
HEARD_KEY = "poll_heard"

# Left (-) to right (+) on the poll's 7-point scale; ANES labels 7 points, CCES (tv16) 5.
IDEOLOGY_POSITION: Mapping[str, float] = {
    "extremely liberal": -3, "very liberal": -3, "liberal": -2, "slightly liberal": -1,
    "moderate": 0, "slightly conservative": 1, "conservative": 2, "very conservative": 3,
    "extremely conservative": 3,
}  # fmt: skip
PARTY_ID_POSITION: Mapping[str, float] = {
    "strong democrat": -2.5, "weak democrat": -1.5, "independent-democrat": -1, "lean democrat": -1,
    "independent-independent": 0, "independent": 0, "independent-republican": 1, "lean republican": 1,
    "weak republican": 1.5, "strong republican": 2.5,
}  # fmt: skip
PARTY_POSITION: Mapping[str, float] = {"democrat": -1.5, "independent": 0, "republican": 1.5}
STATED_STANCE: Mapping[str, float] = {
    "strongly support": 3, "support": 2, "lean support": 1, "neutral": 0, "undecided": 0, "mixed": 0,
    "lean oppose": -1, "oppose": -2, "strongly oppose": -3, "for": 2, "against": -2,
}  # fmt: skip
# Word stems of a stance written as a sentence, with the side they put it on (first one found wins).
WORDED_CUES = (
    ("oppos", -2.0), ("against", -2.0), ("reject", -2.0), ("skeptic", -1.0), ("sceptic", -1.0),
    ("worried", -1.0), ("concern", -1.0), ("support", 2.0), ("favo", 2.0), ("backs", 2.0), ("backing", 2.0),
    ("welcom", 2.0), ("champion", 2.0), ("neutral", 0.0), ("undecided", 0.0),
)  # fmt: skip


def left_right(traits: Mapping[str, Any]) -> float | None:
    """The persona's left-right position (-3..3) from its survey answers; None when it has none."""
    for key, table in (
        ("ideology_detail", IDEOLOGY_POSITION),
        ("ideology", IDEOLOGY_POSITION),
        ("party_id", PARTY_ID_POSITION),
        ("party", PARTY_POSITION),
    ):
        value = table.get(str(traits.get(key, "")).strip().lower())
        if value is not None:
            return float(value)
    return None


def stated_stance(traits: Mapping[str, Any]) -> float | None:
    """A stance the persona states outright (``traits["stance"]``: a number or a word); None if none."""
    stance = traits.get("stance")
    if isinstance(stance, bool) or stance is None:
        return None
    if isinstance(stance, (int, float)):
        return float(max(-3, min(3, stance)))
    text = str(stance).strip().lower()
    if text in STATED_STANCE:
        return STATED_STANCE[text]
    return _worded_stance(text)


def _worded_stance(text: str) -> float | None:
    """A stance written in words ("strongly opposes the bypass"): its side from the first cue word,
    doubled strength for "strongly"; None when no cue is found (a stance that is no side)."""
    words = re.findall(r"[a-z]+", text)
    for word in words:
        side = next((value for cue, value in WORDED_CUES if word.startswith(cue)), None)
        if side is not None:
            return side * (1.5 if {"strongly", "firmly", "fiercely"} & set(words) else 1.0)
    return None


def prior_stance(traits: Mapping[str, Any], agree_side: str) -> float:
    """Where the persona starts on the question: stated stance, else left-right turned to the side."""
    stated = stated_stance(traits)
    if stated is not None:
        return stated
    position = left_right(traits)
    if position is None:
        return 0.0
    return -position if agree_side == "left" else position


def rule_stance(prior: float, heard: Sequence[float], rng: random.Random) -> int:
    weight = PULL * min(1.0, len(heard) / FULL_PULL_AT)
    pulled = (1 - weight) * prior + (weight * sum(heard) / len(heard) if heard else 0.0)
    return int(max(-3, min(3, round(pulled + rng.gauss(0.0, NOISE_SD)))))


def rule_poll_answer(situation: Situation, rng: random.Random) -> dict[str, Any]:
    """The poll answer ``{"stance", "sentence"}`` the rule policy gives in ``situation``."""
    side = str(situation.traits.get(SIDE_KEY, "left"))
    heard = [float(h) for h in situation.traits.get(HEARD_KEY, ())]
    prior = prior_stance(situation.traits, side)
    stance = rule_stance(prior, heard, rng)
    who = (
        ", ".join(str(situation.traits[k]) for k in ("party", "ideology") if situation.traits.get(k))
        or "no stated politics"
    )
    moved = f"; read {len(heard)} post(s) by others" if heard else ""
    sentence = f"Rule policy: start at {prior:+.1f} ({who}){moved}, answer {stance:+d}."
    return {"stance": f"{stance:+d}" if stance else "0", "sentence": sentence}


def rule_discussion_answer(situation: Situation, rng: random.Random) -> dict[str, Any]:
    """A rule participant's turn in a moderated group: usually states which way it leans, by template.

    The words say only what the rule knows (the persona's starting side), so a reader of the
    transcript sees a rule policy, not invented arguments."""
    if rng.random() >= SPEAK_CHANCE:
        return {"action": "pass", "target": None, "text": None, "reason": "nothing to add"}
    side = str(situation.traits.get(SIDE_KEY, "left"))
    prior = prior_stance(situation.traits, side)
    lean = "agree" if prior > 0.5 else "disagree" if prior < -0.5 else "am undecided"
    others = [item.author_handle for item in situation.feed[1:] if item.author_id != situation.agent_id]
    target = f"@{others[-1]}" if others else None
    text = f"I {lean} on the question" + (f", {target}" if target else "") + "."
    return {"action": "speak", "target": target, "text": text, "reason": f"rule policy, leaning {prior:+.1f}"}


def rule_answer(situation: Situation, rng: random.Random) -> dict[str, Any] | None:
    """The rule policy's answer for a poll or a deliberation turn; None for other formats."""
    if situation.format == STANCE_POLL:
        return rule_poll_answer(situation, rng)
    if situation.format == DELIBERATION:
        return rule_discussion_answer(situation, rng)
    return None
