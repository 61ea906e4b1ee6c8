"""Which policy decides a run, and the provider that plays it.

A scenario's ``policy`` is hybrid, llm or rules; blank means rules for the rule-baseline provider,
hybrid when the panel has imported members with reactions to learn from, else llm. At start a hybrid run fits the reaction model on
the panel's history (held-out items stay out, as they do of the cards) and freezes it on the run
(``Run.policy_model``), so every step, fork and replay uses the very same model.
"""

from __future__ import annotations

import hashlib
import json

from django.db.models import Q

from personas.models import HistoryItem, Panel, Persona
from personas.services.importer import history_record
from simnet.llm.base import Provider
from simnet.llm.registry import build_provider
from simnet.llm.wrappers import GatedProvider, GateTally
from simnet.providers.build import choice_for, provider_for
from simnet.tenancy.errors import ApplicationError
from simulations.learning.exposures import MemberItem, own_texts, training_set
from simulations.learning.hybrid import HybridProvider
from simulations.learning.reactions import ReactionModel, fit_reactions
from simulations.models import FittedModel, Policy, Run, Scenario

ITEMS_PER_MEMBER = 2000  # the most recent items of each member the model learns from
MIN_REACTIONS = 10  # fewer real reactions than this and a learnt model would be a guess


def panel_history(panel: Panel, *, held_out: bool = False, limit: int = ITEMS_PER_MEMBER) -> list[MemberItem]:
    """The imported history of the panel's members (persona ids as the engine names them)."""
    members = Persona.objects.filter(
        organization_id=panel.organization_id, panel_memberships__panel=panel, source_account__isnull=False
    ).values_list("pk", "source_account_id", "handle")
    history = []
    for persona_id, account_id, handle in members:
        items = HistoryItem.objects.filter(organization_id=panel.organization_id, account_id=account_id)
        if not held_out:
            items = items.filter(held_out=False)
        recent = items.filter(~Q(created_at=None)).order_by("-created_at", "-id")[:limit]
        history += [MemberItem(str(persona_id), handle, history_record(item)) for item in recent]
    return history


def _reaction_count(history: list[MemberItem]) -> int:
    return sum(1 for item in history if item.record.target_id and item.record.kind.value != "post")


def default_policy(panel: Panel) -> str:
    """Hybrid when the panel's imported members have reactions to learn from, else llm."""
    reactions = HistoryItem.objects.filter(
        organization_id=panel.organization_id,
        account__personas__panel_memberships__panel=panel,
        held_out=False,
        kind__in=("reply", "quote", "repost", "like"),
    ).exclude(target_id="")
    return Policy.HYBRID if reactions[:MIN_REACTIONS].count() >= MIN_REACTIONS else Policy.LLM


def chosen_policy(scenario: Scenario) -> str:
    """The scenario's policy; when blank, rules for the rule-baseline provider (it writes no words
    a hybrid could use), else the panel's default."""
    if scenario.policy:
        return scenario.policy
    if choice_for(scenario.provider).kind == "baseline":
        return Policy.RULES
    return default_policy(scenario.panel)


def fit_policy_model(panel: Panel, *, seed: int = 0) -> FittedModel:
    """The reaction model a hybrid run freezes at start (stored once per distinct model);
    ApplicationError when the panel's history has too few reactions to learn from."""
    history = panel_history(panel)
    if _reaction_count(history) < MIN_REACTIONS:
        raise ApplicationError(
            f"The hybrid policy learns from the panel's imported reactions (replies, quotes, reposts, likes), "
            f"and this panel has fewer than {MIN_REACTIONS}. Import accounts with their reactions, or choose "
            "the language-model or rule policy.",
            fields={"policy": ["Not enough imported reactions to learn from."]},
        )
    personas = {item.persona for item in history}
    exposures, actions, weights = training_set(history, personas, seed=seed)
    data = fit_reactions(exposures, actions, weights=weights, persona_texts=own_texts(history)).to_dict()
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    model, _ = FittedModel.objects.get_or_create(
        organization_id=panel.organization_id, digest=digest, defaults={"kind": "reactions", "data": data}
    )
    return model


def policy_provider(run: Run, *, gate: GateTally | None = None) -> Provider:
    """The provider that plays ``run``'s policy (the scenario's provider writes the words); every
    text it writes passes the quality gate, counted in ``gate``."""
    if run.policy == Policy.RULES:
        return GatedProvider(build_provider("baseline"), tally=gate)
    writer = provider_for(run.scenario.provider, organization_id=run.organization_id, gate=gate)
    if run.policy == Policy.HYBRID:
        return HybridProvider(ReactionModel.from_dict(run.policy_model.data), writer)
    return writer
