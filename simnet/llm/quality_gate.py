"""The quality gate: whether a generated text could pass for something a person wrote.

Small models write junk a reader spots at once: the prompt's own labels ("You:", "Posted:",
"[insert ...]", "P1"), timestamps, the post they answer pasted back, sentences cut at the token
cap. Every check is a plain rule with a named reason, tuned so real people's short, unpunctuated
posts pass (about 4,200 human tweets; tests/simnet/llm/test_quality_gate.py measures the share)
and only text nobody would write is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from simnet.llm.base import LLMRequest, LLMResponse, Situation
from simnet.llm.words import copies, tokenize

REASONS = ("copy", "scaffolding", "digits", "off_topic", "cut", "empty")
KINDS = ("post", "reply", "quote", "reason", "answer")

# The prompts' labels and template leftovers; none of them is something a person posts.
_SCAFFOLDING = (
    re.compile(r"(?<![A-Za-z0-9])P\d{1,2}(?![a-z0-9])"),  # a feed id, also run together: "#P1P2P3"
    re.compile(r"\b(?:You|Posted|Interviewer|Assistant|User|System|Reason|Action|Target|Position)\s*:"),
    re.compile(
        r"\byour own short words?\b|\byour action\?|\byour (?:own|actions?|current \w+|turn|memory)\s*:",
        re.IGNORECASE,
    ),
    re.compile(r"[\[<{]\s*(?:insert|your|name|specific|add|topic|brand|product|detail)\b", re.IGNORECASE),
    re.compile(r"\[[a-z_ ]{1,30}\]"),  # a template slot: "[text]", "[action_type]"
    re.compile(r"\{\{|\}\}|<\||\|>|</?s>"),  # template and chat-format tokens
    re.compile(r"[\"'](?:action|target|text|reason|position)[\"']\s*:", re.IGNORECASE),  # JSON keys
)
# A date with a time ("08/08 21:59", "2022-02-18 12:15") or a time to the second: the prompt's
# clock label pasted into the words, never what a person posts.
_TIMESTAMP = re.compile(r"\b\d{1,4}[/-]\d{1,2}(?:[/-]\d{2,4})?,?\s+\d{1,2}:\d{2}|\b\d{1,2}:\d{2}:\d{2}")
_ID_ONLY = re.compile(r"^[A-Za-z]{1,2}\d+[.!]?$")  # "A3", "s1": an id, not words
# Words of the decision schema: alone, they are a field name echoed back, not a reason.
FIELD_WORDS = frozenset(
    {"position", "reason", "text", "action", "target", "for", "against", "abstain", "speak", "pass", "vote"}
)
_TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*(?=\s|$)")
# Words a finished sentence does not end on: the model stopped mid-phrase.
_DANGLING = frozenset({"the", "a", "an", "and", "or", "of", "my", "your", "his", "their", "our", "its"})
_DANGLING_MARKS = tuple(",;:-–—(/&")
_SHORT_WORDS = frozenset({"a", "i", "u", "x", "o"})  # one-letter words a sentence may end on
DIGIT_SHARE = 0.5  # more than this of the characters and of the tokens are digits: a number, not a text
OFF_TOPIC_MIN_WORDS = 10  # shorter texts ("Love this!") may well share no word with the post
STEM = 5  # words sharing their first five letters count as the same word ("launch", "launched")
REASON_COPY_WORDS = 8  # a shorter reason may repeat the prompt's words: it names what it is about
PROMPT_COPY_RUN = 5  # words in a row from the prompt that make a text a paste of it
HIGH_REJECT_SHARE = 0.10  # a run refusing more than this of its texts deserves a warning


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None = None


PASSED = Verdict(True)


def check_text(text: str, *, answers: str = "", prompt: str = "", kind: str = "post") -> Verdict:
    """Whether ``text`` (a ``kind`` of text answering ``answers``, asked for by ``prompt``) passes.

    ``reason`` names the first rule it breaks: digits, scaffolding, empty, copy, cut, off_topic.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    stripped = text.strip()
    rules = (
        ("digits", lambda: _is_mostly_digits(stripped)),
        ("scaffolding", lambda: _has_scaffolding(stripped, kind, prompt)),
        ("empty", lambda: _is_empty(stripped, kind)),
        ("copy", lambda: _copies_either(stripped, answers, prompt, kind)),
        ("cut", lambda: _is_cut(stripped, kind)),
        ("off_topic", lambda: _is_off_topic(stripped, answers)),
    )
    broken = next((reason for reason, breaks in rules if breaks()), None)
    return PASSED if broken is None else Verdict(False, broken)


def gate_share(rejected: int, checked: int) -> float:
    """The share of checked texts the gate refused (0 when nothing was checked)."""
    return rejected / checked if checked else 0.0


def _is_empty(text: str, kind: str) -> bool:
    """Nothing a reader could take in; a reason or an answer needs at least one word."""
    if kind in ("reason", "answer"):
        return not any(len(word) > 1 for word in tokenize(text))
    return not any(ch.isalnum() or unicodedata.category(ch) == "So" for ch in text)


def _has_scaffolding(text: str, kind: str, prompt: str = "") -> bool:
    if any(pattern.search(text) for pattern in _SCAFFOLDING) or _ID_ONLY.match(text):
        return True
    labels = _labels_of(prompt)
    if any(label in text.lower() for label in labels) or f"{text.lower().strip(' .!:')}:" in labels:
        return True  # a label with its colon anywhere, or the whole text one label ("Vote now")
    return kind == "reason" and text.lower().strip(" .!\"'") in FIELD_WORDS


