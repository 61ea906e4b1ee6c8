"""Build the provider a run uses from its scenario's ProviderConfig.

Every provider is wrapped the same way (Concordia's habit): retries for transient per-request
errors inside, the database decision cache outside, so a step retried after a crash pays
nothing for the decisions it already received.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from simnet.tenancy.secrets import decrypt_for
from simulations.llm.base import Provider
from simulations.llm.registry import build_provider
from simulations.llm.wrappers import CachingProvider, RetryingProvider

from .decision_store import DatabaseDecisionStore
from .models import ProviderConfig

OFFLINE_MODEL = "SmolLM2-135M-Instruct.Q4_1"


@dataclass(frozen=True)
class ProviderChoice:
    kind: str
    model: str
    label: str


def choice_for(config: ProviderConfig | None) -> ProviderChoice:
    if config is None:
        return ProviderChoice("offline", OFFLINE_MODEL, "Offline model (SmolLM2-135M, on this server)")
    model = config.model or (OFFLINE_MODEL if config.kind == ProviderConfig.Kind.OFFLINE else "")
    return ProviderChoice(config.kind, model, str(config))


def offline_settings() -> dict:
    """The embedded model's prompt-state cache: big enough to keep every persona's prefix of a
    demo-sized panel (about 14 MB each for a ~600-token prompt), so steps after the first are warm."""
    return {"prefix_cache_mb": settings.SIMNET_OFFLINE_CACHE_MB}


def _settings_for(config: ProviderConfig | None) -> dict:
    if config is None or config.kind == ProviderConfig.Kind.OFFLINE:
        return offline_settings()
    if config.kind == ProviderConfig.Kind.BASELINE:
        return {}
    secret = decrypt_for(config.organization_id, config.secret_ciphertext) if config.secret_ciphertext else None
    if config.kind == ProviderConfig.Kind.ANTHROPIC:
        return {
            "api_key": secret or settings.ANTHROPIC_API_KEY,
            "model": config.model,
            "base_url": config.base_url or None,
            "max_concurrency": config.max_concurrency,
        }
    return {
        "base_url": config.base_url,
        "model": config.model,
        "api_key": secret,
        "max_concurrency": config.max_concurrency,
    }


def _raw_provider(config: ProviderConfig | None) -> Provider:
    if config is not None and config.kind == "fake" and settings.SIMNET_TEST_PROVIDERS:
        from simulations.test_providers import counting_fake_provider

        return counting_fake_provider()
    kind = config.kind if config is not None else "offline"
    return build_provider(kind, **_settings_for(config))


def provider_for(config: ProviderConfig | None, *, organization_id: int) -> Provider:
    """The wrapped provider for a run of ``organization_id``."""
    return CachingProvider(RetryingProvider(_raw_provider(config)), store=DatabaseDecisionStore(organization_id))
