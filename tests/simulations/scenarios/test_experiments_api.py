"""/api/v1/experiments/: start variants × replicates idempotently, follow progress, get the verdict."""

from __future__ import annotations

import pytest

from simulations.models import Experiment, Run
from tests.support.runs import drive

pytestmark = pytest.mark.django_db

EXPERIMENTS = "/api/v1/experiments/"


def body(scenario, **extra) -> dict:
    variants = [
        {"label": "Gift", "stimulus_text": "The gift."},
        {"label": "Fitness", "stimulus_text": "Get fit."},
    ]
    return {"scenario": scenario.pk, "name": "Holiday ads", "variants": variants, "replicates": 2, **extra}


def test_an_experiment_starts_once_per_idempotency_key(member_api, fake_scenario, org_a):
    first = member_api.post(EXPERIMENTS, body(fake_scenario), format="json", HTTP_IDEMPOTENCY_KEY="ads-1")
    again = member_api.post(EXPERIMENTS, body(fake_scenario), format="json", HTTP_IDEMPOTENCY_KEY="ads-1")
    assert first.status_code == again.status_code == 201, first.content
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    data = first.json()
    assert [v["label"] for v in data["variants"]] == ["Gift", "Fitness"] and data["status"] == "running"
    assert data["progress"]["runs"] == 4 and data["progress"]["finished"] == 0
    assert data["estimate"]["replicates"] == 4 and data["comparison"] is None
    assert data["comparison_url"] == f"/api/v1/experiments/{data['id']}/comparison/"
    assert Experiment.objects.for_org(org_a).count() == 1
    seeds = sorted(Run.objects.for_org(org_a).values_list("variant", "seed"))
    assert seeds == [("Fitness", 1), ("Fitness", 2), ("Gift", 1), ("Gift", 2)]


@pytest.mark.django_db(transaction=True)  # a run's ending marks its experiment once the ending commits
def test_a_completed_experiment_carries_its_comparison_and_verdict(member_api, fake_scenario, org_a):
    created = member_api.post(EXPERIMENTS, body(fake_scenario), format="json").json()
    for run in Run.objects.for_org(org_a).filter(experiment_id=created["id"]):
        drive(run)
    detail = member_api.get(f"{EXPERIMENTS}{created['id']}/").json()
    assert detail["status"] == "completed" and detail["progress"]["completed"] == 4
    comparison = detail["comparison"]
    assert comparison["baseline"] == "Gift" and comparison["waiting_for"] == []
    assert comparison["verdict"] is not None and "any_significant" in comparison["verdict"]
    listed = member_api.get(EXPERIMENTS).json()["results"][0]
    assert listed["progress"] == {"runs": 4, "finished": 4, "share": 1.0} and "comparison" not in listed


def test_variants_are_checked(member_api, fake_scenario):
    one = member_api.post(EXPERIMENTS, body(fake_scenario, variants=[{"label": "A"}]), format="json")
    assert one.status_code == 400
    assert one.json()["error"]["fields"] == {"variants": ["Ensure this field has at least 2 elements."]}
    same = body(fake_scenario, variants=[{"label": "A"}, {"label": "A"}])
    refused = member_api.post(EXPERIMENTS, same, format="json")
    assert (
        refused.status_code == 400
        and refused.json()["error"]["message"] == "Give every variant a distinct label."
    )


def test_a_viewer_reads_but_cannot_start(viewer_api, fake_scenario):
    assert viewer_api.get(EXPERIMENTS).status_code == 200
    assert viewer_api.post(EXPERIMENTS, body(fake_scenario), format="json").status_code == 403


def test_another_organization_can_neither_use_the_scenario_nor_see_the_experiment(
    token_client, member_api, fake_scenario, org_b
):
    outsider = token_client("owner", org_b)
    refused = outsider.post(EXPERIMENTS, body(fake_scenario), format="json")
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["scenario"]
    mine = member_api.post(EXPERIMENTS, body(fake_scenario), format="json").json()
    assert outsider.get(f"{EXPERIMENTS}{mine['id']}/").status_code == 404
    assert outsider.post(f"{EXPERIMENTS}{mine['id']}/").status_code == 404
    assert outsider.get(EXPERIMENTS).json()["count"] == 0
