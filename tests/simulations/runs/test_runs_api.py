"""/api/v1/runs/: start with the estimate (idempotently), status, filters, steering, roles."""

from __future__ import annotations

import pytest

from simnet.tenancy.models import AuditEvent
from simulations.models import Run, RunStatus, Stimulus
from simulations.runs.worlds import run_personas

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/runs/"


def start(client, scenario, key: str | None = None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(RUNS, {"scenario": scenario.pk, **body}, format="json", **headers)


def test_a_member_token_starts_runs_and_gets_them_with_the_estimate(member_api, fake_scenario, org_a):
    response = start(member_api, fake_scenario, replicates=3)
    assert response.status_code == 201, response.content
    body = response.json()
    assert [run["seed"] for run in body["runs"]] == [1, 2, 3]
    assert {run["status"] for run in body["runs"]} == {"queued"}
    assert body["estimate"]["replicates"] == 3
    assert body["estimate"]["calls"]["low"] <= body["estimate"]["calls"]["high"]
    runs = Run.objects.for_org(org_a)
    assert runs.count() == 3 and {run.created_by for run in runs} == {None}
    started = AuditEvent.objects.for_org(org_a).filter(action="run.started")
    assert started.count() == 3 and {event.actor_token for event in started} == {member_api.token}


def test_explicit_seeds_replace_replicates(member_api, fake_scenario):
    body = start(member_api, fake_scenario, seeds=[7, 11], replicates=5).json()
    assert [run["seed"] for run in body["runs"]] == [7, 11]


def test_the_same_idempotency_key_twice_starts_one_run(member_api, fake_scenario, org_a):
    first = start(member_api, fake_scenario, key="launch-2030-01")
    again = start(member_api, fake_scenario, key="launch-2030-01")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Run.objects.for_org(org_a).count() == 1
    other_body = start(member_api, fake_scenario, key="launch-2030-01", replicates=2)
    assert other_body.status_code == 422 and other_body.json()["error"]["code"] == "idempotency_key_reused"
    assert start(member_api, fake_scenario, key="launch-2030-02").status_code == 201
    assert Run.objects.for_org(org_a).count() == 2


def test_another_organizations_scenario_cannot_be_started(token_client, fake_scenario, org_b):
    refused = start(token_client("owner", org_b), fake_scenario)
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["scenario"]
    assert not Run.objects.for_org(org_b).exists()


def test_the_run_detail_shows_status_progress_usage_budget_and_reproducibility(member_api, finished_run):
    body = member_api.get(f"{RUNS}{finished_run.pk}/").json()
    assert body["status"] == "completed" and body["progress"] == 1.0
    assert body["usage"]["llm_calls"] == finished_run.llm_calls > 0
    assert body["usage"]["input_tokens"] == finished_run.input_tokens
    assert body["budget"] == {"usd": "50.0000", "tokens": None}
    assert (
        body["reproducibility"]["seed"] == finished_run.seed and body["reproducibility"]["provider"] == "fake"
    )
    assert body["links"]["stream"] == f"/api/v1/runs/{finished_run.pk}/events/stream/"


def test_the_list_filters_by_status_and_scenario(member_api, finished_run, fake_scenario):
    start(member_api, fake_scenario)

    def ids(query: str) -> list[int]:
        return [run["id"] for run in member_api.get(f"{RUNS}{query}").json()["results"]]

    assert len(ids("")) == 2
    assert ids("?status=completed") == [finished_run.pk]
    assert len(ids("?status=queued")) == 1
    assert len(ids(f"?scenario={fake_scenario.pk}")) == 2 and ids(f"?scenario={fake_scenario.pk + 99}") == []
    refused = member_api.get(f"{RUNS}?status=sleeping")
    assert refused.status_code == 400 and "status" in refused.json()["error"]["fields"]


def test_pause_resume_and_cancel(member_api, started_run):
    paused = member_api.post(f"{RUNS}{started_run.pk}/pause/")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    resumed = member_api.post(f"{RUNS}{started_run.pk}/resume/")
    assert resumed.status_code == 200 and resumed.json()["status"] == "queued"
    cancelled = member_api.post(f"{RUNS}{started_run.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = member_api.post(f"{RUNS}{started_run.pk}/pause/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_final"


def test_fork_and_rerun_start_new_runs(member_api, finished_run):
    fork = member_api.post(
        f"{RUNS}{finished_run.pk}/fork/", {"step": 2, "stimulus_text": "Softer."}, format="json"
    )
    assert fork.status_code == 201, fork.content
    forked = fork.json()
    assert forked["parent"] == finished_run.pk and forked["fork_step"] == 2 and forked["next_step"] == 2
    assert forked["warnings"] and "already published before step 2" in forked["warnings"][0]
    unedited = member_api.post(f"{RUNS}{finished_run.pk}/fork/", {"step": 2}, format="json").json()
    assert unedited["warnings"] == []
    too_far = member_api.post(f"{RUNS}{finished_run.pk}/fork/", {"step": 99}, format="json")
    assert too_far.status_code == 400 and "step" in too_far.json()["error"]["fields"]
    rerun = member_api.post(f"{RUNS}{finished_run.pk}/rerun/", {"seed": 42}, format="json")
    assert rerun.status_code == 201 and rerun.json()["seed"] == 42 and rerun.json()["status"] == "queued"


def test_a_foreign_provider_cannot_be_forked_onto(member_api, finished_run, org_b):
    from simnet.providers.models import ProviderConfig

    theirs = ProviderConfig.objects.create(organization=org_b, name="Theirs", kind="baseline")
    refused = member_api.post(
        f"{RUNS}{finished_run.pk}/fork/", {"step": 1, "provider": theirs.pk}, format="json"
    )
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["provider"]


def test_inject_a_live_post(member_api, started_run, org_a):
    body = {"text": "Surprise!", "author_handle": "brand", "boost": 0.4}
    injected = member_api.post(f"{RUNS}{started_run.pk}/inject/", body, format="json")
    assert injected.status_code == 201
    assert injected.json()["text"] == "Surprise!" and injected.json()["step"] == started_run.next_step
    assert Stimulus.objects.for_org(org_a).filter(run=started_run).count() == 1
    bad = member_api.post(f"{RUNS}{started_run.pk}/inject/", {"text": "x", "boost": 3}, format="json")
    assert bad.status_code == 400 and "boost" in bad.json()["error"]["fields"]


def test_any_role_interviews_a_persona_by_key_or_handle(viewer_api, finished_run):
    persona = run_personas(finished_run)[1]
    by_handle = viewer_api.post(
        f"{RUNS}{finished_run.pk}/interview/",
        {"handle": f"@{persona['handle']}", "question": "Why?"},
        format="json",
    )
    assert by_handle.status_code == 201, by_handle.content
    answer = by_handle.json()
    assert (
        answer["agent_key"] == str(persona["id"])
        and answer["handle"] == persona["handle"]
        and answer["answer"]
    )
    by_key = viewer_api.post(
        f"{RUNS}{finished_run.pk}/interview/",
        {"agent_key": str(persona["id"]), "question": "And?"},
        format="json",
    )
    assert by_key.status_code == 201
    nobody = viewer_api.post(
        f"{RUNS}{finished_run.pk}/interview/", {"handle": "ghost", "question": "?"}, format="json"
    )
    assert nobody.status_code == 404
    neither = viewer_api.post(f"{RUNS}{finished_run.pk}/interview/", {"question": "?"}, format="json")
    assert neither.status_code == 400 and "agent_key" in neither.json()["error"]["fields"]


@pytest.mark.parametrize(
    "action, body",
    [
        ("pause", {}),
        ("resume", {}),
        ("cancel", {}),
        ("fork", {"step": 0}),
        ("rerun", {}),
        ("inject", {"text": "x"}),
    ],
)
def test_a_viewer_token_reads_but_cannot_steer(viewer_api, started_run, fake_scenario, action, body):
    assert viewer_api.get(f"{RUNS}{started_run.pk}/").status_code == 200
    refused = viewer_api.post(f"{RUNS}{started_run.pk}/{action}/", body, format="json")
    assert refused.status_code == 403 and "needs member" in refused.json()["error"]["message"]
    assert start(viewer_api, fake_scenario).status_code == 403
    assert Run.objects.for_org(started_run.organization).get().status == RunStatus.QUEUED


def test_another_organizations_run_is_a_404_for_every_action(token_client, started_run, org_b):
    outsider = token_client("owner", org_b)
    for action in ("", "pause/", "resume/", "cancel/", "fork/", "rerun/", "inject/", "interview/"):
        for method in ("get", "post"):
            response = getattr(outsider, method)(f"{RUNS}{started_run.pk}/{action}", {}, format="json")
            assert response.status_code == 404, (method, action, response.status_code)
    assert Run.objects.for_org(started_run.organization).get().status == RunStatus.QUEUED
