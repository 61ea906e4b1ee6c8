"""Behaviour added by wrapping (Concordia's ``retry_wrapper`` idea): each wrapper is a Provider
around any Provider, so providers stay small and every behaviour is tested once.

A typical stack, outermost first::

    BudgetProvider(MeteredProvider(GatedProvider(CachingProvider(RetryingProvider(provider), store))),
                   limit_usd=5)

Caching sits outside retries (a hit never waits), the quality gate outside caching (a cached
answer is judged like a fresh one) and metering outside caching (hits are recorded, at zero cost).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from simnet.llm.base import (
    ZERO_USAGE,
    AnswersPending,
    LLMRequest,
    LLMResponse,
    Provider,
    ProviderUnavailable,
    QuotaExceeded,
    Usage,
)
from simnet.llm.quality_gate import Verdict, check_text, texts_of
from simnet.llm.seeds import decision_seed

logger = logging.getLogger(__name__)
GATE_ATTEMPTS = 3  # the first answer and two more
GATE_WARMER = 0.2  # temperature added at each new attempt
MAX_TEMPERATURE = 1.5


class _Wrapper:
    """Passes the wrapped provider's identity through, so caches and meters name the real one."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model


class RetryingProvider(_Wrapper):
    """Asks again, with exponential backoff, for the answers that failed transiently.

    Only ``retryable`` per-request errors and ``ProviderUnavailable`` are retried, at most
    ``max_attempts`` times in all; other errors are final. The usage of every attempt is added to
    the answer that is returned, so what was spent is never lost.
    """

    def __init__(
        self,
        inner: Provider,
        *,
        max_attempts: int = 3,
        backoff_s: float = 2.0,
        max_backoff_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(inner)
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep = sleep

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        answers: list[LLMResponse | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        unavailable: ProviderUnavailable | None = None
        for attempt in range(self.max_attempts):
            if attempt:
                self._sleep(min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s))
            try:
                fresh = self.inner.generate([requests[i] for i in pending])
            except AnswersPending:
                raise  # a batch still running: asking again within seconds only polls
            except ProviderUnavailable as err:
                unavailable = err
                continue
            for index, answer in zip(pending, fresh):
                earlier = answers[index]
                answers[index] = (
                    answer if earlier is None else replace(answer, usage=earlier.usage + answer.usage)
                )
            pending = [i for i in pending if _should_retry(answers[i])]
            if not pending:
                break
        if unavailable is not None and any(answer is None for answer in answers):
            raise unavailable
        return [answer for answer in answers if answer is not None]


def _should_retry(answer: LLMResponse | None) -> bool:
    return answer is not None and answer.error is not None and answer.retryable


# -- decision cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheKey:
    """What makes two calls the same call. ``prompt_sha256`` covers system, user, schema and
    max_tokens (a different output budget can give a different answer)."""

    provider: str
    model: str
    prompt_sha256: str
    seed: int
    temperature: float

    @classmethod
    def for_request(cls, provider: str, model: str, request: LLMRequest) -> CacheKey:
        parts = [request.system, request.user, request.schema, request.max_tokens]
        if request.images:  # the same words with another picture are another question
            parts.append([image.digest for image in request.images])
        prompt = json.dumps(parts, sort_keys=True)
        digest = hashlib.sha256(prompt.encode()).hexdigest()
        return cls(provider, model, digest, request.seed, request.temperature)

    @property
    def digest(self) -> str:
        """One string for the whole key (a database primary key)."""
        material = f"{self.provider}|{self.model}|{self.prompt_sha256}|{self.seed}|{self.temperature!r}"
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class CachedDecision:
    text: str
    data: Mapping[str, Any] | None


class DecisionStore(Protocol):
    """Read and write in batches: a step asks for thousands of decisions, and one query or
    transaction a decision would cost more than the step."""

    def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, CachedDecision]: ...

    def set_many(self, decisions: Mapping[CacheKey, CachedDecision]) -> None: ...


class InMemoryDecisionStore:
    def __init__(self) -> None:
        self._items: dict[CacheKey, CachedDecision] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[CacheKey]) -> dict[CacheKey, CachedDecision]:
        with self._lock:
            return {key: self._items[key] for key in keys if key in self._items}

    def set_many(self, decisions: Mapping[CacheKey, CachedDecision]) -> None:
        with self._lock:
            self._items.update(decisions)

    def __len__(self) -> int:
        return len(self._items)


class CachingProvider(_Wrapper):
    """Serves a decision already paid for instead of paying again (a retried step, a rerun with
    the same seed). Only successful answers are stored; hits come back ``cached=True``, free."""

    def __init__(self, inner: Provider, store: DecisionStore | None = None) -> None:
        super().__init__(inner)
        self.store: DecisionStore = store if store is not None else InMemoryDecisionStore()

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        keys = [CacheKey.for_request(self.name, self.model, request) for request in requests]
        hits = self.store.get_many(keys)
        answers: list[LLMResponse | None] = [
            None
            if key not in hits
            else LLMResponse(key=request.key, text=hits[key].text, data=hits[key].data, usage=ZERO_USAGE, cached=True)
            for request, key in zip(requests, keys)
        ]
        misses = [i for i, answer in enumerate(answers) if answer is None]
        if misses:
            fresh: dict[CacheKey, CachedDecision] = {}
            for index, answer in zip(misses, self.inner.generate([requests[i] for i in misses])):
                if answer.error is None:
                    fresh[keys[index]] = CachedDecision(text=answer.text, data=answer.data)
                answers[index] = answer
            if fresh:
                self.store.set_many(fresh)
        return [answer for answer in answers if answer is not None]


