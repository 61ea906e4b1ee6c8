"""llama.cpp driven through its C API: several sequences decoded in one batch, prefix states in RAM.

Why not ``llama_cpp.Llama``: it decodes one sequence at a time, and its ``save_state`` copies a
(n_batch x vocabulary) float array with every state (100 MB for SmolLM2), so a 512 MB state
cache held about four prompts. Here each *slot* is one llama.cpp sequence with its own KV
stream (``kv_unified`` off, so attention only reads that slot's cells), a batch carries tokens
of every busy slot, and a persona's prefix is kept as that sequence's KV cells alone (about
3 MB for a 330-token prefix of SmolLM2-135M).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from simnet.llm.base import ProviderError

Q8_0 = 7  # llama.cpp's LLAMA_FTYPE_MOSTLY_Q8_0
_SYSTEM_MARK = "[[system text]]"
_USER_MARK = "[[user text]]"


@dataclass(frozen=True)
class Row:
    """Tokens of one slot in a batch, placed from ``start`` on; logits wanted for the last one."""

    slot: int
    tokens: Sequence[int]
    start: int
    want_logits: bool = True


@dataclass(frozen=True)
class ChatPrompt:
    """A prompt as tokens: ``prefix`` (template + system text, the cacheable part) then ``rest``."""

    prefix: tuple[int, ...]
    rest: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.prefix) + len(self.rest)


def load_llama_cpp() -> Any:
    """``llama_cpp``, quiet, with OpenMP threads that sleep at barriers unless told otherwise.

    llama.cpp syncs its threads a few hundred times per model step. When other processes share
    the two cores, a thread spinning there (OpenMP's default) burns its time slice waiting for a
    descheduled partner: a model step measured 1.4 s instead of 0.07 s under load. On idle cores
    both policies measured the same. The setting only counts before OpenMP is first loaded.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)  # llama.cpp logs load details
    return llama_cpp


def requantized_copy(source: str, cache_dir: Path) -> str:
    """``source`` re-encoded as Q8_0 in ``cache_dir`` (made once, shared by processes), or
    ``source`` itself when the copy cannot be written."""
    target = cache_dir / f"{Path(source).stem}.as-Q8_0.gguf"
    if target.is_file():
        return str(target)
    llama_cpp = load_llama_cpp()
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.allow_requantize, params.nthread = Q8_0, True, os.cpu_count() or 1
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        if llama_cpp.llama_model_quantize(source.encode(), str(partial).encode(), params) != 0:
            return source
        os.replace(partial, target)  # atomic: another process never sees a half-written file
    except OSError:
        return source
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return str(target)


