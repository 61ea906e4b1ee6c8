"""Build the provider a run uses from its scenario's ProviderConfig.

Every provider is wrapped the same way (Concordia's habit): retries for transient per-request
errors inside, the database decision cache outside, so a step retried after a crash pays
nothing for the decisions it already received, and the quality gate outermost, so junk text is
asked for again and never reaches a reader.

A hosted provider gets the configuration's rate limiter (``simnet.providers.ratelimit``): its
requests and tokens per minute, and any 429's pause, are shared by every worker of every machine.

A provider's ``base_url`` is typed by a customer, so the server's requests to it go through
the webhooks' address guard: in production only public addresses, checked when the URL is
saved and again before every request, which then connects to the address that was checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

from simnet.llm.base import LLMRequest, Provider, ProviderError
from simnet.llm.message_batches import MessageBatchProvider
from simnet.llm.offline_models import DEFAULT_OFFLINE_MODEL, OFFLINE_MODELS
from simnet.llm.ratelimit import RateLimits
from simnet.llm.registry import build_provider
from simnet.llm.wrappers import CacheKey, CachingProvider, GatedProvider, GateTally, RetryingProvider
from simnet.providers.batch_ledger import CacheBatchLedger
from simnet.providers.decision_store import DatabaseDecisionStore
from simnet.providers.models import ProviderConfig
from simnet.providers.ratelimit import limiter_for
from simnet.providers.transports import AnthropicTransport, ProviderTransport
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.secrets import decrypt_for
from simnet.webhooks.addresses import UnsafeUrl, check_outbound_url, resolve_host
from simnet.webhooks.services import loopback_allowed

OFFLINE_MODEL = DEFAULT_OFFLINE_MODEL


@dataclass(frozen=True)
class ProviderChoice:
    kind: str
    model: str
    label: str


def choice_for(config: ProviderConfig | None) -> ProviderChoice:
    if config is None:
        label = f"Offline model ({OFFLINE_MODELS[OFFLINE_MODEL].label}, on this server)"
        return ProviderChoice("offline", OFFLINE_MODEL, label)
    model = config.model or (OFFLINE_MODEL if config.kind == ProviderConfig.Kind.OFFLINE else "")
    return ProviderChoice(config.kind, model, str(config))


def operator_model_server(url: str) -> bool:
    """A model server the operator named in ``SIMNET_MODEL_SERVER_HOSTS`` (their own vLLM or
    llama.cpp server on a private network): the rule that a customer's URL must reach a public
    address protects the operator's network, which this host is a chosen part of."""
    host = (urlsplit(url).hostname or "").lower()
    return bool(host) and host in {h.lower() for h in settings.SIMNET_MODEL_SERVER_HOSTS}


def check_base_url(url: str) -> None:
    """``ApplicationError`` on the ``base_url`` field unless the server may send requests there."""
    if not url or operator_model_server(url):
        return
    try:
        check_outbound_url(url, allow_loopback=loopback_allowed(), resolve=resolve_host)
    except UnsafeUrl as refused:
        raise ApplicationError(
            str(refused), code="base_url_refused", fields={"base_url": [str(refused)]}
        ) from None


def _checked_before_connecting(url: str, kind: str) -> str:
    """``url`` once it resolves to addresses the server may reach: a refusal before any request
    is built fails the run at once, where the transport's refusal comes after the SDK's retries."""
    if operator_model_server(url):
        return url
    try:
        check_outbound_url(url, allow_loopback=loopback_allowed(), resolve=resolve_host)
    except UnsafeUrl as refused:
        raise ProviderError(f"{kind}: {refused}") from None
    return url


def offline_settings(model: str = "") -> dict:
    """The embedded model ``model`` names (``ProviderConfig.model``: one of
    ``simnet.llm.offline_models.OFFLINE_MODELS``, the default when blank) and its prompt-state
    cache: big enough to keep every persona's prefix of a demo-sized panel (about 14 MB each for a
    ~600-token prompt), so steps after the first are warm."""
    return {"model_name": model or OFFLINE_MODEL, "prefix_cache_mb": settings.SIMNET_OFFLINE_CACHE_MB}


