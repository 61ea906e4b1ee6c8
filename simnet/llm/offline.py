"""The embedded default's model (SmolLM2-135M-Instruct or Gemma 3 270M, see ``offline_models``)
run by llama.cpp. No key, no network.

``InProcessOfflineModel`` runs llama.cpp in the process that calls it. The product never calls it
directly: ``offline_process.OfflineProvider`` runs it in a child process, so that a crash inside
native code fails one call instead of the web server or the worker.

What makes a 135M model fast and always usable on two CPU cores:
- SmolLM2's shipped Q4_1 weights are re-encoded once as Q8_0 (``requantized_copy``; Q8_0 holds
  every Q4_1 weight to within 0.4% of its range) because llama.cpp has fast matrix kernels for
  Q8_0 and none for Q4_1: prompts evaluate about twice as fast. Gemma's Q4_K runs as shipped.
- A decision is written field by field (``offline_decoding``): Python writes the JSON, the model
  picks each closed choice from its options' logits and writes the free texts under short caps.
  The options are narrowed to what the engine accepts (``offline_rules``), so every answer is
  valid JSON and usable as given, in a few model steps instead of one per JSON character.
- The requests of a batch run side by side as llama.cpp sequences (``parallel`` slots), so
  each model step advances every busy slot at once.
- Free texts may not repeat four prompt tokens in a row (``NoCopy``): left alone, the model
  copies the ad it was shown or the rules' wording instead of reacting.
- A persona's prefix (template + ``system`` text) is evaluated once and its KV cells kept in RAM
  (``prefix_cache_mb``); the next step of that agent only evaluates the feed.
Requests whose schema falls outside that flat shape are answered under a llama.cpp grammar built
from the schema: slower, equally valid. Judgement from a model this small is weak; that is
accepted for a free, offline default.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simnet.llm.base import LLMRequest, LLMResponse, ProviderError, Usage
from simnet.llm.batching import parse_json_object
from simnet.llm.offline_decoding import (
    NoCopy,
    Sampler,
    Vocabulary,
    Writer,
    Written,
    free_answer,
    grammar_answer,
    json_answer,
)
from simnet.llm.offline_models import model_cache_dir, offline_model
from simnet.llm.offline_rules import plan_for


def bundled_model_path(name: str | None = None) -> str:
    """Path of the GGUF file of the offline model ``name`` (the default when None)."""
    return offline_model(name).locate()


@dataclass
class _LoadedModel:
    runtime: Any  # offline_runtime.LlamaRuntime, imported lazily with llama.cpp
    vocab: Vocabulary
    prefixes: Any  # offline_runtime.PrefixStates
    lock: threading.Lock = field(default_factory=threading.Lock)  # one batch at a time


POST_COPY_RUN = 3  # tokens in a row a text may not take from a post it is shown
SHORT_LINE_WORDS = 4  # a prompt question or label this short is copied whole below the copy guard's run
_MODELS: dict[tuple[str, int, str], _LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free the models while the interpreter still works (llama.cpp's own finaliser fails late)."""
    for loaded in _MODELS.values():
        loaded.runtime.close()
    _MODELS.clear()


@dataclass
class _Job:
    """One request in a slot: what to evaluate next, and its accounting."""

    index: int
    request: LLMRequest
    prompt: Any  # offline_runtime.ChatPrompt
    writer: Writer
    slot: int
    feed: list[int]  # tokens for the next batch
    after_prefix: list[int] = field(default_factory=list)  # fed once a cold prefix is saved
    position: int = 0
    cached: int = 0
    answer_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def saving_prefix(self) -> bool:
        return bool(self.after_prefix)


