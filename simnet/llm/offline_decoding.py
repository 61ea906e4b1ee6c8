"""Writing one answer token by token, as a generator the batch scheduler drives.

An answer generator yields the tokens to evaluate next and is sent the model's logits after the
last of them; it returns a ``Written`` when done. The JSON around the values (``{"action":`` ...)
is written by Python, never sampled. A ``Choice`` is a walk down the token trie of its options
(the model is consulted only where options differ, usually one or two tokens); a ``Text`` is
sampled freely under a token cap until the model closes the string (a token holding ``"``), ends
the line or stops. So an answer is valid JSON under the plan by construction, costs a few model
steps instead of one per character of JSON, and needs no grammar over the 49k-token vocabulary.

Nothing here touches llama.cpp: the same generators run against any logits, which is how the
tests drive them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simnet.llm.offline_rules import AnswerPlan, Choice, Text
from simnet.llm.quality_gate import FIELD_WORDS

COPY_RUN = 4  # a written text may repeat at most COPY_RUN - 1 tokens of its prompt in a row
SELF_RUN = 4  # nor repeat a run of SELF_RUN tokens of its own ("I took a challenge." twenty times)
MAX_DIGIT_TOKENS = 3  # a person's post holds a number or two, never the prompt's timestamps
SENTENCE_TOKENS = 16  # past this many tokens, a text closes at its next sentence end
TOP_K = 40  # llama.cpp's default sampling chain: top-k, top-p, min-p, then temperature
TOP_P = 0.95
MIN_P = 0.05

Writer = Generator[list[int], np.ndarray, "Written"]


@dataclass(frozen=True)
class Written:
    text: str  # the answer as the caller sees it (JSON for a plan)
    data: dict[str, Any] | None  # the values, for a plan
    unevaluated: int  # tokens of the answer the model never had to read (the closing ones)
    truncated: bool = False  # a free answer stopped at its token cap


class Vocabulary:
    """What the writers need to know about tokens: their bytes, which end a string or a line."""

    def __init__(
        self, pieces: Sequence[bytes], end_of_generation: frozenset[int], tokenize: Callable[[str], list[int]]
    ) -> None:
        self.pieces = pieces
        self.end_of_generation = end_of_generation
        self.tokenize = tokenize
        size = len(pieces)
        eog = np.zeros(size, dtype=bool)
        eog[list(end_of_generation)] = True
        empty = np.array([not piece for piece in pieces]) & ~eog  # control tokens with no text
        blank = np.array([not piece.strip() for piece in pieces])
        closes = np.array([b'"' in piece or b"\n" in piece for piece in pieces])
        self.digits = np.array([any(48 <= b <= 57 for b in piece) for piece in pieces])
        # Template marks and chat tokens ("[insert ...]", "{{", "<|im_end|>") never belong in a post.
        self.template = np.array(
            [any(mark in piece for mark in (b"[", b"]", b"{", b"}", b"<", b">", b"|")) for piece in pieces]
        )
        self.starts_with_digit = np.array([piece[:1].isdigit() for piece in pieces])
        self.colon = np.array([b":" in piece for piece in pieces])
        self.closes = closes | eog | blank  # tokens that end a one-line string, or only pad it
        self.never = empty  # never sampled inside text
        self.first_of_string = (
            empty | blank | closes | eog
        )  # a required string starts with a visible character
        self.first_of_answer = empty | blank | eog

    def string_end(self, token: int) -> int | None:
        """Where ``token`` ends a one-line JSON string: bytes of it that still belong to the text."""
        if token in self.end_of_generation:
            return 0
        piece = self.pieces[token]
        cuts = [at for at in (piece.find(b'"'), piece.find(b"\n")) if at >= 0]
        return min(cuts) if cuts else None


class NoCopy:
    """Which tokens would make a text repeat ``COPY_RUN`` tokens of its prompt in a row.

    A 135M model's favourite answer is a copy: of the ad it was shown, or of the rules' own
    words ("your own short words for post reply quote"). Banning the token that would extend a
    copied run (a no-repeat n-gram rule against the prompt) leaves short quotes possible and
    makes the model write its own sentence.
    """

    def __init__(self, prompt: Sequence[int], run: int = COPY_RUN) -> None:
        self._next: dict[int, dict[tuple[int, ...], set[int]]] = {}
        self.add(prompt, run)

    def add(self, tokens: Sequence[int], run: int) -> NoCopy:
        """Also ban repeating ``run`` tokens in a row of ``tokens`` (a short line of the prompt such
        as "Your action?" is copied whole in two or three tokens)."""
        heads = self._next.setdefault(run, {})
        for at in range(len(tokens) - run + 1):
            window = tokens[at : at + run]
            if min(window) >= 0:  # a negative id separates texts: no run spans two of them
                heads.setdefault(tuple(window[:-1]), set()).add(window[-1])
        return self

    def banned(self, base: np.ndarray, written: Sequence[int]) -> np.ndarray:
        """``base`` plus the tokens that would continue a copy at the end of ``written``."""
        following: set[int] = set()
        for run, heads in self._next.items():
            if len(written) >= run - 1:
                following |= heads.get(tuple(written[len(written) - run + 1 :]), set())
        if not following:
            return base
        mask = base.copy()
        mask[list(following)] = True
        return mask


NO_COPY_GUARD = NoCopy(())


def text_banned(
    base: np.ndarray, vocab: Vocabulary, tokens: Sequence[int], guard: NoCopy, *, labels: bool = False
) -> np.ndarray:
    """What a free text may not write next, so the quality gate has little to refuse: a copy of
    the prompt (``guard``), a loop over its own words, template marks, the prompt's ids ("P1",
    "s2": one letter then a digit), a digit to open the text and more than ``MAX_DIGIT_TOKENS``
    tokens with digits (a timestamp). With ``labels``, no colon either: a small model's short text
    with a colon is nearly always one of the prompt's labels echoed ("Your actions: You:",
    "Memory:"), which the gate refuses."""
    mask = guard.banned(base, tokens) | vocab.template
    if labels:
        mask = mask | vocab.colon
    if len(tokens) >= SELF_RUN:
        mask = NoCopy(tokens, run=SELF_RUN).banned(mask, tokens)
    last = vocab.pieces[tokens[-1]].strip(b" #@") if tokens else b""
    if len(last) == 1 and last.isalpha():  # "P1", "s2", "A3": the prompt's ids, not words
        mask = mask | vocab.starts_with_digit
    if not tokens or sum(vocab.digits[t] for t in tokens) >= MAX_DIGIT_TOKENS:
        mask = mask | vocab.digits
    return mask


def _sentence_done(out: bytearray | bytes, written: int) -> bool:
    """Long enough, and just ended a sentence: a good place to close the text."""
    return written >= SENTENCE_TOKENS and bytes(out).rstrip().endswith((b".", b"!", b"?"))


DANGLING = frozenset(
    {b"the", b"a", b"an", b"and", b"or", b"of", b"to", b"my", b"your", b"his", b"their", b"our", b"its"}
)


def _last_sentence(out: bytearray | bytes) -> bytes:
    """``out``, stopped at its token cap, cut back to its last sentence end when it has one after a
    few words; else without its last word (maybe cut mid-word) and the words and marks that leave a
    phrase hanging ("... the pedal pro home b" -> "... the pedal pro home")."""
    raw = bytes(out)
    end = max(raw.rfind(mark) for mark in (b". ", b"! ", b"? "))
    if end >= 12:
        return raw[: end + 1]
    words = raw.split()[:-1]
    while words and (words[-1].lower().strip(b",;:-") in DANGLING or not words[-1].rstrip(b",;:-")):
        words.pop()
    trimmed = b" ".join(words).rstrip(b",;:-/&(")
    return trimmed if len(trimmed.split()) >= 3 else raw


class Sampler:
    """Seeded sampling: the same seed and logits give the same tokens."""

    def __init__(self, seed: int, temperature: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.temperature = temperature

    def choose(self, logits: np.ndarray, allowed: Sequence[int]) -> int:
        """One of ``allowed``, in proportion to the model's (tempered) probabilities."""
        ids = np.asarray(allowed)
        scores = logits[ids].astype(np.float64)
        if self.temperature <= 0:
            return int(ids[int(np.argmax(scores))])
        return int(ids[self._draw(scores)])

    def sample(self, logits: np.ndarray, banned: np.ndarray) -> int:
        """A token from the whole vocabulary minus ``banned``, through top-k, top-p and min-p."""
        scores = np.where(banned, -np.inf, logits).astype(np.float64)
        if self.temperature <= 0:
            return int(np.argmax(scores))
        top = np.argpartition(scores, -TOP_K)[-TOP_K:]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[np.isfinite(scores[top])]
        probs = _softmax(scores[top])
        keep = (probs >= MIN_P * probs[0]) & (np.cumsum(probs) - probs < TOP_P)
        return int(top[keep][self._draw(scores[top][keep])])

    def _draw(self, scores: np.ndarray) -> int:
        probs = _softmax(scores / self.temperature)
        return int(self.rng.choice(len(probs), p=probs))


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


