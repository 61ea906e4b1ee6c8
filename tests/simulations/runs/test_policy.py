"""Which policy decides a run: recorded at start, hybrid by default on imported panels, frozen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from personas.models import Persona
from simnet.providers.models import ProviderConfig
from simulations.engine.step import plan_step
from simulations.learning.hybrid import HybridProvider
from simulations.learning.words_budget import WordsBudget
from simulations.models import FittedModel, Policy, RunAction
from simulations.runs import worlds
from simulations.runs.policy import policy_provider
from simulations.runs.services import run_fork, run_start
from simulations.scenarios.services import scenario_create
from tests.support.generated_panels import community_panel
from tests.support.runs import drive, make_panel

pytestmark = pytest.mark.django_db


def _scenario(tenancy, panel, *, fmt="feed", policy="", kind="fake"):
    """A scenario whose members are all online every step: the real (sparse) activity of the generated
    members would leave a short run nearly empty, and these tests are about who decides. The post is
    by the fitness hub when the panel has it: members really answer hubs, so the reaction model
    expects engagement there (an outside author's post draws so little that a run may see none)."""
    org = tenancy.org_a
    author = Persona.objects.for_org(org).filter(panel_memberships__panel=panel, handle="hub_fitness").first()
    Persona.objects.for_org(org).update(
        activity_rate=1.0, active_hours=[], propensities={"like": 0.3, "reply": 0.2, "post": 0.05}
    )  # the rule policy reads propensities; the imported ones are as sparse as the activity
    provider = ProviderConfig.objects.create(organization=org, name=kind, kind=kind, model=f"{kind}-1")
    stimulus = {"text": "#fitness workout: new training plan for the spring", "boost": 1.0}
    stimulus.update({"author_persona": author} if author else {"author_handle": "Outside"})
    return scenario_create(
        organization=org, actor=tenancy.member, panel=panel, name="s", steps=4, provider=provider,
        format=fmt, policy=policy, stimuli=[stimulus], communities=["fitness", "food"],
    )  # fmt: skip


def test_hybrid_is_the_default_for_an_imported_panel_and_is_frozen(tenancy, fake_provider_env):
    scenario = _scenario(tenancy, community_panel(tenancy.org_a))
    run, again = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario, replicates=2)
    assert run.policy == Policy.HYBRID and run.reproducibility["policy"] == "hybrid"
    assert run.policy_model_id == again.policy_model_id and FittedModel.objects.for_org(tenancy.org_a).count() == 1
    assert run.reproducibility["policy_model"] == run.policy_model.digest[:16]
    done = drive(run)
    assert done.status == "completed"
    acted = RunAction.objects.filter(run=run).exclude(action="ignore")
    assert acted.exists() and all(a.reason.startswith("reaction model") for a in acted.filter(outcome="ok"))
    fork = run_fork(run=done, actor=tenancy.member, step=1)
    assert fork.policy == Policy.HYBRID and fork.policy_model_id == run.policy_model_id


def test_a_panel_without_history_defaults_to_the_language_model(tenancy, fake_provider_env):
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=_scenario(tenancy, make_panel(tenancy.org_a)))[0]
    assert run.policy == Policy.LLM and run.policy_model is None


def test_rules_and_llm_stay_selectable(tenancy, fake_provider_env):
    panel = community_panel(tenancy.org_a)
    for policy in (Policy.RULES, Policy.LLM):
        run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=_scenario(tenancy, panel, policy=policy))[0]
        assert run.policy == policy and drive(run).status == "completed"
        reasons = set(RunAction.objects.filter(run=run, outcome="ok").values_list("reason", flat=True))
        assert not any(r.startswith("reaction model") for r in reasons)


def test_hybrid_on_a_panel_with_nothing_to_learn_is_decided_by_the_rules(tenancy, fake_provider_env):
    scenario = _scenario(tenancy, make_panel(tenancy.org_a), policy=Policy.HYBRID)
    scenario.settings = {**scenario.settings, "words": {"max_calls": 2, "share": None}}
    scenario.save(update_fields=["settings"])
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0]
    assert run.policy == Policy.HYBRID and run.policy_model is None
    plan = plan_step(worlds.load_world(run))
    provider = policy_provider(run, step_requests=plan.requests)
    assert isinstance(provider, HybridProvider) and provider.reactions is None
    assert provider.budget == WordsBudget(max_calls=2) and len(provider.plan_words(plan.requests)) <= 2
    again = policy_provider(run, step_requests=plan.requests)  # another shard of the step: same writers
    assert again._admitted == provider._admitted and again._planned == {}
    with pytest.raises(RuntimeError, match="plan_words"):
        policy_provider(run).generate(plan.requests)  # a budget never applies to one batch alone


def test_a_forum_runs_to_the_end_with_rules_and_with_hybrid(tenancy, fake_provider_env, member_client):
    panel = community_panel(tenancy.org_a)
    for policy in (Policy.RULES, Policy.HYBRID):
        scenario = _scenario(tenancy, panel, fmt="forum", policy=policy)
        run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
        assert run.status == "completed"
        assert run.posts.filter(community="fitness", is_stimulus=True).exists()
        kinds = set(RunAction.objects.filter(run=run, outcome="ok").values_list("action", flat=True))
        assert kinds & {"like", "reply", "downvote"}
        room = member_client.get(reverse("run_detail", args=[run.pk])).content.decode()
        assert "r/fitness" in room and 'title="upvotes"' in room and 'title="reposts"' not in room
        assert f"policy: {run.get_policy_display()}" in room
