"""A scripted hosted model for persona-summary tests (no network): it answers, fails or runs out of quota
as told, keeps the requests it got, and replaces ``provider_for`` where the summary service looks it up."""

from __future__ import annotations

from decimal import Decimal

SUMMARY = (
    "Person 0 is a keen cyclist and home cook. She cares about safe streets and writes short, warm posts."
)
CALL_COST = Decimal("0.0006")


class ScriptedWriter:
    name, model = "anthropic", "claude-haiku-4-5"

    def __init__(self) -> None:
        self.requests: list = []
        self.text = SUMMARY
        self.error: str | None = None  # a per-request failure
        self.raises: Exception | None = None  # a provider-wide failure

    def generate(self, requests):
        from simnet.llm.base import LLMResponse, Usage

        self.requests += list(requests)
        if self.raises is not None:
            raise self.raises
        usage = Usage(input_tokens=300, output_tokens=60, cost_usd=float(CALL_COST))
        if self.error is not None:
            return [LLMResponse(r.key, "", usage=Usage(calls=1), error=self.error) for r in requests]
        return [LLMResponse(r.key, self.text, usage=usage) for r in requests]


def install(monkeypatch) -> ScriptedWriter:
    """Every provider the summary service builds is one ``ScriptedWriter``; returns it."""
    from personas import summaries as persona_summaries

    writer = ScriptedWriter()
    monkeypatch.setattr(persona_summaries, "provider_for", lambda config, organization_id: writer)
    return writer


def hosted_config(
    organization, name: str = "Team Claude", *, kind: str = "anthropic", is_default: bool = True
):
    from simnet.providers.models import ProviderConfig

    return ProviderConfig.objects.create(
        organization=organization, name=name, kind=kind, model="claude-haiku-4-5", is_default=is_default
    )
