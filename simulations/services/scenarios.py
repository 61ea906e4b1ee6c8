"""Scenarios and provider configurations."""

from __future__ import annotations

from django.db import transaction

from personas.models import Panel
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, actor_user, audit_actor
from simnet.tenancy.audit import Actions, record
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.secrets import encrypt_for, mask
from simulations.engine.recommenders import RECOMMENDERS
from simulations.models import FINAL_STATUSES, Backtest, ProviderConfig, Run, Scenario, Stimulus
from simulations.providers import check_base_url


def scenario_create(
    *,
    organization,
    user: Actor,
    panel: Panel,
    name: str,
    format: str = Scenario.Format.FEED,
    steps: int = 10,
    minutes_per_step: int = 60,
    recommender: str = "mix",
    feed_size: int = 5,
    memory_tokens: int = 120,
    provider: ProviderConfig | None = None,
    seed: int = 1,
    budget_usd=None,
    budget_tokens: int | None = None,
    agenda: list[str] | None = None,
    stimuli: list[dict] | None = None,
) -> Scenario:
    """A scenario on a panel the organization owns or that was shared with it."""
    require_role(actor_role(organization, user), roles.WRITE, "create scenarios")
    if not Panel.objects.visible_to(organization).filter(pk=panel.pk).exists():
        raise ApplicationError("That panel does not exist.", code="not_found", status=404)
    if provider is not None and provider.organization_id != organization.pk:
        raise ApplicationError("That provider does not exist.", code="not_found", status=404)
    errors: dict[str, list[str]] = {}
    if not 1 <= steps <= 500:
        errors["steps"] = ["Choose between 1 and 500 steps."]
    if recommender not in RECOMMENDERS:
        errors["recommender"] = [f"Choose one of: {', '.join(sorted(RECOMMENDERS))}."]
    if not 1 <= feed_size <= 20:
        errors["feed_size"] = ["A feed shows between 1 and 20 posts."]
    if format == Scenario.Format.ROUNDTABLE and not [a for a in (agenda or []) if a.strip()]:
        errors["agenda"] = ["A roundtable needs at least one agenda item."]
    if format == Scenario.Format.FEED and not (stimuli or []):
        errors["stimuli"] = ["Add the content the community should react to."]
    if errors:
        raise ApplicationError("The scenario has problems; see the fields.", code="invalid", fields=errors)
    with transaction.atomic():
        scenario = Scenario.objects.create(
            organization=organization,
            panel=panel,
            name=name.strip() or "Untitled scenario",
            format=format,
            steps=steps,
            minutes_per_step=minutes_per_step,
            recommender=recommender,
            feed_size=feed_size,
            memory_tokens=memory_tokens,
            provider=provider,
            seed=seed,
            budget_usd=budget_usd,
            budget_tokens=budget_tokens,
            agenda=[a.strip() for a in (agenda or []) if a.strip()],
            created_by=actor_user(user),
        )
        for item in stimuli or []:
            Stimulus.objects.create(
                organization=organization,
                scenario=scenario,
                text=item["text"],
                author_handle=item.get("author_handle", "") if not item.get("author_persona") else "",
                author_persona=item.get("author_persona"),
                step=item.get("step", 0),
                boost=item.get("boost", 0.0),
                image=item.get("image"),
            )
    return scenario


def provider_config_create(
    *,
    organization,
    user: Actor,
    name: str,
    kind: str,
    model: str = "",
    base_url: str = "",
    secret: str = "",
    max_concurrency: int = 4,
    ip: str | None = None,
) -> ProviderConfig:
    """Store a provider; the secret is encrypted for this organization and never shown again."""
    require_role(actor_role(organization, user), roles.MANAGE, "configure providers")
    if kind not in ProviderConfig.Kind.values:
        raise ApplicationError(f"Unknown provider kind {kind!r}.", fields={"kind": ["Unknown kind."]})
    if kind in (ProviderConfig.Kind.ANTHROPIC, ProviderConfig.Kind.OPENAI_COMPAT) and not model:
        raise ApplicationError("Name the model to use.", fields={"model": ["Required for this provider."]})
    if kind == ProviderConfig.Kind.OPENAI_COMPAT and not base_url:
        raise ApplicationError(
            "Give the server's base URL.", fields={"base_url": ["Required, e.g. http://host:8000/v1"]}
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
        )
        record(
            organization=organization,
            action=Actions.PROVIDER_CONFIGURED,
            target=config,
            ip=ip,
            detail={"kind": kind, "model": model},
            **audit_actor(user),
        )
    return config


@transaction.atomic
def provider_config_delete(*, config: ProviderConfig, user: Actor, ip: str | None = None) -> None:
    """Delete a provider and its encrypted secret.

    Refused while an unfinished run or backtest uses it (its next step would quietly switch
    provider); scenarios that named it fall back to the offline model.
    """
    require_role(actor_role(config.organization_id, user), roles.MANAGE, "configure providers")
    organization_id = config.organization_id
    runs = Run.objects.filter(organization_id=organization_id, scenario__provider=config).exclude(
        status__in=FINAL_STATUSES
    )
    backtests = Backtest.objects.filter(organization_id=organization_id, provider_config=config).filter(
        status__in=(Backtest.Status.QUEUED, Backtest.Status.RUNNING)
    )
    in_use = runs.count() + backtests.count()
    if in_use:
        raise ApplicationError(
            f"{in_use} unfinished run(s) or backtest(s) use this provider; cancel them or wait until they end.",
            code="provider_in_use",
            status=409,
        )
    record(
        organization=config.organization, action=Actions.PROVIDER_DELETED, target=config, ip=ip,
        detail={"kind": config.kind, "model": config.model}, **audit_actor(user),
    )  # fmt: skip
    config.delete()