class InProcessOfflineModel:
    """The offline provider's work, done in this process (see ``offline_process`` for why not here)."""

    name = "offline"

    def __init__(
        self,
        *,
        model_name: str | None = None,
        model_path: str | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        prefix_cache_mb: int = 512,
        parallel: int = 8,
        requantize: bool = True,
    ) -> None:
        """``model_name`` picks one of ``offline_models.OFFLINE_MODELS`` (``model_path`` overrides
        its file); ``n_ctx`` is the context of each of the ``parallel`` slots; ``requantize``
        runs the weights as Q8_0 where the model's notes say that helps."""
        self.spec = offline_model(model_name)
        self.model_path = model_path or self.spec.locate()
        self.model = Path(model_path).stem if model_path else self.spec.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads or len(os.sched_getaffinity(0)) or 1
        self.prefix_cache_mb = prefix_cache_mb
        self.parallel = parallel
        self.requantize = requantize and self.spec.requantize

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        loaded = self._loaded()
        first_seen: dict[str, int] = {}
        for index, request in enumerate(requests):
            first_seen.setdefault(request.system, index)
        order = sorted(range(len(requests)), key=lambda i: (first_seen[requests[i].system], i))
        with loaded.lock:
            answers = _Batch(loaded, requests).run(order)
        return [answers[index] for index in range(len(requests))]

    def _loaded(self) -> _LoadedModel:
        """The process-wide model for this file and context size (the first caller's settings win)."""
        key = (self.model_path, self.n_ctx, self.spec.name)
        with _LOAD_LOCK:
            if key not in _MODELS:
                _MODELS[key] = self._load()
            return _MODELS[key]

    def _load(self) -> _LoadedModel:
        try:
            from simnet.llm.offline_runtime import LlamaRuntime, PrefixStates, requantized_copy
        except ImportError as err:
            raise ProviderError(
                "offline provider needs llama-cpp-python: pip install 'simnet[offline]'"
            ) from err
        path = requantized_copy(self.model_path, model_cache_dir()) if self.requantize else self.model_path
        runtime = LlamaRuntime(
            path,
            slots=self.parallel,
            slot_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_batch=512,
            chat_template=self.spec.chat_template,
        )
        vocab = Vocabulary(runtime.pieces, runtime.end_of_generation, runtime.tokenize)
        return _LoadedModel(runtime, vocab, PrefixStates(self.prefix_cache_mb << 20))


