"""What a run's after-work pays (the report's judge, harm labels, stance polls, a narrative) is
added to the run's own usage: the monthly spend sums runs' costs, so a call charged anywhere
else would escape the organization's budget."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F

from simnet.llm.base import Usage
from simulations.models import Run


def charge_run(run: Run, usage: Usage) -> None:
    """Add ``usage`` to the run's counters in one UPDATE (safe beside a worker's own updates)."""
    if not usage.calls:
        return
    Run.unscoped.filter(pk=run.pk).update(
        input_tokens=F("input_tokens") + usage.input_tokens + usage.cache_write_tokens,
        cached_tokens=F("cached_tokens") + usage.cached_input_tokens,
        output_tokens=F("output_tokens") + usage.output_tokens,
        llm_calls=F("llm_calls") + usage.calls,
        cost_usd=F("cost_usd") + Decimal(str(round(usage.cost_usd, 6))),
    )
