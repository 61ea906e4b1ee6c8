"""Persona summaries: two or three sentences a hosted language model writes from a persona's card.

Optional by design. The deterministic card works offline and is never changed here; a summary
only adds an ``In short:`` line before it when a run snapshots the panel
(``persistence.engine_card``), so the panel hash of the run's reproducibility record sees it.
The call goes through the organization's own provider config with the usual retry and
decision-cache wrappers, after a check against the monthly budget; what it cost stays on the
persona, where ``monthly_spend`` counts it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from personas.builders.summary_prompt import summary_request, tidy_summary
from personas.models import Persona
from simnet.llm.base import LLMRequest, ProviderError, QuotaExceeded, Usage
from simnet.llm.pricing import cost_of, price_for
from simnet.llm.tokens import count_tokens
from simnet.providers.build import provider_for
from simnet.providers.models import HOSTED_KINDS, ProviderConfig
from simnet.providers.spend import budget_left, month_start
from simnet.tenancy import roles
from simnet.tenancy.access import require_role
from simnet.tenancy.actors import Actor, actor_role, audit_actor
from simnet.tenancy.audit import record
from simnet.tenancy.errors import ApplicationError

AUDIT_SUMMARIZED = "persona.summarized"
AUDIT_SUMMARY_CLEARED = "persona.summary_cleared"
NEEDS_HOSTED_MODEL = (
    "A summary needs a hosted language model (Anthropic or an OpenAI-compatible server, set up in "
    "Settings → Providers); meanwhile runs use the deterministic card."
)


def _require_own(persona: Persona, organization) -> None:
    """Only the owner edits a persona: one on a panel shared with you is read-only."""
    if persona.organization_id != organization.pk:
        raise ApplicationError("That persona does not exist.", code="not_found", status=404)


def _hosted(config: ProviderConfig | None, organization) -> ProviderConfig:
    if config is None:
        raise ApplicationError(
            "Choose the provider that writes the summary.", fields={"provider": ["Choose a hosted provider."]}
        )
    if config.organization_id != organization.pk:
        raise ApplicationError("That provider does not exist.", code="not_found", status=404)
    if config.kind not in HOSTED_KINDS:
        raise ApplicationError(
            f"“{config.name}” is the {config.get_kind_display()}, not a hosted language model. "
            + NEEDS_HOSTED_MODEL,
            code="needs_hosted_model",
            fields={"provider": ["Choose an Anthropic or OpenAI-compatible provider."]},
        )
    return config


def _check_budget(organization, config: ProviderConfig, request: LLMRequest) -> None:
    """Refuse when the month's budget is spent or this call could cost more than what is left."""
    tokens_in = count_tokens(request.system) + count_tokens(request.user)
    most = cost_of(
        price_for(config.kind, config.model), Usage(input_tokens=tokens_in, output_tokens=request.max_tokens)
    )
    expected = Decimal(str(round(most, 6)))
    remaining = budget_left(organization)
    if remaining <= 0 or expected > remaining:
        raise ApplicationError(
            f"A summary costs up to about ${expected:.4f} and ${max(remaining, Decimal(0)):.2f} is left of "
            "this month's budget. Ask an admin to raise the monthly budget in Settings; meanwhile runs use "
            "the deterministic card.",
            code="quota_exceeded",
            status=402,
        )


def _written_text(config: ProviderConfig, provider, request: LLMRequest) -> tuple[str, Usage]:
    """The tidied summary and what it cost (nothing when the decision cache answered), or an
    ApplicationError a person can read."""
    try:
        response = provider.generate([request])[0]
    except QuotaExceeded as error:
        raise ApplicationError(
            f"“{config.name}” refused: its account is out of quota or credit ({error}). Nothing was saved.",
            code="provider_quota",
            status=402,
        ) from error
    except ProviderError as error:
        raise ApplicationError(
            f"“{config.name}” could not be reached or refused the request ({error}). Nothing was saved.",
            code="provider_error",
            status=502,
        ) from error
    if response.error:
        raise ApplicationError(
            f"“{config.name}” could not write the summary ({response.error}). Nothing was saved; "
            "try again later.",
            code="provider_error",
            status=502,
        )
    text = tidy_summary(response.text or "")
    if not text:
        raise ApplicationError(
            f"“{config.name}” answered with no text. Nothing was saved; try again or choose another "
            "provider.",
            code="provider_error",
            status=502,
        )
    return text, response.usage


def persona_summarize(
    *,
    organization,
    actor: Actor | None,
    persona: Persona,
    config: ProviderConfig | None,
    ip: str | None = None,
) -> Persona:
    """Have ``config`` (a hosted model of the organization) summarise the organization's own ``persona``
    from its card; stores the summary, who wrote it, when, and adds its cost. The model is called
    outside any transaction of this function; nothing is stored when it fails."""
    _require_own(persona, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "summarise personas")
    config = _hosted(config, organization)
    if not persona.card.strip():
        raise ApplicationError("This persona has no card to summarise yet.", code="no_card")
    request = summary_request(
        persona_id=str(persona.pk), name=persona.display_name, handle=persona.handle, card=persona.card
    )
    _check_budget(organization, config, request)
    provider = provider_for(config, organization_id=organization.pk)
    text, usage = _written_text(config, provider, request)
    cost = Decimal(str(round(usage.cost_usd, 6)))
    model = provider.model or config.model
    by = f"{config.get_kind_display()}{' ' + model if model else ''} ({config.name})"
    rows = Persona.objects.for_org(organization).filter(pk=persona.pk)
    with transaction.atomic():
        # A new month's spend starts over: the cost kept is what summaries cost in summary_at's month.
        rows.filter(summary_at__lt=month_start()).update(summary_cost_usd=0)
        rows.update(
            summary=text,
            summary_by=by[:300],
            summary_at=timezone.now(),
            summary_cost_usd=F("summary_cost_usd") + cost,
        )
        record(
            organization=organization,
            action=AUDIT_SUMMARIZED,
            target=persona,
            detail={"provider": config.pk, "cost_usd": str(cost)},
            ip=ip,
            **audit_actor(actor),
        )
    persona.refresh_from_db()
    return persona


def persona_summary_clear(
    *, organization, actor: Actor | None, persona: Persona, ip: str | None = None
) -> Persona:
    """Remove the summary; runs started from now on read the card alone. ``summary_at`` and the cost stay
    (the month's spend still counts what the summary cost)."""
    _require_own(persona, organization)
    require_role(actor_role(organization, actor), roles.WRITE, "remove persona summaries")
    with transaction.atomic():
        Persona.objects.for_org(organization).filter(pk=persona.pk).update(summary="", summary_by="")
        record(
            organization=organization,
            action=AUDIT_SUMMARY_CLEARED,
            target=persona,
            ip=ip,
            **audit_actor(actor),
        )
    persona.refresh_from_db()
    return persona


def summaries_spend(organization, since) -> Decimal:
    """What the organization's persona summaries cost since ``since`` (counted by the monthly budget)."""
    total = (
        Persona.objects.for_org(organization)
        .filter(summary_at__gte=since)
        .aggregate(total=Sum("summary_cost_usd"))
    )
    return total["total"] or Decimal(0)