_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{2,30}):", re.MULTILINE)


def _labels_of(prompt: str) -> set[str]:
    """The labels that open the prompt's lines ("Memory:", "So far:", "Vote now:"), lower-cased
    with their colon: a text that carries one pasted the prompt's layout, not words of its own."""
    return {f"{match.group(1).strip().lower()}:" for match in _LABEL.finditer(prompt)}


def _is_mostly_digits(text: str) -> bool:
    """A date, a time or a score where words were asked for ("Mon, 08/08 21:59:1", "2022-02-18")."""
    if _TIMESTAMP.search(text):
        return True
    chars = [ch for ch in text if ch.isalnum()]
    tokens = _TOKEN.findall(text)
    if not chars or not tokens:
        return False
    char_share = sum(ch.isdigit() for ch in chars) / len(chars)
    token_share = sum(any(ch.isdigit() for ch in token) for token in tokens) / len(tokens)
    return char_share > DIGIT_SHARE and token_share > DIGIT_SHARE


def _copies_either(text: str, answers: str, prompt: str, kind: str) -> bool:
    """The post answered, or a stretch of the prompt, pasted back (``copies`` with the prompt finds
    a long run of its words, since the prompt is much longer than any answer). A short reason
    naming the matter ("cut to engineering jobs") is a reason, not a copy of the agenda."""
    if kind == "reason" and len(tokenize(text)) < REASON_COPY_WORDS:
        prompt = ""
    if answers and copies(text, answers):
        return True
    # A short post naming the persona's own interest ("Thinking about personal finance today.")
    # shares three words in a row with its card: that is a topic, not a paste.
    return bool(prompt) and copies(text, prompt, min_run=PROMPT_COPY_RUN)


def _is_cut(text: str, kind: str) -> bool:
    """Stopped mid-word or mid-phrase. Social posts often end without a full stop, on an emoji,
    a hashtag or a link, so only endings no finished text has count; an interview answer is cut to
    its last full sentence later, so it fails only when it has none."""
    if kind == "reason":
        return text.endswith(_DANGLING_MARKS)
    if kind == "answer" and _SENTENCE_END.search(text):
        return False
    words = text.split()
    last = words[-1] if words else ""
    if last.endswith(_DANGLING_MARKS) and (len(last) == 1 or last[0].isalnum()):  # ":/", "\\o/" are faces
        return True
    if not last.isalpha():
        return False
    return last.lower() in _DANGLING or (
        len(words) > 1 and len(last) == 1 and last.lower() not in _SHORT_WORDS
    )


def _is_off_topic(text: str, answers: str) -> bool:
    """A long text that shares no word with what it answers; short reactions are never judged."""
    if not answers:
        return False
    words = {w[:STEM] for w in tokenize(text) if len(w) > 3}
    if len(words) < OFF_TOPIC_MIN_WORDS:
        return False
    return not words & {w[:STEM] for w in tokenize(answers) if len(w) > 3}


@dataclass(frozen=True)
class GatedText:
    """One generated text of an answer and what the gate judges it against."""

    text: str
    kind: str
    answers: str = ""


_FEED_ID = re.compile(r"(\d+)")
_WORDED_ACTIONS = frozenset({"post", "reply", "quote"})


def texts_of(request: LLMRequest, response: LLMResponse) -> list[GatedText]:
    """The free texts of ``response`` a reader will see, with the text each one answers.

    A request names its kind in ``text_kind`` (a writer's words), or the gate reads it from the
    situation: a feed or forum post, reply or quote; a meeting's statement and vote reason; an
    interview answer; the minutes' summary. Anything else (judges, summaries of personas) is not
    a simulated person's words and passes unchecked.
    """
    if response.error:
        return []
    if request.text_kind:
        return [GatedText(response.text, request.text_kind, request.answers)]
    situation = request.situation
    if request.schema is None:
        is_answer = (situation is not None and situation.format == "interview") or request.key == "minutes"
        return [GatedText(response.text, "answer", request.user)] if is_answer else []
    data = response.data
    if situation is None or not isinstance(data, Mapping):
        return []
    action = str(data.get("action") or "").strip().lower()
    text = data.get("text")
    if situation.format in ("feed", "forum") and action in _WORDED_ACTIONS and _filled(text):
        return [
            GatedText(text, action, _target_text(situation, data.get("target")) if action != "post" else "")
        ]
    if situation.format == "roundtable":
        return _meeting_texts(situation, action, data)
    return []


def _meeting_texts(situation: Situation, action: str, data: Mapping[str, object]) -> list[GatedText]:
    """A statement answers the item on the table (other members' words are in the prompt, where
    only a long pasted stretch counts: statements of one position share many words by nature).
    A vote's words and reason are what the minutes print as its "why", so both are checked; so
    is a pass that states a position, which the engine counts as a vote once the vote is called."""
    text, reason = data.get("text"), data.get("reason")
    votes = action == "vote" or (action == "pass" and _filled(data.get("position")))
    texts = []
    if (action == "speak" or votes) and _filled(text):
        texts.append(GatedText(text, "reply", situation.feed[0].text if situation.feed else ""))
    if votes and _filled(reason):
        texts.append(GatedText(reason, "reason"))
    return texts


def _filled(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _target_text(situation: Situation, target: object) -> str:
    match = _FEED_ID.search(str(target or ""))
    index = int(match.group(1)) - 1 if match else -1
    return situation.feed[index].text if 0 <= index < len(situation.feed) else ""