class LlamaRuntime:
    """One model and one context with ``slots`` parallel sequences of ``slot_ctx`` tokens each."""

    def __init__(
        self,
        model_path: str,
        *,
        slots: int,
        slot_ctx: int,
        n_threads: int,
        n_batch: int,
        chat_template: str | None = None,
    ) -> None:
        """``chat_template`` names a llama.cpp built-in template for a GGUF that carries none."""
        llama_cpp = load_llama_cpp()
        self._lib = llama_cpp
        self.slots, self.n_batch = slots, n_batch
        self._model = llama_cpp.llama_model_load_from_file(
            model_path.encode(), llama_cpp.llama_model_default_params()
        )
        if not self._model:
            raise ProviderError(f"llama.cpp could not load {model_path}")
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = slots * slot_ctx
        params.n_batch = params.n_ubatch = n_batch
        params.n_seq_max = slots
        params.kv_unified = False
        params.n_threads = params.n_threads_batch = n_threads
        params.no_perf = True
        self._ctx = llama_cpp.llama_init_from_model(self._model, params)
        if not self._ctx:
            llama_cpp.llama_model_free(self._model)
            raise ProviderError("llama.cpp could not create a context")
        self.slot_ctx = llama_cpp.llama_n_ctx_seq(self._ctx)
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self.vocab_size = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self.pieces = tuple(self._piece(token) for token in range(self.vocab_size))
        self.end_of_generation = frozenset(
            t for t in range(self.vocab_size) if llama_cpp.llama_vocab_is_eog(self._vocab, t)
        )
        bos = llama_cpp.llama_vocab_bos(self._vocab)
        self._opening = (bos,) if llama_cpp.llama_vocab_get_add_bos(self._vocab) and bos >= 0 else ()
        self._template = self._chat_template_parts(chat_template)

    def close(self) -> None:
        if self._ctx:
            self._lib.llama_batch_free(self._batch)
            self._lib.llama_free(self._ctx)
            self._lib.llama_model_free(self._model)
            self._ctx = self._model = None

    # Text and tokens

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        """Tokens of ``text``; ``special`` reads control tokens such as ``<|im_end|>`` (template text
        only: a post that contains ``<|im_end|>`` must stay plain text)."""
        data = text.encode()
        room = len(data) + 8
        out = (self._lib.llama_token * room)()
        count = self._lib.llama_tokenize(self._vocab, data, len(data), out, room, False, special)
        return list(out[:count])

    def chat_prompt(self, system: str, user: str) -> ChatPrompt:
        """The model's chat template around ``system`` and ``user``, ready for the answer, opened by
        the beginning-of-text token where the tokenizer wants one (Gemma does, SmolLM2 not)."""
        head, between, tail = self._template
        prefix = [*self._opening, *self.tokenize(head, special=True), *self.tokenize(system)]
        rest = self.tokenize(between, special=True) + self.tokenize(user) + self.tokenize(tail, special=True)
        return ChatPrompt(tuple(prefix), tuple(rest))

    def _chat_template_parts(self, name: str | None) -> tuple[str, str, str]:
        """The template (the GGUF's own, or the built-in ``name``) rendered around marker texts, cut
        at the markers: (before system, between system and user, after user up to the assistant's
        turn)."""
        lib = self._lib
        messages = (lib.llama_chat_message * 2)(
            lib.llama_chat_message(b"system", _SYSTEM_MARK.encode()),
            lib.llama_chat_message(b"user", _USER_MARK.encode()),
        )
        template = name.encode() if name else lib.llama_model_chat_template(self._model, None)
        buffer = ctypes.create_string_buffer(4096)
        size = lib.llama_chat_apply_template(template, messages, 2, True, buffer, len(buffer))
        if size < 0 or size > len(buffer):
            raise ProviderError("the model's chat template is not one llama.cpp can apply")
        rendered = buffer.raw[:size].decode()
        head, rest = rendered.split(_SYSTEM_MARK)
        between, tail = rest.split(_USER_MARK)
        return head, between, tail

    def _piece(self, token: int) -> bytes:
        buffer = ctypes.create_string_buffer(64)
        size = self._lib.llama_token_to_piece(self._vocab, token, buffer, len(buffer), 0, False)
        return buffer.raw[: max(0, size)]

    # Sequences

    def decode(self, rows: Sequence[Row]) -> list[np.ndarray | None]:
        """Evaluate every row, as few llama.cpp batches as ``n_batch`` allows; per row the logits
        after its last token (None where not wanted)."""
        batch = self._batch
        logits: list[np.ndarray | None] = [None] * len(rows)
        waiting: list[tuple[int, int]] = []  # (row number, index in the batch)
        filled = 0
        for number, row in enumerate(rows):
            for offset, token in enumerate(row.tokens):
                if filled == self.n_batch:
                    self._run(filled, waiting, logits)
                    filled, waiting = 0, []
                batch.token[filled] = token
                batch.pos[filled] = row.start + offset
                batch.n_seq_id[filled] = 1
                batch.seq_id[filled][0] = row.slot
                last = offset == len(row.tokens) - 1
                batch.logits[filled] = last and row.want_logits
                if last and row.want_logits:
                    waiting.append((number, filled))
                filled += 1
        if filled:
            self._run(filled, waiting, logits)
        return logits

    def _run(self, size: int, waiting: list[tuple[int, int]], logits: list[np.ndarray | None]) -> None:
        self._batch.n_tokens = size
        status = self._lib.llama_decode(self._ctx, self._batch)
        if status != 0:
            raise ProviderError(f"llama.cpp could not decode a batch of {size} tokens (status {status})")
        for number, index in waiting:
            pointer = self._lib.llama_get_logits_ith(self._ctx, index)
            logits[number] = np.ctypeslib.as_array(pointer, shape=(self.vocab_size,)).copy()

    def clear(self, slot: int) -> None:
        self._lib.llama_memory_seq_rm(self._memory, slot, -1, -1)

    def save(self, slot: int) -> bytes:
        size = self._lib.llama_state_seq_get_size(self._ctx, slot)
        buffer = (ctypes.c_uint8 * size)()
        written = self._lib.llama_state_seq_get_data(self._ctx, buffer, size, slot)
        return ctypes.string_at(buffer, written)

    def restore(self, slot: int, state: bytes) -> bool:
        """Load a saved sequence into ``slot`` (emptied first); False when llama.cpp refuses it."""
        self.clear(slot)
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        return self._lib.llama_state_seq_set_data(self._ctx, buffer, len(state), slot) == len(state)

    def grammar_guide(self, schema_json: str) -> GrammarGuide:
        """A fresh llama.cpp grammar state for answers under the JSON schema ``schema_json``."""
        return GrammarGuide(self._lib, self._vocab, self.vocab_size, _gbnf(schema_json))


@lru_cache(maxsize=32)
def _gbnf(schema_json: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return json_schema_to_gbnf(schema_json)


class GrammarGuide:
    """Which tokens a llama.cpp grammar allows next, as a mask over the vocabulary."""

    def __init__(self, lib: Any, vocab: Any, size: int, gbnf: str) -> None:
        self._lib = lib
        self._sampler = lib.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
        if not self._sampler:
            raise ProviderError("llama.cpp refused the grammar built from the answer schema")
        self._candidates = np.zeros(size, dtype=[("id", np.int32), ("logit", np.float32), ("p", np.float32)])
        self._candidates["id"] = np.arange(size, dtype=np.int32)
        self._array = lib.llama_token_data_array(
            data=self._candidates.ctypes.data_as(lib.llama_token_data_p), size=size, selected=-1, sorted=False
        )

    def allowed(self, logits: np.ndarray) -> np.ndarray:
        self._candidates["logit"] = logits
        self._lib.llama_sampler_apply(self._sampler, ctypes.byref(self._array))
        return np.isfinite(self._candidates["logit"])

    def accept(self, token: int) -> None:
        self._lib.llama_sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler:
            self._lib.llama_sampler_free(self._sampler)
            self._sampler = None


class PrefixStates:
    """Saved prefix sequences by prompt prefix, least recently used dropped past ``capacity`` bytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._states: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self._size = 0

    def get(self, prefix: tuple[int, ...]) -> bytes | None:
        state = self._states.get(prefix)
        if state is not None:
            self._states.move_to_end(prefix)
        return state

    def put(self, prefix: tuple[int, ...], state: bytes) -> None:
        if len(state) > self.capacity or prefix in self._states:
            return
        self._states[prefix] = state
        self._size += len(state)
        while self._size > self.capacity:
            _, dropped = self._states.popitem(last=False)
            self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._states)
