"""Which policy decides a run, and the provider that plays it.

A scenario's ``policy`` is hybrid, llm or rules; blank means rules for the rule-baseline provider,
hybrid when the panel has imported members with reactions to learn from, else llm. At start a hybrid run fits the reaction model on
the panel's history (held-out items stay out, as they do of the cards) and freezes it on the run
(``Run.policy_model``), so every step, fork and replay uses the very same model. A hybrid run of
a panel with too few reactions (a sampled crowd) is decided by the rule policy instead, its words
still written by the model. The scenario's words budget (``settings["words"]``, see
``simulations.learning.words_budget``) caps how many agents a step's model writes for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from django.db.models import Q

from personas.models import HistoryItem, Panel, Persona
from personas.services.importer import history_record
from simnet.llm.base import LLMRequest, Provider
from simnet.llm.registry import build_provider
from simnet.llm.wrappers import GatedProvider, GateTally
from simnet.providers.build import choice_for, provider_for
from simulations.learning.exposures import MemberItem, own_texts, training_set
from simulations.learning.hybrid import HybridProvider
from simulations.learning.reactions import ReactionModel, fit_reactions
from simulations.learning.words_budget import WordsBudget
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


def fit_policy_model(panel: Panel, *, seed: int = 0) -> FittedModel | None:
    """The reaction model a hybrid run freezes at start (stored once per distinct model); None when
    the panel's history has too few reactions to learn from (the rule policy decides until then)."""
    history = panel_history(panel)
    if _reaction_count(history) < MIN_REACTIONS:
        return None
    personas = {item.persona for item in history}
    exposures, actions, weights = training_set(history, personas, seed=seed)
    data = fit_reactions(exposures, actions, weights=weights, persona_texts=own_texts(history)).to_dict()
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    model, _ = FittedModel.objects.get_or_create(
        organization_id=panel.organization_id, digest=digest, defaults={"kind": "reactions", "data": data}
    )
    return model


_ADMITTED: dict[tuple, frozenset[str]] = {}  # (run, step, budget, model) -> the step's writers
_ADMITTED_KEPT = 8


def _admit(
    hybrid: HybridProvider, run: Run, budget: WordsBudget, step_requests: Sequence[LLMRequest]
) -> None:
    """Pick the step's writers once per process: every shard task of a step would otherwise decide
    the whole step again (a second or more at 100,000 personas) to find the same ones."""
    step = step_requests[0].situation.step if step_requests and step_requests[0].situation else -1
    key = (run.pk, step, len(step_requests), budget, run.policy_model_id)
    if key in _ADMITTED:
        hybrid.admit(_ADMITTED[key])
        return
    _ADMITTED[key] = hybrid.plan_words(step_requests)
    while len(_ADMITTED) > _ADMITTED_KEPT:
        del _ADMITTED[next(iter(_ADMITTED))]


def words_budget(scenario: Scenario) -> WordsBudget:
    return WordsBudget.from_settings(scenario.settings)


def cap_estimate(data: dict, budget: WordsBudget, steps: int) -> None:
    """A hybrid run's estimate within its words budget: at most ``max_calls`` model calls a step, a
    ``share`` of them; tokens and dollars shrink with the calls (the decisions' time stays)."""
    if not budget.limited:
        return
    for key, calls in data["calls"].items():
        capped = calls * (budget.share if budget.share is not None else 1.0)
        if budget.max_calls is not None:
            capped = min(capped, float(budget.max_calls * steps))
        ratio = capped / calls if calls else 0.0
        for name in ("calls", "input_tokens", "output_tokens", "cost_usd"):
            data[name][key] *= ratio
    data["notes"].append(
        "the words budget caps the model's texts"
        + (f" at {budget.max_calls:,} a step" if budget.max_calls is not None else "")
        + (f", {budget.share:.0%} of the speakers" if budget.share is not None else "")
        + ": the other agents act without words, so calls, tokens and cost are capped with them"
    )


def policy_provider(
    run: Run, *, gate: GateTally | None = None, step_requests: Sequence[LLMRequest] | None = None
) -> Provider:
    """The provider that plays ``run``'s policy (the scenario's provider writes the words); every
    text it writes passes the quality gate, counted in ``gate``. A hybrid run with a words budget
    needs ``step_requests`` (the whole step's ``plan.requests``, whatever part this task gathers):
    the budget picks the step's writers among all of them. Under the llm policy they are also what
    a provider answering through Message Batches submits in one batch."""
    if run.policy == Policy.RULES:
        return GatedProvider(build_provider("baseline"), tally=gate)
    batched = step_requests or () if run.policy == Policy.LLM else ()  # a hybrid's writer is asked other things
    writer = provider_for(
        run.scenario.provider, organization_id=run.organization_id, gate=gate, step_requests=batched
    )
    if run.policy == Policy.HYBRID:
        model = ReactionModel.from_dict(run.policy_model.data) if run.policy_model else None
        budget = words_budget(run.scenario)
        hybrid = HybridProvider(model, writer, budget=budget)
        if budget.limited and step_requests is not None:
            _admit(hybrid, run, budget, step_requests)
        return hybrid
    return writer
