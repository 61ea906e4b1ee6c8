"""A brief becomes a world in a real browser (daphne, Chromium), offline: the page says extraction is
not possible, a template gives the draft, a person edits it (a stakeholder changed, one added),
makes it a world and starts a run of it. No console error may appear (CSP included). Screenshots
go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EMAIL = "briefs@browser.example"


def _sign_in(page, base_url: str) -> None:
    from simnet.tenancy.roles import Role
    from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

    MembershipFactory(
        user=UserFactory(email=EMAIL), organization=OrganizationFactory(name="Briefs Co"), role=Role.OWNER
    )
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def test_offline_a_template_is_edited_into_a_world_and_run(browser_page, live_server_url):
    page = browser_page
    _sign_in(page, live_server_url)

    page.click(".mainnav a[href='/briefs/']")
    page.wait_for_selector("text=Extraction is not possible offline.")
    assert page.locator("input[type=file]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "briefs-offline.png"), full_page=True)

    page.click("text=A local policy change")
    page.wait_for_url(re.compile(r".*/briefs/\d+/$"))
    page.wait_for_selector("text=Started from a template (no model read anything)")
    page.fill("textarea[name=s-1-stance]", "Against, unless deliveries keep a morning slot.")
    page.fill("input[name=s-4-name]", "Bus company")
    page.fill("textarea[name=s-4-stance]", "Against: buses rerouted.")
    page.fill("input[name=s-4-groups]", "business, transport")
    page.screenshot(path=str(ARTIFACTS / "brief-draft.png"), full_page=True)
    page.click("text=Save and make it a world")
    page.wait_for_selector("text=The world is ready")
    assert (
        page.locator("#question").inner_text()
        == "Should Main Street stay car-free on weekends after the trial?"
    )
    assert (
        page.locator("textarea[name=s-1-stance]").input_value()
        == "Against, unless deliveries keep a morning slot."
    )
    assert page.locator("input[name=s-4-handle]").input_value() == "Bus_company"
    page.screenshot(path=str(ARTIFACTS / "brief-world.png"), full_page=True)

    page.click("text=Start a run")
    page.wait_for_url(re.compile(r".*/simulations/\d+/$"))
    assert page.errors == []
