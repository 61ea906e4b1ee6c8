"""The provider interface every decision maker implements.

Kept tiny on purpose (Concordia's ``language_model.py``): a provider turns a batch of
``LLMRequest`` into the same number of ``LLMResponse``. Retries, caching, metering and
budgets are wrappers around any provider, never code inside one.

This module imports nothing from Django so the engine and the benchmarks can use it.
"""

from __future__ import annotations

import hashlib
from base64 import b64encode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Usage:
    """Tokens and money one call really used, as the provider reported them."""

    input_tokens: int = 0  # input NOT served from a prompt cache (as Anthropic reports it)
    output_tokens: int = 0
    cached_input_tokens: int = 0  # read from a prompt cache (cheaper)
    cache_write_tokens: int = 0  # written to a prompt cache (dearer, once)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    calls: int = 1

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            latency_s=self.latency_s + other.latency_s,
            calls=self.calls + other.calls,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


ZERO_USAGE = Usage(calls=0)


@dataclass(frozen=True)
class FeedItem:
    """One post as an agent sees it in its feed (structured, for policies that read no text)."""

    post_id: str
    author_id: str
    author_handle: str
    text: str
    kind: str  # post, reply, quote, repost
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    relevance: float = 0.0  # 0..1 similarity of the post to the reader's interests
    is_stimulus: bool = False
    author_followed: bool = False


@dataclass(frozen=True)
class Situation:
    """What an agent faces at one decision, as data (the prompt is a rendering of this)."""

    agent_id: str
    step: int
    feed: tuple[FeedItem, ...] = ()
    # Per-item probabilities learnt from the persona's history: keys are action names
    # ("like", "repost", "quote", "reply", "post", "follow") -> probability per seen item / step.
    propensities: Mapping[str, float] = field(default_factory=dict)
    traits: Mapping[str, Any] = field(default_factory=dict)
    format: str = "feed"  # feed | roundtable | forum
    # Who the agent is (name, handle, card) without the answer rules: what a writer needs to
    # write words in the persona's voice when another policy made the decision.
    voice: str = ""


@dataclass(frozen=True)
class ImagePart:
    """An image a vision provider is shown with the prompt (a stimulus picture or a video keyframe).

    Raw bytes and their media type: each provider encodes them its own way (Anthropic base64
    image blocks, OpenAI-compatible data URLs). ``digest`` goes into the decision cache key, so
    the same words shown with another picture are never answered from the cache.
    """

    media_type: str  # image/jpeg, image/png, image/gif or image/webp
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def base64(self) -> str:
        return b64encode(self.data).decode("ascii")


@dataclass(frozen=True)
class LLMRequest:
    """One call: a stable, cacheable ``system`` prefix and a short per-call ``user`` suffix."""

    key: str  # who asks (agent id, or "interview:<id>") - echoed back on the response
    system: str
    user: str
    schema: Mapping[str, Any] | None = None  # JSON schema the answer must follow
    max_tokens: int = 200
    seed: int = 0
    temperature: float = 0.7
    situation: Situation | None = None  # structured context for non-LLM policies
    # Free words asked for outside a decision (a writer's reply): their kind (post, reply, quote,
    # reason, answer) and the text they answer, so the quality gate can judge them.
    text_kind: str | None = None
    answers: str = ""
    # Pictures shown after ``user`` (only to providers that see images; others get alt text).
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True)
class LLMResponse:
    key: str
    text: str  # raw text the model produced
    data: Mapping[str, Any] | None = None  # parsed JSON when a schema was given and it parsed
    usage: Usage = ZERO_USAGE
    error: str | None = None  # a per-request failure; the caller records it, the run goes on
    cached: bool = False  # served from the decision cache, nothing paid
    retryable: bool = False  # the error is transient (rate limit, overload, network): worth asking again


class ProviderError(Exception):
    """A failure of the whole provider, not of one request (bad key, unreachable server)."""


class QuotaExceeded(ProviderError):
    """Spend limit, credit or quota exhausted: the run must pause, never retry in a loop."""


class ProviderCrashed(ProviderError):
    """The model's own process died several calls in a row (a native crash): the run must pause
    with that sentence, since asking again at once would only crash again."""


class ProviderUnavailable(ProviderError):
    """Every request of a batch failed transiently (rate limited, overloaded, unreachable):
    nothing is wrong with the run, so the caller retries the whole step later instead of
    recording a step in which every agent failed."""


class AnswersPending(ProviderUnavailable):
    """The answers are in Message Batches that have not ended (``simnet.llm.message_batches``):
    nothing is wrong, ask again after ``retry_after_s``; asking sooner only polls."""

    def __init__(self, batch_ids: Sequence[str], waiting: int, retry_after_s: float) -> None:
        self.batch_ids = tuple(batch_ids)
        self.retry_after_s = retry_after_s
        super().__init__(
            f"{waiting} answers are waiting in Message Batch {', '.join(self.batch_ids)} "
            "(answered within 24 hours, most within an hour)"
        )


@runtime_checkable
class Provider(Protocol):
    name: str  # "anthropic", "openai_compat", "offline", "baseline", ...
    model: str

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        """Answer every request, in order. Per-request failures go in ``LLMResponse.error``;
        provider-wide failures raise ``ProviderError`` (``QuotaExceeded`` to pause)."""
        ...
