"""Panels in a real browser (daphne on the test database, Debian's Chromium): the demo panels in one
click, trait charts drawn by the static script under the content security policy, members filtered
live, a persona opened, and the import form showing the inputs of the chosen source. No console error
may appear (CSP violations included). Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EMAIL = "panels@browser.example"


def _sign_in(page, base_url: str) -> None:
    from simnet.tenancy.roles import Role
    from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

    MembershipFactory(
        user=UserFactory(email=EMAIL), organization=OrganizationFactory(name="Panels Co"), role=Role.OWNER
    )
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def test_demo_panels_charts_member_filters_and_the_import_form(browser_page, live_server_url):
    page = browser_page
    _sign_in(page, live_server_url)

    page.goto(f"{live_server_url}/panels/")
    page.click("text=Add the demo panels")
    page.wait_for_selector("text=Demo panels added")
    assert page.locator(".badge-demo").count() == 2

    page.click("text=Demo: US voters (sampled)")
    page.wait_for_url(re.compile(r".*/panels/\d+/$"))
    canvases = page.locator("canvas[data-trait-chart]").count()
    assert canvases >= 9
    page.wait_for_function(f"() => document.querySelectorAll('canvas[data-drawn=yes]').length === {canvases}")
    assert page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-trait-chart]')).data"
        ".datasets.map(d => d.label)"
    ) == ["Panel", "Source"]
    page.screenshot(path=str(ARTIFACTS / "panels-voters.png"), full_page=True)

    page.evaluate("window.__sameDocument = true")
    page.fill(".member-filters input[type=search]", "nobody-has-this-name")
    page.wait_for_selector("text=No member matches.")
    page.fill(".member-filters input[type=search]", "")
    page.wait_for_function("() => document.querySelectorAll('#members tbody tr').length === 25")
    assert page.evaluate("window.__sameDocument === true"), "the members were filtered without a reload"

    page.click(".marginals >> text=Democrat")
    page.wait_for_url(re.compile(r".*trait=party&value=Democrat.*"))
    assert "Party: Democrat" in page.inner_text(".member-filters")
    page.locator("#members tbody a").first.click()
    page.wait_for_selector("pre.persona-card")
    assert page.inner_text("pre.persona-card").startswith("You are ")

    page.goto(f"{live_server_url}/imports/new/")
    assert page.is_visible("input[name=file]") and not page.is_visible("input[name=account]")
    page.check("#connector-bluesky")
    assert page.is_visible("input[name=account]") and not page.is_visible("input[name=file]")
    assert not page.is_visible("input[name=credential]"), "Bluesky public data needs no credential"
    page.check("#connector-x_api")
    assert page.is_visible("input[name=credential]")
    page.check("#connector-tabular")
    assert page.is_visible("#csv-schema") and page.is_visible("input[name=file]")
    page.screenshot(path=str(ARTIFACTS / "imports-new-csv.png"), full_page=True)

    assert page.errors == []