def _settings_for(config: ProviderConfig | None) -> dict:
    if config is None or config.kind == ProviderConfig.Kind.OFFLINE:
        return offline_settings(config.model if config is not None else "")
    if config.kind == ProviderConfig.Kind.BASELINE:
        return {}
    secret = (
        decrypt_for(config.organization_id, config.secret_ciphertext) if config.secret_ciphertext else None
    )
    limiter = limiter_for(
        config.organization_id,
        config.pk,
        RateLimits(
            requests_per_minute=config.requests_per_minute, tokens_per_minute=config.tokens_per_minute
        ),
    )
    if config.kind == ProviderConfig.Kind.ANTHROPIC:
        return {
            "api_key": secret or settings.ANTHROPIC_API_KEY,
            "model": config.model,
            "max_concurrency": config.max_concurrency,
            "limiter": limiter,
            **_anthropic_server(config.base_url),
        }
    return {
        "base_url": config.base_url,
        "model": config.model,
        "api_key": secret,
        "max_concurrency": config.max_concurrency,
        "limiter": limiter,
        "transport": None if operator_model_server(config.base_url) else _guarded(ProviderTransport),
    }


def _guarded(transport_class):
    """Builds the guarded transport of each batch's client (the provider asks once per ``generate``)."""
    return lambda: transport_class(allow_loopback=loopback_allowed(), resolve=resolve_host)


def _anthropic_server(base_url: str) -> dict:
    """Nothing for Anthropic's own API; a customer's ``base_url`` comes with the guarded transport."""
    if not base_url:
        return {}
    return {
        "base_url": _checked_before_connecting(base_url, "anthropic"),
        "transport": None if operator_model_server(base_url) else _guarded(AnthropicTransport),
    }


def _raw_provider(config: ProviderConfig | None) -> Provider:
    if config is not None and config.kind in settings.SIMNET_TEST_PROVIDER_KINDS:
        return import_string(settings.SIMNET_TEST_PROVIDER_KINDS[config.kind])()
    kind = config.kind if config is not None else "offline"
    return build_provider(kind, **_settings_for(config))


def provider_for(
    config: ProviderConfig | None,
    *,
    organization_id: int,
    gate: GateTally | None = None,
    step_requests: Sequence[LLMRequest] = (),
) -> Provider:
    """The wrapped provider for a run of ``organization_id``; ``gate`` counts what the quality
    gate checked and refused.

    A configuration with ``message_batches`` (Anthropic only) answers through Message Batches at
    half price, for runs that need not be live: ``generate`` raises ``AnswersPending`` until the
    batch has ended. ``step_requests`` (the whole step) go into one batch at once, except those
    already cached; without them each ``generate`` would make a batch of its own."""
    store = DatabaseDecisionStore(organization_id)
    raw = _raw_provider(config)
    if config is not None and config.message_batches:
        raw = _through_message_batches(raw, organization_id, store, step_requests)
    return GatedProvider(CachingProvider(RetryingProvider(raw), store=store), tally=gate)


def _through_message_batches(
    raw: Provider, organization_id: int, store: DatabaseDecisionStore, step_requests: Sequence[LLMRequest]
) -> MessageBatchProvider:
    if not hasattr(raw, "submit_batch"):  # the SDK stays unimported for other kinds
        raise ProviderError(f"{raw.name}: only Anthropic answers through Message Batches")
    batches = MessageBatchProvider(raw, CacheBatchLedger(organization_id))
    keys = {CacheKey.for_request(raw.name, raw.model, request): request for request in step_requests}
    cached = store.get_many(list(keys))
    batches.submit([request for key, request in keys.items() if key not in cached])
    return batches
