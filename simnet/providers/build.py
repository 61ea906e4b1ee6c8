"""Build the provider a run uses from its scenario's ProviderConfig.

Every provider is wrapped the same way (Concordia's habit): retries for transient per-request
errors inside, the database decision cache outside, so a step retried after a crash pays
nothing for the decisions it already received, and the quality gate outermost, so junk text is
asked for again and never reaches a reader.

A provider's ``base_url`` is typed by a customer, so the server's requests to it go through
the webhooks' address guard: in production only public addresses, checked when the URL is
saved and again before every request, which then connects to the address that was checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2
from django.conf import settings
from django.utils.module_loading import import_string

from simnet.llm.base import Provider, ProviderError
from simnet.llm.offline_models import DEFAULT_OFFLINE_MODEL, OFFLINE_MODELS
from simnet.llm.registry import build_provider
from simnet.llm.wrappers import CachingProvider, GatedProvider, GateTally, RetryingProvider
from simnet.providers.decision_store import DatabaseDecisionStore
from simnet.providers.models import ProviderConfig
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.secrets import decrypt_for
from simnet.webhooks.addresses import (
    PinnedTransport,
    Resolver,
    UnsafeUrl,
    check_outbound_url,
    resolve_host,
)
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


def check_base_url(url: str) -> None:
    """``ApplicationError`` on the ``base_url`` field unless the server may send requests there."""
    if not url:
        return
    try:
        check_outbound_url(url, allow_loopback=loopback_allowed(), resolve=resolve_host)
    except UnsafeUrl as refused:
        raise ApplicationError(
            str(refused), code="base_url_refused", fields={"base_url": [str(refused)]}
        ) from None


class ProviderTransport(PinnedTransport):
    """The guarded transport of a customer's OpenAI-compatible server.

    A refused address (DNS changed since the URL was saved) is a ``ProviderError``: the run
    fails with a sentence saying why instead of retrying a server it must not reach."""

    def handle_request(self, request):
        try:
            return super().handle_request(request)
        except UnsafeUrl as refused:
            raise ProviderError(f"openai_compat: {refused}") from None


class AnthropicTransport(httpx2.HTTPTransport):
    """``ProviderTransport`` for a customer's Anthropic-compatible server.

    The anthropic SDK speaks httpx2 (a fork of httpx with the same API) and refuses httpx
    objects, so this repeats ``PinnedTransport``'s two lines of pinning on httpx2's base class."""

    def __init__(self, *, allow_loopback: bool, resolve: Resolver) -> None:
        super().__init__()
        self._allow_loopback = allow_loopback
        self._resolve = resolve

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            target = check_outbound_url(
                str(request.url), allow_loopback=self._allow_loopback, resolve=self._resolve
            )
        except UnsafeUrl as refused:
            raise ProviderError(f"anthropic: {refused}") from None
        request.url = request.url.copy_with(host=target.addresses[0])
        request.extensions = {**request.extensions, "sni_hostname": target.host}
        return super().handle_request(request)


def _checked_before_connecting(url: str, kind: str) -> str:
    """``url`` once it resolves to addresses the server may reach: a refusal before any request
    is built fails the run at once, where the transport's refusal comes after the SDK's retries."""
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
    if config.kind == ProviderConfig.Kind.ANTHROPIC:
        return {
            "api_key": secret or settings.ANTHROPIC_API_KEY,
            "model": config.model,
            "max_concurrency": config.max_concurrency,
            **_anthropic_server(config.base_url),
        }
    return {
        "base_url": config.base_url,
        "model": config.model,
        "api_key": secret,
        "max_concurrency": config.max_concurrency,
        "transport": ProviderTransport(allow_loopback=loopback_allowed(), resolve=resolve_host),
    }


def _anthropic_server(base_url: str) -> dict:
    """Nothing for Anthropic's own API; a customer's ``base_url`` comes with the guarded transport."""
    if not base_url:
        return {}
    return {
        "base_url": _checked_before_connecting(base_url, "anthropic"),
        "transport": AnthropicTransport(allow_loopback=loopback_allowed(), resolve=resolve_host),
    }


def _raw_provider(config: ProviderConfig | None) -> Provider:
    if config is not None and config.kind in settings.SIMNET_TEST_PROVIDER_KINDS:
        return import_string(settings.SIMNET_TEST_PROVIDER_KINDS[config.kind])()
    kind = config.kind if config is not None else "offline"
    return build_provider(kind, **_settings_for(config))


def provider_for(
    config: ProviderConfig | None, *, organization_id: int, gate: GateTally | None = None
) -> Provider:
    """The wrapped provider for a run of ``organization_id``; ``gate`` counts what the quality
    gate checked and refused."""
    cached = CachingProvider(
        RetryingProvider(_raw_provider(config)), store=DatabaseDecisionStore(organization_id)
    )
    return GatedProvider(cached, tally=gate)
