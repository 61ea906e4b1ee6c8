"""Writes of provider configurations."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from simnet.llm.offline_models import OFFLINE_MODELS
from simnet.providers.build import check_base_url
from simnet.providers.models import ProviderConfig
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, audit_actor
from simnet.tenancy.audit import Actions, record
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.secrets import encrypt_for, mask


def provider_config_create(
    *,
    organization,
    actor: Actor | None,
    name: str,
    kind: str,
    model: str = "",
    base_url: str = "",
    secret: str = "",
    max_concurrency: int = 4,
    requests_per_minute: int | None = None,
    tokens_per_minute: int | None = None,
    message_batches: bool = False,
    ip: str | None = None,
) -> ProviderConfig:
    """Store a provider; the secret is encrypted for this organization and never shown again."""
    require_role(actor_role(organization, actor), roles.MANAGE, "configure providers")
    if kind not in ProviderConfig.Kind.values:
        raise ApplicationError(f"Unknown provider kind {kind!r}.", fields={"kind": ["Unknown kind."]})
    if kind in (ProviderConfig.Kind.ANTHROPIC, ProviderConfig.Kind.OPENAI_COMPAT) and not model:
        raise ApplicationError("Name the model to use.", fields={"model": ["Required for this provider."]})
    if kind == ProviderConfig.Kind.OPENAI_COMPAT and not base_url:
        raise ApplicationError(
            "Give the server's base URL.", fields={"base_url": ["Required, e.g. http://host:8000/v1"]}
        )
    if kind == ProviderConfig.Kind.OFFLINE and model.strip() not in ("", *OFFLINE_MODELS):
        choices = ", ".join(OFFLINE_MODELS)
        raise ApplicationError(
            f"Unknown offline model {model.strip()!r}.",
            fields={"model": [f"Leave blank or pick one of {choices}."]},
        )
    if message_batches and kind != ProviderConfig.Kind.ANTHROPIC:
        raise ApplicationError(
            "Only Anthropic answers through Message Batches.",
            fields={"message_batches": ["Anthropic only."]},
        )
    if kind == ProviderConfig.Kind.ANTHROPIC and not secret:
        raise ApplicationError("Paste the Anthropic API key.", fields={"secret": ["Required for Anthropic."]})
    check_base_url(base_url.strip())
    with transaction.atomic():
        config = ProviderConfig.objects.create(
            organization=organization,
            name=name.strip() or kind,
            kind=kind,
            model=model.strip(),
            base_url=base_url.strip(),
            secret_ciphertext=encrypt_for(organization.pk, secret) if secret else "",
            secret_hint=mask(secret) if secret else "",
            max_concurrency=max_concurrency,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            message_batches=message_batches,
        )
        record(
            organization=organization,
            action=Actions.PROVIDER_CONFIGURED,
            target=config,
            ip=ip,
            detail={"kind": kind, "model": model},
            **audit_actor(actor),
        )
    return config


InUseCount = Callable[[ProviderConfig], int]
_users: dict[str, InUseCount] = {}


def register_user(name: str, count: InUseCount) -> None:
    """Count ``count(config)`` unfinished users of a provider before it may be deleted.

    Runs and backtests sit above this app, so simulations registers them from its ``ready()``.
    """
    _users[name] = count


@transaction.atomic
def provider_config_delete(*, config: ProviderConfig, actor: Actor | None, ip: str | None = None) -> None:
    """Delete a provider and its encrypted secret.

    Refused while an unfinished run or backtest uses it (its next step would quietly switch
    provider); scenarios that named it fall back to the offline model.
    """
    require_role(actor_role(config.organization_id, actor), roles.MANAGE, "configure providers")
    in_use = sum(count(config) for count in _users.values())
    if in_use:
        raise ApplicationError(
            f"{in_use} unfinished run(s) or backtest(s) use this provider; cancel them or wait until they end.",
            code="provider_in_use",
            status=409,
        )
    record(
        organization=config.organization, action=Actions.PROVIDER_DELETED, target=config, ip=ip,
        detail={"kind": config.kind, "model": config.model}, **audit_actor(actor),
    )  # fmt: skip
    config.delete()