def json_answer(
    plan: AnswerPlan, vocab: Vocabulary, sampler: Sampler, guard: NoCopy = NO_COPY_GUARD
) -> Writer:
    """The answer object, field by field in the plan's order; texts never copy the prompt at length."""
    data: dict[str, Any] = {}
    pending: list[int] = []
    keys = plan.keys
    schema_words = _schema_words(plan)
    for number, key in enumerate(keys):
        end = "," if number < len(keys) - 1 else "}"
        pending += vocab.tokenize(("{" if number == 0 else " ") + json.dumps(key) + ":")
        field = plan.field(key, data)
        if isinstance(field, Choice):
            options = [vocab.tokenize(" " + json.dumps(value) + end) for value in field.values]
            index, pending = yield from _pick(options, pending, sampler)
            data[key] = field.values[index]
            continue
        if field.nullable:
            index, pending = yield from _pick(
                [vocab.tokenize(" null" + end), vocab.tokenize(' "')], pending, sampler
            )
            if index == 0:
                data[key] = None
                continue
        else:
            pending += vocab.tokenize(' "')
        text, pending = yield from _string(pending, field, end, vocab, sampler, guard, schema_words)
        data[key] = text
    return Written(json.dumps(data, ensure_ascii=False), data, len(pending))


def free_answer(
    max_tokens: int, vocab: Vocabulary, sampler: Sampler, guard: NoCopy = NO_COPY_GUARD
) -> Writer:
    """Free text (no schema) until the model stops or ``max_tokens`` are written."""
    out = bytearray()
    pending: list[int] = []
    tokens: list[int] = []
    for written in range(max_tokens):
        logits = yield pending
        base = vocab.first_of_answer if written == 0 else vocab.never
        token = sampler.sample(logits, text_banned(base, vocab, tokens, guard))
        if token in vocab.end_of_generation:
            return Written(_text(out), None, 1)
        out += vocab.pieces[token]
        pending = [token]
        tokens.append(token)
    return Written(_text(_last_sentence(out)), None, len(pending), truncated=True)


