"""The OpenAPI pages are live: Swagger UI and Redoc render every operation in Chromium, from the
vendored libraries, under the site's Content-Security-Policy (a blocked script, style or worker
is a console error, which fails the test)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARIES = ("Start runs of a scenario", "Copy a panel", "Start an import", "Start an experiment")


def test_swagger_ui_renders_the_whole_api(browser_page, live_server_url):
    page = browser_page
    page.goto(f"{live_server_url}/api/docs/")
    page.wait_for_selector(".opblock-summary")
    text = page.inner_text("#swagger-ui")
    assert all(summary in text for summary in SUMMARIES)
    assert page.locator(".opblock").count() > 60
    assert page.locator("button.authorize").count() == 1  # the bearer token can be entered
    assert page.errors == []


def test_redoc_renders_the_whole_api(browser_page, live_server_url):
    page = browser_page
    page.goto(f"{live_server_url}/api/redoc/")
    page.locator("h2", has_text="Start runs of a scenario").first.wait_for()
    headings = page.locator("h2").all_inner_texts()
    assert all(any(summary in heading for heading in headings) for summary in SUMMARIES)
    assert len(headings) > 60
    # Redoc's "API docs by Redocly" badge is an image on cdn.redoc.ly; the policy blocks it on purpose
    # (the pages make no outside requests). Anything else blocked or broken is a failure.
    assert [error for error in page.errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in error] == []
