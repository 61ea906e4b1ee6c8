"""The personas' reasons reach the actions export, and the comparison shows example replies per variant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simulations.analysis.exports import load_records
from simulations.analysis.sentiment import default_classifier
from simulations.insight import comparison
from simulations.insight.example_replies import representative
from simulations.insight.run_exports import ReasonedAction
from simulations.models import RunAction, RunPost
from tests.factories import ScenarioFactory
from tests.simulations.insight.test_experiments import _experiment
from tests.support import peloton
from tests.support.run_rows import make_panel, store_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(org_a):
    panel, personas = make_panel(org_a)
    return store_fixture(peloton.backlash_run(), ScenarioFactory(organization=org_a, panel=panel), personas)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_actions_export_has_each_decisions_reason(fmt, run, viewer_client, tmp_path):
    actions = list(RunAction.objects.filter(run=run).order_by("step", "agent_key"))
    for i, action in enumerate(actions):
        RunAction.objects.filter(run=run, pk=action.pk).update(
            reason=f'because {i}, "quoted"\nand more' if i % 2 else ""
        )
    expected = {
        (a.step, a.agent_key): (f'because {i}, "quoted"\nand more' if i % 2 else "")
        for i, a in enumerate(actions)
    }
    response = viewer_client.get(
        reverse("run_export", kwargs={"run_id": run.pk, "what": "actions", "fmt": fmt})
    )
    path = tmp_path / f"actions.{fmt}"
    path.write_bytes(response.content)
    rows = load_records(path, ReasonedAction)
    assert len(rows) == len(actions) and any(r.reason for r in rows)
    assert {(r.step, r.persona_id): r.reason for r in rows} == expected


def test_representative_picks_the_extremes_and_the_median_once_each():
    scored = [(0.1, "a"), (-0.9, "b"), (0.8, "c"), (0.0, "d"), (0.2, "e")]
    assert representative(scored) == [
        ("Most negative", -0.9, "b"),
        ("Typical", 0.1, "a"),
        ("Most positive", 0.8, "c"),
    ]
    assert representative([(0.5, "only")]) == [("Most negative", 0.5, "only")]
    assert representative([]) == []


def test_the_comparison_shows_three_example_replies_per_variant_with_handle_and_reason(org_a, member_client):
    experiment = _experiment(org_a, {"A": 0.75, "B": 0.1})
    responses = RunPost.objects.filter(run__experiment=experiment, kind__in=("reply", "quote")).exclude(
        text=""
    )
    for post in responses:
        RunAction.objects.filter(
            organization=org_a, run_id=post.run_id, created_post_key=post.post_key
        ).update(reason=f"Reason for {post.post_key}")
    data = comparison.experiment_comparison(experiment, rebuild=True)
    by_label = {v["label"]: v for v in data["examples"]}
    assert list(by_label) == ["A", "B"]
    for label, variant in by_label.items():
        texts = list(
            responses.filter(run__variant=label, run__status="completed").values_list("text", flat=True)
        )
        scores = [s.score for s in default_classifier().classify(texts)]
        picks = [e["pick"] for e in variant["examples"]]
        assert picks == ["Most negative", "Typical", "Most positive"] and variant["responses"] == len(texts)
        assert variant["examples"][0]["score"] == pytest.approx(min(scores), abs=1e-3)
        assert variant["examples"][-1]["score"] == pytest.approx(max(scores), abs=1e-3)
        for example in variant["examples"]:
            post = responses.get(
                run_id=example["run_id"], text=example["text"], author_handle=example["handle"]
            )
            assert example["reason"] == f"Reason for {post.post_key}"
    html = member_client.get(reverse("experiment_compare", args=[experiment.pk])).content.decode()
    section = html[html.index('<section id="examples">') : html.index('<section id="metrics">')]
    assert section.count('class="variant-example"') == 2 and section.count('class="example-reply"') == 6
    assert "Why: Reason for" in section and "@" in section


def test_another_organization_cannot_open_the_comparison(org_a, member_client, outsider_client):
    experiment = _experiment(org_a, {"A": 0.5, "B": 0.5}, completed=2)
    url = reverse("experiment_compare", args=[experiment.pk])
    assert member_client.get(url).status_code == 200
    assert outsider_client.get(url).status_code == 404


def test_a_variant_without_replies_says_so_and_the_picks_do_not_change_between_builds(org_a, member_client):
    experiment = _experiment(org_a, {"A": 0.5, "B": 0.5})
    RunPost.objects.filter(run__experiment=experiment, run__variant="B", kind__in=("reply", "quote")).delete()
    first = comparison.experiment_comparison(experiment, rebuild=True)["examples"]
    again = comparison.experiment_comparison(experiment, rebuild=True)["examples"]
    assert first == again
    by_label = {v["label"]: v for v in first}
    assert by_label["B"]["responses"] == 0 and by_label["B"]["examples"] == []
    assert len(by_label["A"]["examples"]) == 3
    html = member_client.get(reverse("experiment_compare", args=[experiment.pk])).content.decode()
    section = html[html.index('<section id="examples">') : html.index('<section id="metrics">')]
    b_card = section[section.index('data-variant="B"') :]
    assert "No replies in this variant" in b_card and section.count("No replies in this variant") == 1
