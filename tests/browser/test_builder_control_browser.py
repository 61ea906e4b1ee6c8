"""The experiment builder's control (variant A) shows the post as written, in Chromium.

No server is needed: the page is the builder as Django renders it, with ``builder.js`` loaded
into it, so the test runs even before the vendored front-end libraries are installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

BUILDER_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "builder.js"
CONTROL = "#id_variants-0-stimulus_text"


@pytest.fixture
def page(member_client):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    html = member_client.get(reverse("experiment_create")).content.decode()
    assert "js/builder.js" in html  # the real page loads the script
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.abort())  # no server: the page's own assets stay away
        page.set_content(html, wait_until="domcontentloaded")
        page.add_script_tag(content=BUILDER_JS.read_text())
        page.evaluate("document.dispatchEvent(new Event('DOMContentLoaded'))")
        try:
            yield page
        finally:
            browser.close()


def test_the_control_follows_the_post_until_edited_by_hand(page):
    page.fill("#id_stimuli-0-text", "The gift that changes everything.")
    assert page.input_value(CONTROL) == "The gift that changes everything."
    page.fill("#id_stimuli-0-text", "The gift that changes everything. Again.")
    assert page.input_value(CONTROL) == "The gift that changes everything. Again."
    page.fill(CONTROL, "My own baseline")
    page.fill("#id_stimuli-0-text", "Changed once more")
    assert page.input_value(CONTROL) == "My own baseline"
    assert page.input_value("#id_variants-1-stimulus_text") == ""
