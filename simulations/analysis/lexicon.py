"""Cue lexicons: accusations, jokes, support/opposition and agreement markers.

Every label built from these lists can be explained by quoting the cue that fired
("'sexist' -> accusation"). Cues are regular-expression fragments matched on whole words of
the lower-cased text, so "body-shaming", "body shaming" and "bodyshaming" all match one cue.
An accusation or support cue preceded (within three words of the same clause) by a negation
("not sexist", "don't love it") does not count, unless the clause is a question ("How is
this not sexist?" is an accusation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# What people accuse a brand of: the backbone of a backlash.
ACCUSATION_CUES = (
    r"sexis[mt]\w*", r"misogyn\w*", r"body[ -]?sham\w*", r"fat[ -]?sham\w*", r"tone[ -]?deaf",
    r"dystopian", r"toxic", r"offensive", r"problematic", r"creepy", r"controlling", r"abusive",
    r"gaslight\w*", r"racis[mt]\w*", r"homophob\w*", r"transphob\w*", r"ableis[mt]\w*", r"insensitive",
    r"disgusting", r"gross", r"cringe\w*", r"yikes", r"boycott\w*", r"cancel(?:l?ed|l?ing)?",
    r"unfollow\w*", r"unsubscrib\w*", r"shame on", r"who approved", r"out of touch", r"exploit\w*",
    r"manipulat\w*", r"objectif\w*", r"degrading", r"patroniz\w*", r"condescending",
)  # fmt: skip
# Meme and joke patterns: what people will mock rather than argue about.
JOKE_CUES = (
    r"lol\w*", r"lmf?ao\w*", r"rofl", r"haha\w*", r"hehe\w*", r"meme\w*", r"hostage", r"blink twice",
    r"plot twist", r"nobody:?", r"pov:?", r"me irl", r"i can't even", r"imagine", r"energy", r"vibes?",
    r"send help", r"jk", r"the way she", r"\w+ speedrun", r"main character", r"it's giving",
)  # fmt: skip
JOKE_EMOJI = frozenset("😂🤣💀😭🙃🤡😬")
# Explicit support of the content (toward the stimulus, not toward a critic).
SUPPORT_CUES = (
    r"love (?:it|this|mine|my)", r"great (?:ad|gift|idea|bike|product)", r"best gift", r"want one",
    r"buying (?:one|it)", r"ordered", r"ordering", r"well done", r"beautiful", r"inspiring", r"empower\w*",
    r"good for her", r"proud", r"brilliant", r"nailed it", r"sign me up", r"take my money", r"motivat\w*",
    r"amazing", r"recommend\w*", r"life[ -]?chang\w*",
)  # fmt: skip
# A reply that only agrees with / contradicts what it answers ("Exactly.", "No, it isn't").
AGREEMENT_MARKERS = (
    r"exactly", r"agreed?", r"this", r"so true", r"100%", r"same", r"yes+", r"preach", r"facts",
    r"\+1", r"true", r"right", r"well said", r"couldn't agree more",
)  # fmt: skip
DISAGREEMENT_MARKERS = (
    r"no+", r"nope", r"disagree\w*", r"wrong", r"not really", r"nah", r"not at all",
    r"hard disagree", r"absolutely not",
)  # fmt: skip
NEGATIONS = frozenset(
    (
        "not",
        "no",
        "never",
        "isn't",
        "wasn't",
        "aren't",
        "don't",
        "doesn't",
        "didn't",
        "can't",
        "won't",
        "hardly",
    )
)


def _compile(cues: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])(?:" + "|".join(cues) + r")(?![\w])")


_ACCUSATION_RE = _compile(ACCUSATION_CUES)
_JOKE_RE = _compile(JOKE_CUES)
_SUPPORT_RE = _compile(SUPPORT_CUES)
# A marker counts only as the whole opening clause: "This!" agrees, "This ad is sexist" does not.
_CLAUSE_END = r"(?:\s+this)?\s*(?:[^\w\s]|$)"
_AGREE_START_RE = re.compile(r"^\W*(?:" + "|".join(AGREEMENT_MARKERS) + ")" + _CLAUSE_END)
_DISAGREE_START_RE = re.compile(r"^\W*(?:" + "|".join(DISAGREEMENT_MARKERS) + ")" + _CLAUSE_END)
_WORD_RE = re.compile(r"[\w'’]+")
_CLAUSE_BREAK_RE = re.compile(r"[.!?;,:]")


def normalize(text: str) -> str:
    return text.lower().replace("’", "'")


def _negated(text: str, start: int, end: int) -> bool:
    """A negation among the three words before the cue, within the same clause.

    A question is rhetorical ("How is this not sexist?"), so a negation there does not count.
    """
    clause = _CLAUSE_BREAK_RE.split(text[:start])[-1]
    closing = _CLAUSE_BREAK_RE.search(text, end)
    if closing is not None and closing.group(0) == "?":
        return False
    return any(w in NEGATIONS for w in _WORD_RE.findall(clause)[-3:])


def _matches(pattern: re.Pattern[str], text: str, allow_negated: bool) -> tuple[str, ...]:
    lowered = normalize(text)
    return tuple(
        m.group(0)
        for m in pattern.finditer(lowered)
        if allow_negated or not _negated(lowered, m.start(), m.end())
    )


def accusation_cues(text: str) -> tuple[str, ...]:
    """Accusation cues in ``text`` that are not negated ("sexist", "tone-deaf")."""
    return _matches(_ACCUSATION_RE, text, allow_negated=False)


def joke_cues(text: str) -> tuple[str, ...]:
    """Joke/meme cues, joking emoji included ("lol", "hostage", "😂")."""
    found = _matches(_JOKE_RE, text, allow_negated=True)
    return found + tuple(ch for ch in dict.fromkeys(text) if ch in JOKE_EMOJI)


def support_cues(text: str) -> tuple[str, ...]:
    return _matches(_SUPPORT_RE, text, allow_negated=False)


def opens_with_agreement(text: str) -> bool:
    """True when the text starts by agreeing ("Exactly.", "This!", "So true")."""
    return bool(_AGREE_START_RE.match(normalize(text)))


def opens_with_disagreement(text: str) -> bool:
    """True when the text starts by contradicting ("No, ...", "Nope", "Hard disagree")."""
    return bool(_DISAGREE_START_RE.match(normalize(text)))
