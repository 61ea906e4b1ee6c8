"""A real server for browser tests: daphne (HTTP + websockets) and a qcluster worker, both as
subprocesses on the test database, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.fake_provider import ENABLED_ENV as FAKE_PROVIDER_KINDS_ENV
from tests.support.processes import free_port, start_logged, stop_group, wait_for_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    vendor = Path(__file__).resolve().parents[2] / "static" / "vendor" / "htmx.min.js"
    if not vendor.exists():
        pytest.skip("front-end libraries missing from static/vendor (run `make install`)")
    return str(CHROMIUM)


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    """Environment of the server processes; tests may add to it before ``live_server_url`` starts."""
    return {
        "SIMNET_TEST_PROVIDER_KINDS": FAKE_PROVIDER_KINDS_ENV,
        "SIMNET_FAKE_PROVIDER": '{"delay_s": 0.25, "log": "%s"}' % (tmp_path / "fake-calls.log"),
        "SIMNET_EVENT_POLL_SECONDS": "0.3",
        "Q_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def live_server_url(transactional_db, chromium_path, server_env):
    """http://127.0.0.1:<port> served by daphne, with a qcluster taking the runs' steps."""
    from tests.support.subprocess_env import BASE_DIR, start_qcluster, subprocess_env

    port = free_port()
    env = subprocess_env(**server_env)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the servers must keep Django's async-safety checks
    daphne = start_logged(  # the web server make run starts
        [
            sys.executable,
            "-m",
            "simnet.server",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "simnet.asgi:application",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    worker = start_qcluster(**server_env)
    try:
        wait_for_port(port, daphne)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(worker)
        stop_group(daphne)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def browser_page(live_server_url, monkeypatch, request):
    """A Chromium page that records console errors and uncaught exceptions in ``page.errors``.

    Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM calls
    from the test body; the test's own setup queries are safe (one thread), so they are allowed
    here, after the servers started with the check intact."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 1000})
        errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                errors.append(f"{message.text} at {message.location.get('url', '?')}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())
        page.errors = errors
        page.set_default_timeout(30_000)
        try:
            yield page
            failed = getattr(request.node, "report_call", None)
            if failed is not None and failed.failed:
                page.screenshot(path=str(ARTIFACTS / f"failure-{request.node.name}.png"), full_page=True)
        finally:
            browser.close()
