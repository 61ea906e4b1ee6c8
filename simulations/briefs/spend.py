"""What extracting briefs costs, checked before the call and counted in the month's spend."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from simnet.llm.base import LLMRequest, Usage
from simnet.llm.pricing import cost_of, price_for
from simnet.llm.tokens import count_tokens
from simnet.providers.models import ProviderConfig
from simnet.providers.spend import budget_left
from simnet.tenancy.errors import ApplicationError
from simulations.models import BriefDraft


def most_cost(config: ProviderConfig, request: LLMRequest) -> Decimal:
    """Dollars if the request were answered at full length (list price, no cache)."""
    tokens_in = count_tokens(request.system) + count_tokens(request.user)
    usage = Usage(input_tokens=tokens_in, output_tokens=request.max_tokens)
    return Decimal(str(round(cost_of(price_for(config.kind, config.model), usage), 6)))


def check_budget(organization, config: ProviderConfig, request: LLMRequest) -> None:
    """Refused (402) when the month's budget is spent or cannot cover the call at full length."""
    expected, remaining = most_cost(config, request), budget_left(organization)
    if remaining <= 0 or expected > remaining:
        raise ApplicationError(
            f"Extracting this brief costs up to about ${expected:.4f} and ${max(remaining, Decimal(0)):.2f} "
            "is left of this month's budget. Ask an admin to raise the monthly budget in Settings, or "
            "start from a template.",
            code="quota_exceeded",
            status=402,
        )


def briefs_spend(organization, since) -> Decimal:
    """What the organization's brief extractions cost since ``since``."""
    rows = BriefDraft.objects.for_org(organization).filter(created_at__gte=since)
    return rows.aggregate(total=Sum("cost_usd"))["total"] or Decimal(0)
