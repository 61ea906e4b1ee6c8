"""The report and comparison pages in Chromium: every chart is drawn, with no console error
(the content security policy would report any inline script or style as one).

Served by pytest-django's in-process live server, so the test's URL configuration (the insight
pages included) applies. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analysis import peloton
from tests.factories import ScenarioFactory

from .builders import make_panel, store_fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def page(live_server, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    if not (ROOT / "static" / "vendor" / "chart.umd.min.js").exists():
        pytest.skip("front-end libraries missing from static/vendor (run `make install`)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(viewport={"width": 1360, "height": 1000})
        tab.errors = []
        tab.on("console", lambda m: tab.errors.append(m.text) if _counts(m) else None)
        tab.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
        tab.set_default_timeout(30_000)
        try:
            yield tab
        finally:
            browser.close()


def _counts(message) -> bool:
    """Console errors count, except the browser's own request for a favicon the site does not have."""
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")


def _sign_in(page, base_url: str, email: str) -> None:
    from tests.factories import DEFAULT_PASSWORD

    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def _drawn_charts(page) -> dict[str, bool]:
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('canvas[data-chart]')]"
        ".map(c => [c.dataset.chart, !!window.Chart.getChart(c)]))"
    )


def test_report_charts_render_without_console_errors(page, live_server, viewer):
    from simnet.tenancy.models import Membership

    organization = Membership.objects.get(user=viewer).organization
    panel, personas = make_panel(organization)
    run = store_fixture(
        peloton.backlash_run(),
        ScenarioFactory(organization=organization, panel=panel, name="Holiday ad"),
        personas,
    )
    _sign_in(page, live_server.url, viewer.email)
    page.goto(f"{live_server.url}/simulations/{run.pk}/report/")
    page.wait_for_function("() => window.Chart && document.querySelector('canvas[data-drawn=yes]')")
    drawn = _drawn_charts(page)
    assert drawn and all(drawn.values()), drawn
    assert {"chart-steps", "chart-segment", "chart-themes", "chart-sentiment"} <= set(drawn)
    assert page.inner_text("#risk-level") in ("HIGH", "SEVERE")
    assert page.locator(".cascade-graph circle").count() > 10
    page.screenshot(path=str(ARTIFACTS / "insight-report.png"), full_page=True)
    assert page.errors == []


def test_comparison_charts_render_without_console_errors(page, live_server, viewer):
    from simnet.tenancy.models import Membership
    from tests.factories import ExperimentFactory

    from .builders import replicate_fixture

    organization = Membership.objects.get(user=viewer).organization
    panel, personas = make_panel(organization)
    scenario = ScenarioFactory(organization=organization, panel=panel, name="Holiday ad")
    experiment = ExperimentFactory(scenario=scenario, status="completed", replicates=4)
    for label, rate in (("A", 0.8), ("B", 0.1)):
        for seed in range(1, 5):
            fixture = replicate_fixture(label, seed, rate)
            store_fixture(fixture, scenario, personas, seed=seed, variant=label, experiment=experiment)
    _sign_in(page, live_server.url, viewer.email)
    page.goto(f"{live_server.url}/experiments/{experiment.pk}/compare/")
    page.wait_for_function("() => window.Chart && document.querySelector('canvas[data-drawn=yes]')")
    drawn = _drawn_charts(page)
    assert "chart-metric-negative_share" in drawn and all(drawn.values()), drawn
    assert "negative_share" in page.inner_text("#verdict-summary")
    page.screenshot(path=str(ARTIFACTS / "insight-compare.png"), full_page=True)
    assert page.errors == []
