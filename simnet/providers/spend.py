"""What an organization spent on hosted models this month, and what its budget leaves.

The apps that spend (runs, panel questions, persona summaries) sit above this module, so each
registers how to sum its own spending from its ``AppConfig.ready``; this module never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from simnet.tenancy.errors import ApplicationError

SpendSource = Callable[[object, datetime], Decimal]
_sources: dict[str, SpendSource] = {}


def register(name: str, source: SpendSource) -> None:
    """Count ``source(organization, since)`` in the monthly spend (same name again: replaced)."""
    _sources[name] = source


def month_start():
    """Midnight of the first day of this month, when monthly budgets start over."""
    return timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def monthly_spend(organization) -> Decimal:
    """What the organization spent this month on language models, summed over every registered
    source: its runs (judges included), panel questions and persona summaries."""
    start = month_start()
    return sum((source(organization, start) for source in _sources.values()), Decimal(0))


def budget_left(organization) -> Decimal:
    """What is left of the organization's monthly budget (negative once overspent)."""
    return organization.monthly_budget_usd - monthly_spend(organization)


def check_quota(organization, estimate: dict) -> Decimal:
    """What the budget leaves; refused (402) when the estimate's expected cost is more than that."""
    remaining = budget_left(organization)
    if Decimal(str(estimate["cost_usd"]["expected"])) > remaining:
        raise ApplicationError(
            f"This would cost about ${estimate['cost_usd']['expected']:.2f}, more than the "
            f"${max(remaining, Decimal(0)):.2f} left of this month's budget. Lower the steps or replicates, "
            "use the offline model, or ask an admin to raise the monthly budget in Settings.",
            code="quota_exceeded",
            status=402,
        )
    return remaining
