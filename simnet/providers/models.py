"""Where an organization's decisions come from, and the answers already paid for.

Both models moved here from ``simulations`` and kept their tables (state-only migrations), so
personas and simulations can both use providers without importing each other.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from simnet.tenancy.scoping import TenantModel


class ProviderConfig(TenantModel):
    """Where an organization's decisions come from; secrets encrypted, never shown again."""

    class Kind(models.TextChoices):
        OFFLINE = "offline", "Offline model (SmolLM2-135M, on this server)"
        BASELINE = "baseline", "Rule baseline (no LLM)"
        ANTHROPIC = "anthropic", "Anthropic"
        OPENAI_COMPAT = "openai_compat", "OpenAI-compatible server"

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    model = models.CharField(max_length=120, blank=True)
    base_url = models.URLField(max_length=300, blank=True)
    secret_ciphertext = models.TextField(blank=True)
    secret_hint = models.CharField(max_length=12, blank=True)  # "••••abcd"
    max_concurrency = models.PositiveIntegerField(default=4)
    # The account's limits at the provider, shared by every worker of every machine
    # (``simnet.providers.ratelimit``); blank: no limit of ours, the provider's 429s still pause all.
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    tokens_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Anthropic only: answers through Message Batches at half price, for runs that need not be
    # live (a step waits for its batch: within 24 h, most within an hour).
    message_batches = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        """Name, kind and model, the kind once: a configuration named like its kind reads
        "Rule baseline (no LLM)", not "Rule baseline (Rule baseline (no LLM))"."""
        kind = self.get_kind_display()
        if self.name.strip().lower() in kind.lower():
            return f"{kind}, {self.model}" if self.model else kind
        return f"{self.name} ({kind}{', ' + self.model if self.model else ''})"

    class Meta:
        db_table = "simulations_providerconfig"  # the table kept its name when the model moved here


class DecisionCacheEntry(TenantModel):
    """A provider's answer to one exact prompt (provider, model, prompt hash, seed):
    a retried step or a re-run with the same seed pays nothing and decides the same."""

    key = models.CharField(max_length=64)
    text = models.TextField()
    data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "simulations_decisioncacheentry"
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="one_cached_decision")]


# Kinds that are hosted language models: they can judge reports and write persona summaries.
HOSTED_KINDS = (ProviderConfig.Kind.ANTHROPIC, ProviderConfig.Kind.OPENAI_COMPAT)