class _Batch:
    """Answers a batch of requests, up to one per slot at a time, all slots advanced together."""

    def __init__(self, loaded: _LoadedModel, requests: Sequence[LLMRequest]) -> None:
        self.runtime = loaded.runtime
        self.vocab = loaded.vocab
        self.prefixes = loaded.prefixes
        self.requests = requests
        self.answers: dict[int, LLMResponse] = {}
        self.jobs: dict[int, _Job] = {}  # by slot

    def run(self, order: Sequence[int]) -> dict[int, LLMResponse]:
        waiting = deque(order)
        while waiting or self.jobs:
            self._fill(waiting)
            if self.jobs:
                self._step()
        return self.answers

    def _fill(self, waiting: deque[int]) -> None:
        """Start waiting requests in free slots. A request whose prefix another slot is evaluating
        waits one round and then finds it saved."""
        in_progress = {job.prompt.prefix for job in self.jobs.values() if job.saving_prefix}
        free = [slot for slot in range(self.runtime.slots) if slot not in self.jobs]
        while waiting and free:
            index = waiting[0]
            request = self.requests[index]
            prompt = self.runtime.chat_prompt(request.system, request.user)
            if prompt.prefix in in_progress:
                return
            waiting.popleft()
            if prompt.size + request.max_tokens > self.runtime.slot_ctx:
                self.answers[index] = _failed(
                    request,
                    f"offline model: the prompt ({prompt.size} tokens) and its answer ({request.max_tokens}) "
                    f"exceed the context window of {self.runtime.slot_ctx} tokens",
                )
                continue
            job = self._start(index, request, prompt, free.pop(0))
            if job.saving_prefix:
                in_progress.add(prompt.prefix)
            self.jobs[job.slot] = job

    def _start(self, index: int, request: LLMRequest, prompt: Any, slot: int) -> _Job:
        writer = self._writer(request, prompt)
        first = next(writer)
        job = _Job(index, request, prompt, writer, slot, feed=[])
        job.answer_tokens = len(first)
        state = self.prefixes.get(prompt.prefix)
        if state is not None and self.runtime.restore(slot, state):
            job.position = job.cached = len(prompt.prefix)
            job.feed = [*prompt.rest, *first]
        elif self.prefixes.capacity:  # evaluate the prefix alone first, to save it
            self.runtime.clear(slot)
            job.feed, job.after_prefix = list(prompt.prefix), [*prompt.rest, *first]
        else:
            self.runtime.clear(slot)
            job.feed = [*prompt.prefix, *prompt.rest, *first]
        return job

    def _clause_tokens(self, request: LLMRequest) -> list[int]:
        """The prompt's clauses as a text would start them (capitalised): a copy often begins a
        text ("Your own short words"), where its first token differs from the prompt's own."""
        clauses = re.split(r"(?<=[.:;?!])\s+|\n", f"{request.system}\n{request.user}")
        tokens: list[int] = []
        for clause in clauses:
            if clause[:1].islower():
                tokens += self.vocab.tokenize(clause[:1].upper() + clause[1:])
        return tokens

    def _post_tokens(self, request: LLMRequest) -> list[int]:
        """The posts the agent is shown (a feed; in a meeting, the agenda item and the statements
        so far), as written, capitalised and lower-cased: a text that reuses three of their tokens
        in a row is on its way to rewording them."""
        tokens: list[int] = []
        for item in request.situation.feed if request.situation else ():
            text = item.text.strip()
            for variant in dict.fromkeys((text, text[:1].upper() + text[1:], text.lower())):
                tokens += [*self.vocab.tokenize(variant), -1]
        return tokens

    def _short_line_tokens(self, request: LLMRequest) -> list[int]:
        """The prompt's short questions and labels ("Your action?", "So far:"): copied whole, they
        are two or three tokens, below the copy guard's run, so any two of them in a row are banned."""
        tokens: list[int] = []
        for line in f"{request.system}\n{request.user}".splitlines():
            if 0 < len(line.split()) <= SHORT_LINE_WORDS and line.rstrip().endswith(("?", ":")):
                tokens += [*self.vocab.tokenize(line.strip()), -1]  # -1: no run spans two lines
        return tokens

    def _writer(self, request: LLMRequest, prompt: Any) -> Writer:
        sampler = Sampler(request.seed, request.temperature)
        guard = NoCopy((*prompt.prefix, *prompt.rest, *self._clause_tokens(request)))
        guard.add(self._short_line_tokens(request), run=2)
        guard.add(self._post_tokens(request), run=POST_COPY_RUN)
        if request.schema is None:
            return free_answer(request.max_tokens, self.vocab, sampler, guard)
        plan = plan_for(request.schema, request.situation, request.max_tokens)
        if plan is not None:
            return json_answer(plan, self.vocab, sampler, guard)
        guide = self.runtime.grammar_guide(json.dumps(request.schema, sort_keys=True))
        return grammar_answer(guide, request.max_tokens, self.vocab, sampler)

    def _step(self) -> None:
        from simnet.llm.offline_runtime import Row

        jobs = list(self.jobs.values())
        logits = self.runtime.decode(
            [Row(job.slot, job.feed, job.position, want_logits=not job.saving_prefix) for job in jobs]
        )
        for job, row_logits in zip(jobs, logits):
            job.position += len(job.feed)
            if job.saving_prefix:
                self.prefixes.put(job.prompt.prefix, self.runtime.save(job.slot))
                job.feed, job.after_prefix = job.after_prefix, []
                continue
            try:
                job.feed = job.writer.send(row_logits)
            except StopIteration as done:
                self._finish(job, done.value)
                continue
            job.answer_tokens += len(job.feed)
            if job.position + len(job.feed) > self.runtime.slot_ctx:
                job.writer.close()
                self._end(
                    job, _failed(job.request, "offline model: the answer ran out of the context window")
                )

    def _finish(self, job: _Job, written: Written) -> None:
        request = job.request
        usage = Usage(
            input_tokens=job.prompt.size - job.cached,
            cached_input_tokens=job.cached,
            output_tokens=job.answer_tokens + written.unevaluated,
            latency_s=time.perf_counter() - job.started,
        )
        if request.schema is None or written.data is not None:
            response = LLMResponse(key=request.key, text=written.text, data=written.data, usage=usage)
        elif written.truncated:
            response = LLMResponse(
                key=request.key, text=written.text, usage=usage, error="output truncated at max_tokens"
            )
        else:
            data = parse_json_object(written.text)
            error = None if data is not None else "model output is not a JSON object"
            response = LLMResponse(key=request.key, text=written.text, data=data, usage=usage, error=error)
        self._end(job, response)

    def _end(self, job: _Job, response: LLMResponse) -> None:
        self.answers[job.index] = response
        self.runtime.clear(job.slot)
        del self.jobs[job.slot]


def _failed(request: LLMRequest, error: str) -> LLMResponse:
    return LLMResponse(key=request.key, text="", error=error)
