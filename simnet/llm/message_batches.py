"""A run's answers through Anthropic's Message Batches: half the live price, answers within 24 h.

For runs that need not be live. A step's requests go into one Message Batch (``submit``, given
the whole step), and the task that asked ends with ``AnswersPending``; asked again later, the same
requests come back from the ended batch. Submitting and collecting happen in different tasks,
perhaps on different machines, so where each request went is kept in a shared ``BatchLedger``
keyed by its decision-cache digest: the successor of a killed worker, or a retried step, never
submits a request twice. Results are downloaded once per batch and task.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from simnet.llm.base import AnswersPending, LLMRequest, LLMResponse
from simnet.llm.wrappers import CacheKey

Place = tuple[str, int]  # (batch id, index of the request in that batch)


class BatchLedger(Protocol):
    def get_many(self, digests: Sequence[str]) -> dict[str, Place]: ...

    def set_many(self, places: Mapping[str, Place]) -> None: ...


class InMemoryBatchLedger:
    def __init__(self) -> None:
        self._places: dict[str, Place] = {}
        self._lock = threading.Lock()

    def get_many(self, digests: Sequence[str]) -> dict[str, Place]:
        with self._lock:
            return {d: self._places[d] for d in digests if d in self._places}

    def set_many(self, places: Mapping[str, Place]) -> None:
        with self._lock:
            self._places.update(places)


class BatchClient(Protocol):
    """What ``AnthropicProvider`` offers for batches."""

    name: str
    model: str

    def submit_batch(self, requests: Sequence[LLMRequest]) -> str: ...

    def collect_batch(self, batch_id: str) -> list[LLMResponse] | None: ...


class MessageBatchProvider:
    """A ``Provider`` whose answers come from Message Batches; ``generate`` raises ``AnswersPending``
    until every batch it needs has ended."""

    def __init__(self, client: BatchClient, ledger: BatchLedger, *, poll_after_s: float = 60.0) -> None:
        self.client = client
        self.ledger = ledger
        self.poll_after_s = poll_after_s
        self._results: dict[str, list[LLMResponse]] = {}

    @property
    def name(self) -> str:
        return self.client.name

    @property
    def model(self) -> str:
        return self.client.model

    def submit(self, requests: Sequence[LLMRequest]) -> None:
        """Put the requests no batch holds yet into one new Message Batch (a whole step at once:
        a batch a call would make a step wait for every batch of its agents in turn)."""
        digests = self._digests(requests)
        placed = self.ledger.get_many(digests)
        fresh: dict[str, LLMRequest] = {}
        for request, digest in zip(requests, digests):
            if digest not in placed:
                fresh.setdefault(digest, request)
        if fresh:
            batch_id = self.client.submit_batch(list(fresh.values()))
            self.ledger.set_many({digest: (batch_id, index) for index, digest in enumerate(fresh)})

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        """The answers, once every batch holding them has ended. An entry that failed (errored,
        expired) is that agent's error, as a failed live call would be; it is not submitted again."""
        self.submit(requests)
        digests = self._digests(requests)
        places = self.ledger.get_many(digests)
        batches = dict.fromkeys(batch_id for batch_id, _ in places.values())
        pending = [batch_id for batch_id in batches if not self._ended(batch_id)]
        if pending:
            waiting = sum(1 for batch_id, _ in places.values() if batch_id in pending)
            raise AnswersPending(pending, waiting, self.poll_after_s)
        return [
            replace(self._results[batch_id][index], key=request.key)
            for request, (batch_id, index) in zip(requests, (places[d] for d in digests))
        ]

    def _ended(self, batch_id: str) -> bool:
        if batch_id not in self._results:
            results = self.client.collect_batch(batch_id)
            if results is None:
                return False
            self._results[batch_id] = results
        return True

    def _digests(self, requests: Sequence[LLMRequest]) -> list[str]:
        """The decision-cache digest of each request: it names the same question in every task."""
        return [CacheKey.for_request(self.name, self.model, r).digest for r in requests]
