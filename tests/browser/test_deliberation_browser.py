"""A deliberation run walked in Chromium against a real daphne + qcluster on the test database.

A new user builds a deliberative poll on the demo voters (sampled from the CCES, each with a
party), played by the rule policy: the builder shows the deliberation fields, the run completes
in the worker, and the report's stance section shows the shift by party (one row per party with
its n and interval) and the spread against the survey. No console error may appear.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Should the federal minimum wage rise to $15 an hour?"


def test_a_deliberation_run_shows_stance_shift_by_party(live_server_url, browser_page):
    from personas.services.demo import ensure_demo_panels
    from simnet.tenancy.roles import Role
    from simulations.models import StanceReading
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    page = browser_page
    organization = OrganizationFactory(name="Civic Lab")
    MembershipFactory(user=UserFactory(email="civic@example.com"), organization=organization, role=Role.OWNER)
    panel = ensure_demo_panels(organization=organization)["voters"]
    sign_in(page, live_server_url, "civic@example.com")

    page.goto(f"{live_server_url}/simulations/new/?panel={panel.pk}")
    assert not page.is_visible("#id_deliberation_briefing")  # a feed hides the deliberation's fields
    page.select_option("#id_format", "deliberation")
    assert page.is_visible("#id_deliberation_briefing") and not page.is_visible("#id_agenda")
    page.fill("#id_name", "Minimum wage town hall")
    page.fill("#id_stance_question", QUESTION)
    page.fill("#id_deliberation_briefing", "Higher pay for millions; some jobs may be lost.")
    page.fill("#id_deliberation_group_size", "5")
    page.fill("#id_steps", "4")
    page.select_option("#id_policy", "rules")
    page.screenshot(path=str(ARTIFACTS / "deliberation-builder.png"), full_page=True)
    page.click("#start-button")
    page.wait_for_url(re.compile(r".*/simulations/\d+/$"), timeout=60_000)
    run_id = int(re.search(r"/simulations/(\d+)/$", page.url).group(1))

    page.goto(f"{live_server_url}/simulations/{run_id}/stance/")
    for _ in range(60):  # the worker takes the four steps; the page reads what is stored
        if page.locator("#stance-shift-party").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert StanceReading.unscoped.filter(run_id=run_id).values("step").distinct().count() == 2

    page.goto(f"{live_server_url}/simulations/{run_id}/report/")
    section = page.locator("#stance")
    assert QUESTION in section.inner_text()
    rows = {
        row.get_attribute("data-segment"): row.inner_text()
        for row in page.locator("#stance-shift-party tbody tr").all()
    }
    assert {"all", "Democrat", "Republican", "Independent"} <= set(rows), rows
    for party in ("Democrat", "Republican"):
        cells = rows[party].split("\t")
        assert int(cells[1]) >= 2 and re.match(r"-?\d+\.\d\d$", cells[4]), cells  # n and the shift
        assert " to " in cells[5], cells  # its 95% interval
    assert page.is_visible("#stance-rule")  # the readings are said to be the rule policy's
    assert "SD" in page.inner_text("#stance-honesty") and "n = " in page.inner_text("#stance-honesty")
    page.screenshot(path=str(ARTIFACTS / "deliberation-report.png"), full_page=True)
    assert page.errors == []
