"""Time estimates calibrated on the organization's finished runs (seconds per decision)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from simnet.providers.build import choice_for
from simulations.models import Run, RunAction
from simulations.runs.pace import MIN_MEASURED_RUNS, measured_range, measured_seconds_per_decision
from simulations.runs.services import THROUGHPUT, run_estimate
from tests.factories import RunFactory, ScenarioFactory
from tests.simulations.scenarios.test_builder import HTMX, _form
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

OFFLINE = choice_for(None)


@pytest.fixture
def scenario(tenancy):
    return ScenarioFactory(organization=tenancy.org_a, panel=make_panel(tenancy.org_a, size=4), steps=6)


def _measured_run(scenario, *, seconds: float, decisions: int, status: str = "completed", **fields) -> Run:
    """A run of ``scenario`` with the offline model that took ``seconds`` for ``decisions`` decisions."""
    finished = timezone.now()
    fields = {"reproducibility": {"provider": OFFLINE.kind, "model": OFFLINE.model}, **fields}
    run = RunFactory(
        scenario=scenario,
        organization=scenario.organization,
        status=status,
        policy="llm",
        started_at=finished - timedelta(seconds=seconds),
        finished_at=finished,
        **fields,
    )
    RunAction.objects.bulk_create(
        RunAction(organization=run.organization, run=run, step=i // 4, agent_key=str(i % 4), action="ignore")
        for i in range(decisions)
    )
    return run


def test_without_measured_runs_the_time_is_the_fixed_default_and_says_so(scenario):
    estimate = run_estimate(scenario=scenario)
    basis = estimate["time_basis"]
    assert basis["calibrated"] is False and basis["measured_runs"] == 0
    assert "no runs measured yet" in basis["summary"]
    assert f"a rough default of {1 / THROUGHPUT['offline']:.2g} s per decision" in basis["summary"]
    assert estimate["wall_time_s"]["expected"] == pytest.approx(
        estimate["calls"]["expected"] / THROUGHPUT["offline"]
    )


def test_measured_runs_put_the_typical_actual_time_inside_the_range(scenario):
    decisions = round(run_estimate(scenario=scenario)["calls"]["expected"])
    actual = [88.0, 92.0, 95.0, 97.0, 101.0, 95.0]  # seconds each run really took
    for seconds in actual:
        _measured_run(scenario, seconds=seconds, decisions=decisions)
    calibrated = run_estimate(scenario=scenario)
    wall, basis = calibrated["wall_time_s"], calibrated["time_basis"]
    assert basis["calibrated"] is True and basis["measured_runs"] == len(actual)
    assert "measured on the last 6 finished runs" in basis["summary"]
    assert wall["low"] <= 95.0 <= wall["high"]
    assert wall["expected"] == pytest.approx(95.0, rel=0.1)
    assert wall["high"] >= 101.0 * 0.95  # the slow end covers the slowest runs measured


def test_only_completed_comparable_runs_of_this_organization_count(scenario, tenancy):
    other = ScenarioFactory(organization=tenancy.org_b, panel=make_panel(tenancy.org_b, size=4))
    for _ in range(MIN_MEASURED_RUNS):
        _measured_run(other, seconds=50, decisions=10)  # another organization
        _measured_run(scenario, seconds=50, decisions=10, status="failed")
        _measured_run(
            scenario, seconds=50, decisions=10, reproducibility={"provider": "anthropic", "model": "x"}
        )
    _measured_run(scenario, seconds=40, decisions=10)
    found = measured_seconds_per_decision(
        organization_id=tenancy.org_a.pk, kind=OFFLINE.kind, model=OFFLINE.model, policy="llm"
    )
    assert found == [pytest.approx(4.0)]
    assert (
        "measured on only n=1 finished run with" in run_estimate(scenario=scenario)["time_basis"]["summary"]
    )


def test_measured_slow_runs_raise_the_estimate_and_its_high_end_covers_their_mean(scenario):
    default = run_estimate(scenario=scenario)
    decisions = round(default["calls"]["expected"])
    slow = 3 / THROUGHPUT["offline"]  # seconds per decision, three times slower than the default
    seconds = [decisions * slow * f for f in (0.8, 0.9, 1.0, 1.1, 3.0)]  # one run far slower
    for s in seconds:
        _measured_run(scenario, seconds=s, decisions=decisions)
    measured = run_estimate(scenario=scenario)["wall_time_s"]
    assert measured["expected"] > default["wall_time_s"]["expected"] * 2.5
    assert measured["high"] > default["wall_time_s"]["high"]
    assert measured["high"] >= sum(seconds) / len(seconds)  # the outlier's pull on the mean is covered


def test_one_or_two_measured_runs_already_count_with_a_wider_range(scenario):
    decisions = round(run_estimate(scenario=scenario)["calls"]["expected"])
    _measured_run(scenario, seconds=decisions * 2.0, decisions=decisions)
    estimate = run_estimate(scenario=scenario)
    pace = measured_range([2.0])
    assert (pace.low, pace.expected, pace.high) == pytest.approx((1.5, 2.0, 2.5))
    assert estimate["time_basis"] == {
        "measured_runs": 1,
        "calibrated": True,
        "summary": "Time measured on only n=1 finished run with this provider and policy in this "
        "organization: typically 2 s per decision, a range widened by 25% until 3 runs have finished.",
    }
    assert estimate["wall_time_s"]["expected"] == pytest.approx(decisions * 2.0, rel=0.05)


def test_the_builder_estimate_says_what_its_time_rests_on_and_names_the_provider_once(member_client, tenancy):
    panel = make_panel(tenancy.org_a, size=4, name="Voters")
    html = member_client.post(reverse("scenario_estimate"), _form(panel, steps=6), **HTMX).content.decode()
    basis = html[html.index('id="estimate-time-basis"') :]
    assert "no runs measured yet" in basis[: basis.index("</p>")]
    assert html.count(OFFLINE.label) == 1