class Guide(Protocol):
    """A grammar that says which tokens may come next (``offline_runtime.GrammarGuide``)."""

    def allowed(self, logits: np.ndarray) -> np.ndarray: ...

    def accept(self, token: int) -> None: ...

    def close(self) -> None: ...


def grammar_answer(guide: Guide, max_tokens: int, vocab: Vocabulary, sampler: Sampler) -> Writer:
    """Text under ``guide``'s grammar, until the grammar lets the model stop (the slow path, for
    schemas ``offline_rules`` cannot read as fields)."""
    out = bytearray()
    pending: list[int] = []
    try:
        for _ in range(max_tokens):
            logits = yield pending
            token = sampler.sample(logits, ~guide.allowed(logits) | vocab.never)
            if token in vocab.end_of_generation:
                return Written(_text(out), None, 1)
            guide.accept(token)
            out += vocab.pieces[token]
            pending = [token]
        return Written(_text(out), None, len(pending), truncated=True)
    finally:
        guide.close()


def _pick(options: Sequence[Sequence[int]], pending: list[int], sampler: Sampler) -> Generator:
    """Walk the options' token trie; the model is asked only where the remaining options differ.

    Options end with the separator that follows the value (``,`` or ``}``), so none is a prefix
    of another and the walk ends exactly at one of them. Returns (index, tokens not yet read).
    """
    alive = list(range(len(options)))
    depth = 0
    while depth < len(options[alive[0]]):
        nexts = sorted({options[i][depth] for i in alive})
        if len(nexts) == 1:
            token = nexts[0]
        else:
            logits = yield pending
            pending = []
            token = sampler.choose(logits, nexts)
        pending = [*pending, token]
        alive = [i for i in alive if options[i][depth] == token]
        depth += 1
    return alive[0], pending


def _schema_words(plan: AnswerPlan) -> frozenset[str]:
    """The answer's own keys and choices ("vote", "pass", "reason"): alone, they are not a text."""
    words = {key.lower() for key in plan.keys} | FIELD_WORDS
    for field in plan.fields.values():
        if isinstance(field, Choice):
            words |= {str(value).lower() for value in field.values if isinstance(value, str)}
    return frozenset(words)


def _string(
    pending: list[int],
    field: Text,
    end: str,
    vocab: Vocabulary,
    sampler: Sampler,
    guard: NoCopy,
    schema_words: frozenset[str] = frozenset(),
) -> Generator:
    """The text of an opened JSON string; returns (text, tokens that close it, not yet read).
    It may not close while it says nothing but one of ``schema_words``."""
    out = bytearray()
    tokens: list[int] = []
    for written in range(field.max_tokens):
        logits = yield pending
        base = vocab.first_of_string if written == 0 else vocab.never
        if _text(out).lower().strip(" .!") in schema_words:
            base = base | vocab.closes
        token = sampler.sample(logits, text_banned(base, vocab, tokens, guard, labels=True))
        cut = vocab.string_end(token)
        if cut is not None:
            tail = vocab.pieces[token][:cut]
            out += tail
            return _text(out, field.max_chars), vocab.tokenize(tail.decode("utf-8", "ignore") + '"' + end)
        out += vocab.pieces[token]
        pending = [token]
        tokens.append(token)
        if _sentence_done(out, written + 1):
            return _text(out, field.max_chars), [*pending, *vocab.tokenize('"' + end)]
    return _text(_last_sentence(out), field.max_chars), [*pending, *vocab.tokenize('"' + end)]


def _text(raw: bytes | bytearray, max_chars: int | None = None) -> str:
    text = bytes(raw).decode("utf-8", "ignore").strip().rstrip("\\").strip()
    return text[:max_chars] if max_chars is not None else text