# -- metering and budget ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    key: str
    provider: str
    model: str
    usage: Usage
    cached: bool
    error: str | None


class MeteredProvider(_Wrapper):
    """Adds up what calls cost (``total``) and keeps one record a call until ``drain()``."""

    def __init__(self, inner: Provider) -> None:
        super().__init__(inner)
        self._total = ZERO_USAGE
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    @property
    def total(self) -> Usage:
        with self._lock:
            return self._total

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        responses = self.inner.generate(requests)
        records = [CallRecord(r.key, self.name, self.model, r.usage, r.cached, r.error) for r in responses]
        with self._lock:
            for record in records:
                self._total = self._total + record.usage
            self._records.extend(records)
        return responses

    def drain(self) -> list[CallRecord]:
        """The records since the last drain (the totals keep counting)."""
        with self._lock:
            records, self._records = self._records, []
        return records


class BudgetProvider(_Wrapper):
    """Refuses to start a batch once ``limit_usd`` is spent, raising ``QuotaExceeded`` so the run
    pauses. The batch that crosses the limit is allowed to finish, so the overshoot is at most
    one batch."""

    def __init__(self, inner: Provider, *, limit_usd: float, spent_usd: float = 0.0) -> None:
        super().__init__(inner)
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        if self.spent_usd >= self.limit_usd:
            raise QuotaExceeded(f"budget of ${self.limit_usd:.2f} reached (spent ${self.spent_usd:.4f})")
        responses = self.inner.generate(requests)
        self.spent_usd += sum(response.usage.cost_usd for response in responses)
        return responses


# -- quality gate -----------------------------------------------------------------------------


class GateTally:
    """What the quality gate checked and refused, by reason (one tally per run step)."""

    def __init__(self) -> None:
        self.checked = 0
        self.rejected = 0
        self.by_reason: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, verdicts: Sequence[Verdict]) -> None:
        with self._lock:
            self.checked += len(verdicts)
            refused = [v.reason or "" for v in verdicts if not v.ok]
            self.rejected += len(refused)
            self.by_reason.update(refused)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"checked": self.checked, "rejected": self.rejected, "by_reason": dict(self.by_reason)}


class GatedProvider(_Wrapper):
    """Asks again when a generated text fails the quality gate (``check_text``).

    A refused answer is asked for again with a new seed and a warmer temperature, at most
    ``max_attempts`` times in all; when every attempt fails, the answer becomes a per-request
    error for that one agent (the run goes on). Every attempt's usage is kept, and every text
    checked is counted in ``tally``. It sits outside the decision cache, so a replayed step
    re-checks the same cached answers and counts them again the same way; a run keeps only the
    tallies stored with the decisions it applies (the committing task's, or each finished shard's:
    ``simulations.runs.shards``), so each step is counted once however many tasks asked for its
    answers.
    """

    def __init__(
        self, inner: Provider, *, tally: GateTally | None = None, max_attempts: int = GATE_ATTEMPTS
    ) -> None:
        super().__init__(inner)
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.tally = tally if tally is not None else GateTally()
        self.max_attempts = max_attempts

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        answers = list(self.inner.generate(requests))
        refusals = self._refusals(requests, answers, range(len(requests)))
        for attempt in range(1, self.max_attempts):
            if not refusals:
                break
            pending = list(refusals)
            fresh = self.inner.generate([_asked_again(requests[i], attempt) for i in pending])
            for index, answer in zip(pending, fresh, strict=True):
                answers[index] = replace(answer, usage=answers[index].usage + answer.usage)
            refusals = self._refusals(requests, answers, pending)
        for index, reason in refusals.items():
            answers[index] = LLMResponse(
                key=requests[index].key,
                text="",
                usage=answers[index].usage,
                error=f"quality gate: every one of {self.max_attempts} answers was refused ({reason})",
            )
        return answers

    def _refusals(
        self, requests: Sequence[LLMRequest], answers: Sequence[LLMResponse], indices: Iterable[int]
    ) -> dict[int, str]:
        """index -> the reason its answer was refused, for the answers among ``indices`` that fail."""
        refusals = {}
        for index in indices:
            request = requests[index]
            prompt = f"{request.system}\n{request.user}"
            texts = texts_of(request, answers[index])
            verdicts = [check_text(t.text, answers=t.answers, prompt=prompt, kind=t.kind) for t in texts]
            self.tally.record(verdicts)
            for gated, verdict in zip(texts, verdicts, strict=True):
                if not verdict.ok:  # what was refused is kept nowhere else: the log shows it
                    logger.info(
                        "quality gate refused a %s (%s): %.200r", gated.kind, verdict.reason, gated.text
                    )
            failed = next((v.reason for v in verdicts if not v.ok), None)
            if failed is not None:
                refusals[index] = failed
        return refusals


def _asked_again(request: LLMRequest, attempt: int) -> LLMRequest:
    """The same request with a new, reproducible seed and a slightly warmer temperature."""
    return replace(
        request,
        seed=decision_seed(request.seed, f"gate:{request.key}", 0, attempt),
        temperature=min(request.temperature + GATE_WARMER * attempt, MAX_TEMPERATURE),
    )
