"""Insight pages in Chromium against a real daphne + qcluster on the test database.

1. The first experiment of a new user, from the UI: on the demo panel (50 sampled voters), two
   ad variants × 10 replicates on the counting fake provider, estimate, start, watch the
   experiment page update itself, then the comparison page (intervals drawn, a verdict) and
   a run's report.
2. A run report with real-shaped backlash (the Peloton fixture): every chart drawn, risk
   level, themes, the cascade graph.
3. A comparison with a clear difference: every interval chart drawn, a "better" verdict.

Every chart must be drawn by Chart.js (the vendored file loaded, the canvas bound to a
chart) and no console error may appear, so a content-security-policy violation fails the
test. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPLICATES = 10
GIFT = "This holiday, give the gift that changes everything. A year later, she'll thank you. #PelotonHoliday"
FOR_HERSELF = "She bought it for herself. A year later, she has never felt stronger. #PelotonHoliday"
CHARTS_DRAWN = (
    "() => !!window.Chart && document.querySelectorAll('canvas[data-chart]').length > 0"
    " && [...document.querySelectorAll('canvas[data-chart]')].every(c => window.Chart.getChart(c))"
)


@pytest.fixture
def server_env(server_env):
    """No artificial delay and two workers: 20 runs of the fake provider finish in seconds."""
    return {**server_env, "SIMNET_FAKE_PROVIDER": "{}", "Q_WORKERS": "2"}


def _owner(email: str):
    from simnet.tenancy.roles import Role
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    organization = OrganizationFactory(name="Insight Co")
    MembershipFactory(user=UserFactory(email=email), organization=organization, role=Role.OWNER)
    return organization


def _charts(page) -> dict[str, bool]:
    """Every chart canvas of the page -> whether Chart.js drew a chart on it."""
    page.wait_for_function(CHARTS_DRAWN)
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('canvas[data-chart]')]"
        ".map(c => [c.dataset.chart, !!window.Chart.getChart(c) && c.width > 0 && c.height > 0]))"
    )


def _start_experiment(page, base_url: str, panel) -> int:
    page.goto(f"{base_url}/experiments/new/?panel={panel.pk}")
    page.fill("#id_name", "Peloton holiday ad")
    page.fill("#id_stimuli-0-text", GIFT)
    page.fill("#id_stimuli-0-author", "FitBikeCo")
    page.fill("#id_stimuli-0-boost", "0.6")
    page.fill("#id_variants-0-label", "Holiday gift")
    page.fill("#id_variants-0-stimulus_text", GIFT)
    page.fill("#id_variants-1-label", "For herself")
    page.fill("#id_variants-1-stimulus_text", FOR_HERSELF)
    page.fill("#id_steps", "2")
    page.fill("#id_experiment_name", "Gift vs for herself")
    page.fill("#id_replicates", str(REPLICATES))
    page.select_option("#id_provider", label="Fake (tests) (fake, fake-1)")
    page.click("#estimate-button")
    page.wait_for_selector("#estimate table")
    estimate = page.inner_text("#estimate")
    assert f"For {2 * REPLICATES} runs" in estimate and "All runs, one after another" in estimate
    page.screenshot(path=str(ARTIFACTS / "insight-experiment-builder.png"), full_page=True, caret="initial")
    page.click("#start-button")
    page.wait_for_url(re.compile(r".*/experiments/\d+/$"))
    return int(re.search(r"/experiments/(\d+)/$", page.url).group(1))


def test_a_new_user_runs_an_experiment_on_the_demo_panel_and_reads_the_comparison(
    live_server_url, browser_page
):
    from personas.services.demo import ensure_demo_panels
    from simnet.providers.models import ProviderConfig

    page = browser_page
    organization = _owner("insight-flow@example.com")
    panel = ensure_demo_panels(organization=organization)["voters"]
    ProviderConfig.objects.create(organization=organization, name="Fake (tests)", kind="fake", model="fake-1")
    sign_in(page, live_server_url, "insight-flow@example.com")

    experiment_id = _start_experiment(page, live_server_url, panel)
    assert f"of {2 * REPLICATES} runs finished" in page.inner_text("#experiment-progress")
    page.evaluate("window.__sameDocument = true")
    page.wait_for_selector("#experiment-progress header .badge-completed", timeout=180_000)
    assert page.evaluate("window.__sameDocument === true")  # the page updated itself, no reload
    assert f"{2 * REPLICATES} of {2 * REPLICATES} runs finished" in page.inner_text("#experiment-progress")
    page.screenshot(path=str(ARTIFACTS / "insight-experiment-done.png"), full_page=True)

    page.click("text=Compare the variants")
    page.wait_for_url(f"{live_server_url}/experiments/{experiment_id}/compare/")
    drawn = _charts(page)
    assert len(drawn) >= 5 and all(drawn.values()), drawn
    verdict = page.inner_text("#verdict-summary")
    assert "cannot tell these variants apart" in verdict or " than Holiday gift on " in verdict
    assert "For herself vs Holiday gift" in page.inner_text("#verdict")
    assert "Not enough data" not in verdict
    page.select_option("#power select[name=metric]", "engagement_rate")
    page.fill("#power input[name=difference]", "0.05")
    page.click("#power button[type=submit]")
    page.wait_for_selector("#power-answer")
    page.screenshot(path=str(ARTIFACTS / "insight-experiment-compare.png"), full_page=True)

    page.goto(f"{live_server_url}/experiments/{experiment_id}/")
    page.locator("#variant-1 tbody a").first.click()
    page.wait_for_url(re.compile(r".*/simulations/\d+/$"))
    page.get_by_role("link", name="Report", exact=True).click()
    page.wait_for_url(re.compile(r".*/simulations/\d+/report/$"))
    drawn = _charts(page)
    assert {"chart-steps", "chart-sentiment", "chart-cascade-0"} <= set(drawn) and all(drawn.values()), drawn
    level = page.inner_text("#risk-level")
    assert level in ("LOW", "MEDIUM", "HIGH", "SEVERE") or re.fullmatch(
        r"not enough data \(n=\d+\)", level
    ), level
    page.screenshot(path=str(ARTIFACTS / "insight-experiment-run-report.png"), full_page=True)
    assert page.errors == [], "\n".join(page.errors)


def test_a_backlash_report_draws_every_chart(live_server_url, browser_page):
    from tests.factories import ScenarioFactory
    from tests.support import peloton
    from tests.support.run_rows import make_panel, store_fixture

    page = browser_page
    organization = _owner("insight-report@example.com")
    panel, personas = make_panel(organization)
    scenario = ScenarioFactory(organization=organization, panel=panel, name="Holiday ad")
    run = store_fixture(peloton.backlash_run(), scenario, personas)
    sign_in(page, live_server_url, "insight-report@example.com")
    page.goto(f"{live_server_url}/simulations/{run.pk}/report/")
    drawn = _charts(page)
    assert {"chart-steps", "chart-segment", "chart-themes", "chart-sentiment", "chart-cascade-0"} <= set(
        drawn
    )
    assert all(drawn.values()), drawn
    assert page.inner_text("#risk-level") in ("HIGH", "SEVERE")
    assert "sexist" in page.inner_text("main").lower()  # the accusation theme, with its quotes
    assert page.locator(".cascade-graph circle").count() > 10
    page.screenshot(path=str(ARTIFACTS / "insight-report.png"), full_page=True)
    assert page.errors == [], "\n".join(page.errors)


def test_a_clear_difference_draws_every_interval_and_says_which_is_better(live_server_url, browser_page):
    from tests.factories import ExperimentFactory, ScenarioFactory
    from tests.support.run_rows import make_panel, replicate_fixture, store_fixture

    page = browser_page
    organization = _owner("insight-compare@example.com")
    panel, personas = make_panel(organization)
    scenario = ScenarioFactory(organization=organization, panel=panel, name="Holiday ad")
    experiment = ExperimentFactory(scenario=scenario, status="completed", replicates=4)
    for label, rate in (("A", 0.8), ("B", 0.1)):
        for seed in range(1, 5):
            fixture = replicate_fixture(label, seed, rate)
            store_fixture(fixture, scenario, personas, seed=seed, variant=label, experiment=experiment)
    sign_in(page, live_server_url, "insight-compare@example.com")
    page.goto(f"{live_server_url}/experiments/{experiment.pk}/compare/")
    drawn = _charts(page)
    assert "chart-metric-negative_share" in drawn and all(drawn.values()), drawn
    assert "B is better than A on negative share" in page.inner_text("#verdict-summary")
    page.screenshot(path=str(ARTIFACTS / "insight-compare.png"), full_page=True)
    assert page.errors == [], "\n".join(page.errors)
