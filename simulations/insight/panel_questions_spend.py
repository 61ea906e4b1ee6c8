"""What asking a whole panel costs, counted against the organization's monthly budget like runs.

A hosted model is checked before the question is queued: the most it can cost (every persona's
prompt plus a full-length answer, at the provider's list price) must fit in what the month's
budget leaves. While asking, the task stops calling once that much is spent (a run or another
question may spend at the same time), and what the calls cost is added to the question after
each chunk, where ``monthly_spend`` counts it. Local providers (offline model, fakes) are free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db.models import Sum

from simnet.llm.base import LLMRequest, LLMResponse, Provider, Usage
from simnet.llm.pricing import cost_of, price_for
from simnet.llm.tokens import count_tokens
from simnet.llm.wrappers import BudgetProvider
from simnet.providers.models import HOSTED_KINDS, ProviderConfig
from simnet.providers.spend import budget_left
from simnet.tenancy.errors import ApplicationError
from simulations.models import PanelQuestion


def _metered(config: ProviderConfig | None) -> bool:
    return config is not None and config.kind in HOSTED_KINDS


def most_cost(config: ProviderConfig, requests: Sequence[LLMRequest]) -> Decimal:
    """Dollars if every request were answered at full length (no cache, list price)."""
    price = price_for(config.kind, config.model)
    usage = Usage(
        input_tokens=sum(count_tokens(r.system) + count_tokens(r.user) for r in requests),
        output_tokens=sum(r.max_tokens for r in requests),
    )
    return Decimal(str(round(cost_of(price, usage), 6)))


def check_budget(organization, config: ProviderConfig | None, requests: Iterable[LLMRequest]) -> None:
    """Refuse (402) a hosted-model question when the month's budget is spent or the question could
    cost more than what is left (``requests`` is read only for a hosted model)."""
    if not _metered(config):
        return
    requests = list(requests)
    expected = most_cost(config, requests)
    remaining = budget_left(organization)
    if remaining <= 0 or expected > remaining:
        raise ApplicationError(
            f"Asking all {len(requests)} personas through “{config.name}” costs up to about "
            f"${expected:.4f}, more than the ${max(remaining, Decimal(0)):.4f} left of this month's budget. "
            "Ask a smaller panel, use the offline model, or ask an admin to raise the monthly budget "
            "in Settings.",
            code="quota_exceeded",
            status=402,
        )


def within_budget(provider: Provider, organization, config: ProviderConfig | None) -> Provider:
    """``provider``, refusing further calls once what the budget left at the start is spent."""
    if not _metered(config):
        return provider
    return BudgetProvider(provider, limit_usd=float(max(budget_left(organization), Decimal(0))))


def responses_cost(responses: Sequence[LLMResponse]) -> Decimal:
    return Decimal(str(round(sum(r.usage.cost_usd for r in responses), 6)))


def questions_spend(organization, since) -> Decimal:
    """What the organization's panel questions cost since ``since`` (registered in ``apps``)."""
    asked = PanelQuestion.objects.for_org(organization).filter(created_at__gte=since)
    return asked.aggregate(total=Sum("cost_usd"))["total"] or Decimal(0)
