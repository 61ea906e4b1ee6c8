"""Two ad variants × 10 replicates of synthetic run rows: intervals, tests, verdicts, power advice."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from simulations.insight import comparison as experiments
from simulations.models import Experiment, Run
from tests.factories import ExperimentFactory, RunFactory, ScenarioFactory
from tests.support.run_rows import make_panel, replicate_fixture, store_fixture

REPLICATES = 10


def _experiment(org, negative_rates: dict[str, float], *, completed: int = REPLICATES) -> Experiment:
    """Variants with the given chance that a reply is critical; ``completed`` finished runs each."""
    panel, personas = make_panel(org)
    scenario = ScenarioFactory(organization=org, panel=panel, name="Holiday ad")
    experiment = ExperimentFactory(
        scenario=scenario,
        name="Gift vs self-gift",
        variants=[{"label": label, "stimulus_text": f"Ad {label}"} for label in negative_rates],
        replicates=REPLICATES,
        status="completed" if completed == REPLICATES else "running",
    )
    for label, rate in negative_rates.items():
        for seed in range(1, REPLICATES + 1):
            if seed <= completed:
                fixture = replicate_fixture(label, seed, rate)
                store_fixture(fixture, scenario, personas, seed=seed, variant=label, experiment=experiment)
            else:
                RunFactory(
                    scenario=scenario, seed=seed, variant=label, experiment=experiment, status="queued"
                )
    return experiment


@pytest.fixture
def clear_difference(org_a):
    return _experiment(org_a, {"A": 0.75, "B": 0.1})


@pytest.fixture
def no_difference(org_a):
    return _experiment(org_a, {"A": 0.4, "C": 0.4})


def test_a_clear_difference_gets_intervals_and_a_verdict(clear_difference):
    comparison = experiments.experiment_comparison(clear_difference)
    a, b = comparison["per_variant"]["A"]["negative_share"], comparison["per_variant"]["B"]["negative_share"]
    assert a["n"] == b["n"] == REPLICATES
    assert a["low"] < a["estimate"] < a["high"] and b["low"] < b["estimate"] < b["high"]
    assert b["high"] < a["low"]  # the intervals do not even overlap
    verdict = comparison["verdict"]
    negative = next(c for c in verdict["comparisons"] if c["metric"] == "negative_share")
    assert (negative["a_label"], negative["b_label"]) == ("B", "A")
    assert negative["significant"] and negative["a_is_better"] and negative["p_adjusted"] < 0.05
    assert negative["test"]["test"] in ("welch_t", "mann_whitney_u") and negative["hedges_g"] < 0
    assert "B is better than A on negative share of replies and quotes" in verdict["summary"]


def test_the_same_ad_twice_cannot_be_told_apart(no_difference):
    verdict = experiments.experiment_comparison(no_difference)["verdict"]
    assert not verdict["any_significant"]
    assert verdict["summary"].startswith("The data cannot tell these variants apart")
    negative = next(c for c in verdict["comparisons"] if c["metric"] == "negative_share")
    assert "cannot tell C and A apart" in negative["verdict"]
    assert negative["needed_per_variant"] is None or negative["needed_per_variant"] > REPLICATES


def test_the_comparison_page_shows_intervals_tests_and_the_verdict(clear_difference, viewer_client):
    page = viewer_client.get(reverse("experiment_compare", kwargs={"experiment_id": clear_difference.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    summary = re.search(r'<p class="verdict" id="verdict-summary">(.*?)</p>', html, re.DOTALL).group(1)
    assert "B is better than A on negative share of replies and quotes" in summary
    assert "95% interval" in html and "Holm" in html and "Hedges g" in html
    assert 'data-chart="chart-metric-negative_share"' in html
    assert "20 of 20 runs finished" in html


def test_the_page_says_so_when_it_cannot_tell(no_difference, viewer_client):
    html = viewer_client.get(
        reverse("experiment_compare", kwargs={"experiment_id": no_difference.pk})
    ).content
    assert b"The data cannot tell these variants apart" in html


def test_replicates_needed_for_a_given_difference(clear_difference, viewer_client):
    comparison = experiments.experiment_comparison(clear_difference)
    small, large = (experiments.replicates_needed(comparison, "negative_share", d) for d in (0.02, 0.2))
    assert small > large >= 2
    url = reverse("experiment_compare", kwargs={"experiment_id": clear_difference.pk})
    html = viewer_client.get(url, {"metric": "negative_share", "difference": "0.02"}).content.decode()
    answer = re.search(r'<p id="power-answer">(.*?)</p>', html, re.DOTALL).group(1)
    assert f"About <strong>{small} replicates per variant</strong>" in answer


def test_progress_while_the_experiment_runs(org_a, viewer_client):
    experiment = _experiment(org_a, {"A": 0.75, "B": 0.1}, completed=1)
    counts = experiments.experiment_status_counts(experiment)
    assert (counts["runs"], counts["finished"], counts["completed"]) == (20, 2, 2)
    assert experiments.experiment_comparison(experiment)["verdict"] is None
    url = reverse("experiment_compare", kwargs={"experiment_id": experiment.pk})
    html = viewer_client.get(url).content.decode()
    assert "Not enough data yet" in html and "2 of 20 runs finished" in html
    partial = viewer_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="comparison"') and 'hx-trigger="every 5s"' in partial
    assert "<html" not in partial


def test_an_ended_experiment_with_too_few_completed_runs_says_so(org_a, viewer_client):
    experiment = _experiment(org_a, {"A": 0.75, "B": 0.1}, completed=1)
    Run.objects.filter(experiment=experiment, status="queued").update(status="cancelled")
    Experiment.objects.for_org(org_a).filter(pk=experiment.pk).update(status="completed")
    url = reverse("experiment_compare", kwargs={"experiment_id": experiment.pk})
    html = viewer_client.get(url).content.decode()
    assert "No comparison: every run has ended, but A, B finished with fewer than 2 completed runs" in html
    assert "Not enough data yet" not in html and 'hx-trigger="every 5s"' not in html
    assert "<td>1</td><td>0</td><td>9</td>" in html  # completed, running, left out: counted, not hidden


def test_a_completed_experiment_keeps_its_comparison(clear_difference):
    clear_difference.result = {"estimate": {"cost_usd": {"expected": 0.0}}}
    clear_difference.save()
    assert experiments.experiment_store_comparison(experiment_id=clear_difference.pk) is True
    clear_difference.refresh_from_db()
    assert (
        clear_difference.result["estimate"]
        and clear_difference.result["comparison"]["verdict"]["any_significant"]
    )


def test_the_api_returns_the_comparison(clear_difference, api_token_for, api_client_for, org_a):
    client = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    response = client.get(reverse("api_experiment_comparison", kwargs={"experiment_id": clear_difference.pk}))
    assert response.status_code == 200
    assert response.json()["verdict"]["any_significant"] is True
