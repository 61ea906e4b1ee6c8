"""Trust & safety on stored runs: policies reach the world, variants override ranking and policy,
the API shows the figures to the owner only, and the command prints the comparison."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from personas.models import Persona
from simnet.providers.models import ProviderConfig
from simnet.tenancy.errors import ApplicationError
from simulations.insight import safety
from simulations.models import Policy, Run, RunEvent, RunPost, RunReportCache, RunStatus
from simulations.runs.event_render import render_event
from simulations.runs.events import append_event
from simulations.runs.services import run_start
from simulations.runs.worlds import world_config
from simulations.scenarios.experiments import experiment_start
from simulations.scenarios.safety_demo import HEATED_POST
from simulations.scenarios.services import scenario_create
from tests.support.http_loopback import LoopbackServer, Reply
from tests.support.llm_shapes import chat_completion
from tests.support.runs import drive, make_panel

pytestmark = pytest.mark.django_db

REMOVE = {"rules": [{"action": "remove", "threshold": 0.5}], "rate_limit": None}


def party_panel(org):
    panel = make_panel(org, size=6)
    for i, persona in enumerate(
        Persona.objects.for_org(org).filter(panel_memberships__panel=panel).order_by("pk")
    ):
        persona.traits = {"party": "Democrat" if i % 2 else "Republican"}
        # the rule baseline replies to the most relevant post, naming its two longest words: the
        # heated post's are "pathetic savings'", one harassment cue for the lexicon
        persona.interests = "library council savings"
        persona.propensities = {**persona.propensities, "reply": 0.6}
        persona.save(update_fields=["traits", "interests", "propensities"])
    return panel


def safety_scenario(tenancy, **extra):
    values = {
        "organization": tenancy.org_a, "actor": tenancy.member, "panel": party_panel(tenancy.org_a),
        "name": "Heated thread", "steps": 4, "policy": Policy.RULES,
        "stimuli": [{"text": HEATED_POST, "author_handle": "angry_local", "boost": 1.0}],
    }  # fmt: skip
    return scenario_create(**{**values, **extra})


def test_a_policy_is_checked_and_reaches_the_run_world(tenancy):
    with pytest.raises(ApplicationError) as refused:
        safety_scenario(tenancy, moderation={"rules": [{"action": "remove"}]})
    assert "threshold or keywords" in refused.value.fields["moderation"][0]
    with pytest.raises(ApplicationError) as forum:
        safety_scenario(tenancy, moderation=REMOVE, format="forum")
    assert forum.value.fields["moderation"] == ["Content policies apply to the social feed format only."]
    scenario = safety_scenario(tenancy, moderation=REMOVE)
    assert scenario.settings["moderation"]["rules"][0]["action"] == "remove"
    policy = world_config(scenario, 1).moderation
    assert policy.active and policy.rules[0].threshold == 0.5


@pytest.mark.django_db(transaction=True)
def test_variants_override_ranking_and_policy_and_the_run_records_moderation(tenancy):
    scenario = safety_scenario(tenancy, moderation=REMOVE)
    variants = [
        {"label": "as is", "overrides": {}},
        {
            "label": "bridging, no policy",
            "overrides": {"recommender": "bridging", "moderation": {"rules": []}},
        },
    ]
    experiment = experiment_start(
        organization=tenancy.org_a, actor=tenancy.member, scenario=scenario, name="T&S", variants=variants,
        replicates=2,
    )  # fmt: skip
    runs = {run.variant: run for run in Run.objects.for_org(tenancy.org_a).filter(experiment=experiment)}
    assert runs["bridging, no policy"].scenario.recommender == "bridging"
    assert "moderation" not in runs["bridging, no policy"].scenario.settings
    assert runs["as is"].scenario.settings["moderation"] == scenario.settings["moderation"]
    moderated = drive(runs["as is"])
    events = RunEvent.objects.filter(run=moderated, kind="moderation")
    assert events.exists() and {e.payload["action"] for e in events} == {"remove"}
    assert not RunEvent.objects.filter(run=drive(runs["bridging, no policy"]), kind="moderation").exists()


def test_a_variant_policy_with_problems_is_refused(tenancy):
    scenario = safety_scenario(tenancy)
    bad = [
        {"label": "A"},
        {"label": "B", "overrides": {"moderation": {"rules": [{"action": "ban", "threshold": 1}]}}},
    ]
    with pytest.raises(ApplicationError, match="content policy"):
        experiment_start(
            organization=tenancy.org_a, actor=tenancy.member, scenario=scenario, name="x", variants=bad
        )


@pytest.mark.django_db(transaction=True)
def test_safety_endpoints_answer_the_owner_and_404_an_outsider(tenancy, token_client, org_b):
    scenario = safety_scenario(tenancy, moderation=REMOVE)
    experiment = experiment_start(
        organization=tenancy.org_a, actor=tenancy.member, scenario=scenario, name="T&S",
        variants=[{"label": "chrono", "overrides": {"recommender": "chronological"}},
                  {"label": "bridging", "overrides": {"recommender": "bridging"}}],
        replicates=2,
    )  # fmt: skip
    for run in Run.objects.for_org(tenancy.org_a).filter(experiment=experiment):
        drive(run)
    run = Run.objects.for_org(tenancy.org_a).filter(experiment=experiment).first()
    owner, outsider = token_client("member", tenancy.org_a), token_client("owner", org_b)
    assert owner.get(f"/api/v1/runs/{run.pk}/report/").status_code == 200  # caches the final report
    mine = owner.get(f"/api/v1/runs/{run.pk}/safety/")
    assert mine.status_code == 200, mine.content
    assert RunReportCache.objects.filter(run=run).get().data["safety"]["summary"] == mine.json()["summary"]
    body = mine.json()
    assert body["labeller"]["kind"] == "lexicon" and body["actions"] > 0
    assert {row["harm_class"] for row in body["rows"]} >= {
        "threat",
        "harassment",
        "identity_attack",
        "pile_on",
    }
    compared = owner.get(f"/api/v1/experiments/{experiment.pk}/safety/").json()["safety"]
    assert [v["label"] for v in compared["variants"]] == ["chrono", "bridging"]
    assert all(v["replicates"] == 2 and len(v["rates"]) == 4 for v in compared["variants"])
    assert outsider.get(f"/api/v1/runs/{run.pk}/safety/").status_code == 404
    assert outsider.get(f"/api/v1/experiments/{experiment.pk}/safety/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_command_runs_a_policy_experiment_and_prints_the_comparison(tenancy, capsys):
    panel = party_panel(tenancy.org_a)
    call_command(
        "safety_experiment", "--org", tenancy.org_a.slug, "--panel", str(panel.pk), "--rules", "--steps", "3",
        "--replicates", "2", "--variant", "chrono=chronological", "--variant", "engagement=popularity+remove",
        "--variant", "bridging=bridging+friction",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "labelled by simnet harm lexicon" in out
    assert out.count("n=2 replicates") == 3
    assert "per 10,000" in out and "engagement lost vs baseline" in out


def test_the_api_takes_a_policy_checks_it_and_reads_it_back(member_api, panel):
    body = {
        "name": "Policy test", "panel": panel.pk, "steps": 3, "recommender": "bridging",
        "stimuli": [{"text": HEATED_POST, "author_handle": "angry_local"}],
    }  # fmt: skip
    bad = member_api.post(
        "/api/v1/scenarios/", {**body, "moderation": {"rules": [{"action": "ban"}]}}, format="json"
    )
    assert bad.status_code == 400 and "moderation" in bad.json()["error"]["fields"]
    created = member_api.post("/api/v1/scenarios/", {**body, "moderation": REMOVE}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["moderation"]["rules"][0] == {
        "action": "remove", "threshold": 0.5, "keywords": [], "label": "Flagged: may be harmful", "abandon_share": 0.3,
    }  # fmt: skip
    assert created.json()["recommender"] == "bridging"


def test_a_moderation_event_reads_as_a_line_of_the_room(tenancy):
    scenario = safety_scenario(tenancy, moderation=REMOVE)
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0]
    payload = {"step": 2, "action": "remove", "agent_id": "1", "post_id": "p9", "reason": "harm score 0.50 ≥ 0.50",
               "text": "what an idiot"}  # fmt: skip
    event = append_event(run, "moderation", payload)
    html = render_event(event, as_html=True)
    assert "policy: remove" in html and "removed post p9 (harm score 0.50 ≥ 0.50)" in html
    assert "what an idiot" in html


def test_a_hosted_model_judges_harm_names_itself_and_is_charged(tenancy):
    server = LoopbackServer().start()
    try:
        server.script(
            "/v1/chat/completions", Reply(body=chat_completion(json.dumps({"classes": ["threat"]})))
        )
        provider = ProviderConfig.objects.create(
            organization=tenancy.org_a, name="vllm", kind="openai_compat", model="gpt-4o-mini",
            base_url=f"{server.url}/v1",
        )  # fmt: skip
        scenario = safety_scenario(tenancy, moderation=REMOVE, provider=provider, policy="")
        run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0]
        author = (
            Persona.objects.for_org(tenancy.org_a).filter(panel_memberships__panel=scenario.panel).first()
        )
        RunPost.objects.create(
            organization=tenancy.org_a, run=run, post_key="p1", step=0, author_key=str(author.pk),
            author_handle=author.handle, kind="post", text="Lovely weather for the market today",
        )  # fmt: skip
        Run.unscoped.filter(pk=run.pk).update(status=RunStatus.COMPLETED)
        run = Run.objects.for_org(tenancy.org_a).select_related("scenario__provider").get(pk=run.pk)
        data = safety.run_safety_data(run)
        [request] = server.requests_to("/v1/chat/completions")
    finally:
        server.stop()
    assert data["labeller"]["kind"] == "model" and "gpt-4o-mini" in data["labeller"]["name"]
    assert data["summary"]["harmful"]["threat"] == 1  # the lexicon finds nothing in this text
    assert "trust and safety reviewer" in json.dumps(request.body) and request.body["temperature"] == 0.0
    assert Run.unscoped.get(pk=run.pk).llm_calls >= 1  # what the judge paid is the run's


def test_the_experiments_api_takes_ranking_and_policy_per_variant(tenancy, member_api):
    scenario = safety_scenario(tenancy)
    friction = {
        "rules": [{"action": "friction", "keywords": ["clown"], "abandon_share": 0.5}],
        "rate_limit": None,
    }
    variants = [
        {"label": "chronological", "overrides": {"recommender": "chronological"}},
        {"label": "bridging + friction", "overrides": {"recommender": "bridging", "moderation": friction}},
    ]
    body = {"scenario": scenario.pk, "name": "T&S", "variants": variants, "replicates": 2}
    created = member_api.post("/api/v1/experiments/", body, format="json")
    assert created.status_code == 201, created.content
    runs = Run.objects.for_org(tenancy.org_a).filter(
        experiment_id=created.json()["id"], variant="bridging + friction"
    )
    assert {r.scenario.settings["moderation"]["rules"][0]["keywords"][0] for r in runs} == {"clown"}
    bad = {**body, "variants": [variants[0], {"label": "x", "overrides": {"moderation": {"rules": [{}]}}}]}
    refused = member_api.post("/api/v1/experiments/", bad, format="json")
    assert refused.status_code == 400 and "variants" in json.dumps(refused.json()["error"]["fields"])
