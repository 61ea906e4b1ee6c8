"""The experiment a new user runs first, end to end in one process: the demo panel, two ad
variants × 10 replicates started from the builder page, every run stepped by the real
stepper (counting fake provider instead of the offline model, which is slow), the tasks the
stepper queues as runs end executed as a worker would, then the progress and comparison pages.
"""

from __future__ import annotations

import re
from importlib import import_module

import pytest
from django.urls import reverse

from personas.services.demo import VOTERS_NAME, VOTERS_SIZE, ensure_demo_panels
from simulations.models import Experiment, Run, RunReportCache, RunStatus
from simulations.runs import lifecycle, stepper

REPLICATES = 10
STEPS = 2
GIFT = "This holiday, give the gift that changes everything. A year later, she'll thank you. #PelotonHoliday"
FOR_HERSELF = "She bought it for herself. A year later, she has never felt stronger. #PelotonHoliday"


@pytest.fixture
def queued_tasks(monkeypatch) -> list[tuple[str, tuple]]:
    """What ``lifecycle.finish`` hands to django-q2 as runs end (steps themselves are driven here)."""
    queued: list[tuple[str, tuple]] = []
    monkeypatch.setattr(lifecycle, "async_task", lambda name, *args, **kwargs: queued.append((name, args)))
    return queued


def _run_queued(queued: list[tuple[str, tuple]]) -> list:
    results = []
    for name, args in queued:
        module, function = name.rsplit(".", 1)
        results.append(getattr(import_module(module), function)(*args))
    queued.clear()
    return results


def _builder_post(panel, provider) -> dict[str, str]:
    return {
        "mode": "experiment",
        "name": "Peloton holiday ad",
        "panel": str(panel.pk),
        "format": "feed",
        "agenda": "",
        "steps": str(STEPS),
        "minutes_per_step": "60",
        "recommender": "mix",
        "feed_size": "5",
        "memory_tokens": "120",
        "provider": str(provider.pk),
        "seed": "41",
        "budget_usd": "",
        "stimuli-TOTAL_FORMS": "1",
        "stimuli-INITIAL_FORMS": "0",
        "stimuli-MIN_NUM_FORMS": "0",
        "stimuli-MAX_NUM_FORMS": "20",
        "stimuli-0-text": GIFT,
        "stimuli-0-author": "FitBikeCo",
        "stimuli-0-step": "0",
        "stimuli-0-boost": "0.6",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "2",
        "variants-MAX_NUM_FORMS": "6",
        "variants-0-label": "Holiday gift",
        "variants-0-stimulus_text": GIFT,
        "variants-1-label": "For herself",
        "variants-1-stimulus_text": FOR_HERSELF,
        "experiment_name": "Gift vs for herself",
        "replicates": str(REPLICATES),
        "start": "1",
    }


def _drive(run: Run) -> Run:
    for _ in range(STEPS + 2):
        stepper.advance(run_id=run.pk)
        run.refresh_from_db()
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return run
    raise AssertionError(f"run {run.pk} did not finish: {run.status} at step {run.next_step}")


@pytest.mark.slow  # 20 runs
@pytest.mark.django_db(transaction=True)  # what a run queues as it ends is queued once its ending commits
def test_two_variants_times_ten_replicates_on_the_demo_panel(
    tenancy, member_client, fake_provider, queued_tasks
):
    organization = tenancy.org_a
    panel = ensure_demo_panels(organization=organization)["voters"]
    assert panel.name == VOTERS_NAME and panel.memberships.count() == VOTERS_SIZE
    provider = fake_provider(organization)
    form = _builder_post(panel, provider)

    estimate = member_client.post(reverse("scenario_estimate"), form).content.decode()
    assert f"For {2 * REPLICATES} runs" in estimate and "All runs, one after another" in estimate

    response = member_client.post(reverse("experiment_create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    experiment = Experiment.objects.for_org(organization).get()
    assert response["Location"] == reverse("experiment_detail", kwargs={"experiment_id": experiment.pk})
    runs = list(Run.objects.for_org(organization).filter(experiment=experiment).order_by("variant", "seed"))
    assert len(runs) == 2 * REPLICATES
    assert experiment.result["estimate"]["replicates"] == 2 * REPLICATES
    seeds = {
        variant: sorted(r.seed for r in runs if r.variant == variant)
        for variant in ("Holiday gift", "For herself")
    }
    assert seeds["Holiday gift"] == seeds["For herself"] == list(range(41, 41 + REPLICATES))  # paired

    detail_url = reverse("experiment_detail", kwargs={"experiment_id": experiment.pk})
    for run in runs[: REPLICATES // 2]:
        assert _drive(run).status == RunStatus.COMPLETED
    progress = member_client.get(detail_url, HTTP_HX_REQUEST="true").content.decode()
    assert (
        f"{REPLICATES // 2} of {2 * REPLICATES} runs finished" in progress
        and 'hx-trigger="every 5s"' in progress
    )

    for run in runs[REPLICATES // 2 :]:
        assert _drive(run).status == RunStatus.COMPLETED
    names = [name for name, _ in queued_tasks]
    assert names.count("simulations.tasks.store_run_report") == 2 * REPLICATES
    assert names[-1] == "simulations.tasks.store_experiment_comparison"  # queued once, by the last run
    assert names.count("simulations.tasks.store_experiment_comparison") == 1
    assert all(_run_queued(queued_tasks))

    experiment.refresh_from_db()
    assert experiment.status == "completed"
    stored = experiment.result["comparison"]  # stored by the task, before anyone opened the page
    assert stored["progress"]["completed"] == 2 * REPLICATES
    assert RunReportCache.objects.filter(run__experiment=experiment).count() == 2 * REPLICATES
    per_variant = stored["per_variant"]
    for label in ("Holiday gift", "For herself"):
        interval = per_variant[label]["engagement_rate"]
        assert interval["n"] == REPLICATES and interval["low"] <= interval["estimate"] <= interval["high"]
    verdict = stored["verdict"]
    assert verdict["comparisons"] and all(c["a_label"] == "For herself" for c in verdict["comparisons"])

    done = member_client.get(detail_url).content.decode()
    assert f"{2 * REPLICATES} of {2 * REPLICATES} runs finished" in done and "Compare the variants" in done
    assert 'hx-trigger="every 5s"' not in done
    assert "for all runs, about" in done and "one after another" in done  # the estimate, kept

    html = member_client.get(
        reverse("experiment_compare", kwargs={"experiment_id": experiment.pk})
    ).content.decode()
    summary = re.search(r'<p class="verdict" id="verdict-summary">(.*?)</p>', html, re.DOTALL).group(1)
    assert summary.strip() == verdict["summary"].replace("'", "&#x27;").strip()
    assert "95% interval" in html and "Holm" in html and "Hedges g" in html
    assert html.count('<canvas data-chart="chart-metric-') >= 5
    if not verdict["any_significant"]:  # the fake provider ignores the wording, so usually the case
        assert "cannot tell these variants apart" in summary
