"""The run room in a real browser, against a real daphne + qcluster on the test database.

Sign in, build a scenario, estimate (and see the estimate follow a change), start, watch a live
update arrive without reloading, pause, inject a post, interview a persona, resume, let the run
finish and open it again from the runs list, filter the feed. A board roundtable shows its live
transcript, then the minutes. The ``offline_model`` tests do this on the demo panels with the
real SmolLM2 model; the others use the fast fake provider. No console error may appear at any
point (CSP violations included). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import sign_in
from tests.support.runs import make_panel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECTED = "Injected from the browser test: half price today only"
QUESTION = "Why did you react to the ad that way?"
FAKE = "Fake (tests) (fake, fake-1)"


@pytest.fixture
def offline_server_env(server_env):
    """Room for SmolLM2 on a busy machine: a step of a dozen decisions may outlast django-q2's
    default task timeout there, and a killed step waits for the broker's redelivery."""
    server_env.update(Q_TIMEOUT="1800", Q_RETRY="1900")
    return server_env


def _organization(email: str):
    from simnet.tenancy.roles import Role
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    organization = OrganizationFactory(name="Browser Co")
    user = UserFactory(email=email)
    MembershipFactory(user=user, organization=organization, role=Role.OWNER)
    return organization


def _organization_with_panel(email: str):
    organization = _organization(email)
    return organization, make_panel(organization, size=6, name="Demo voters")


def _with_fake_provider(organization) -> str:
    """A fake provider for the organization; returns its label in the builder's list."""
    from simnet.providers.models import ProviderConfig

    ProviderConfig.objects.create(organization=organization, name="Fake (tests)", kind="fake", model="fake-1")
    return FAKE


def _build_and_start(page, base_url: str, panel, *, steps: int, provider: str | None, shot: str) -> int:
    page.goto(f"{base_url}/simulations/new/?panel={panel.pk}")
    page.fill("#id_name", "Holiday ad (browser)")
    page.fill("#id_stimuli-0-text", "This holiday, give the gift that changes everything. #FitBikeHoliday")
    page.fill("#id_stimuli-0-author", "FitBikeCo")
    page.fill("#id_stimuli-0-boost", "0.6")
    page.click("text=+ Add another stimulus")  # an HTMX row, left blank: blank rows are ignored
    page.wait_for_selector("#id_stimuli-1-text")
    page.fill("#id_steps", str(steps + 1))
    if provider:
        page.select_option("#id_provider", label=provider)
    page.click("#estimate-button")
    page.wait_for_selector("#estimate table")
    first_estimate = page.inner_text("#estimate")
    assert "Expected" in first_estimate and "LLM calls" in first_estimate
    # A shown estimate follows the form: fewer steps, another range (no click needed).
    page.fill("#id_steps", str(steps))
    page.press("#id_steps", "Tab")
    page.wait_for_function(
        "before => document.querySelector('#estimate table') && "
        "document.querySelector('#estimate').innerText !== before",
        arg=first_estimate,
    )
    page.screenshot(path=str(ARTIFACTS / f"{shot}-builder.png"), full_page=True, caret="initial")
    page.click("#start-button")
    page.wait_for_url(re.compile(r".*/simulations/\d+/$"))
    return int(re.search(r"/simulations/(\d+)/$", page.url).group(1))


def _exercise_run_room(page, base_url: str, run_id: int, shot: str, *, step_timeout_ms: int) -> None:
    page.wait_for_selector("#live-indicator[data-state=live]")
    page.evaluate("window.__sameDocument = true")
    # A live update: the first step's posts and the step counter arrive over the websocket, no reload.
    page.wait_for_selector("#feed > li.post", timeout=step_timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('#progress-step').textContent.trim().startsWith('0 /')",
        timeout=step_timeout_ms,
    )
    assert page.evaluate("window.__sameDocument === true")

    # Pause at once (three steps or more: it lands before the last one), steer while paused, resume.
    page.click("#pause-button")
    page.wait_for_selector("#resume-button")
    page.wait_for_selector("#run-status[data-status=paused]", timeout=step_timeout_ms)

    page.fill("#inject textarea[name=text]", INJECTED)
    page.click("#inject button[type=submit]")
    page.wait_for_selector("#inject-done")

    page.select_option("#interviews select[name=agent_key]", index=1)
    page.fill("#interviews textarea[name=question]", QUESTION)
    page.click("#interviews button[type=submit]")
    page.wait_for_selector(".interview-list .interview-answer", timeout=step_timeout_ms)
    assert QUESTION in page.inner_text(".interview-list")
    assert page.get_attribute("#run-status", "data-status") == "paused"  # answering changed nothing
    page.screenshot(path=str(ARTIFACTS / f"{shot}-room-paused.png"), full_page=True, caret="initial")

    page.click("#resume-button")
    page.wait_for_selector("#pause-button, #run-status[data-status=completed]")
    page.wait_for_selector(f"#feed li.is-stimulus >> text={INJECTED}", timeout=step_timeout_ms)
    page.screenshot(path=str(ARTIFACTS / f"{shot}-room-live.png"), full_page=True, caret="initial")
    page.wait_for_selector("#run-status[data-status=completed]", timeout=3 * step_timeout_ms)
    assert page.evaluate("window.__sameDocument === true")
    page.screenshot(path=str(ARTIFACTS / f"{shot}-room-finished-live.png"), full_page=True, caret="initial")

    page.goto(f"{base_url}/simulations/")
    page.click(f"#run-row-{run_id} a")
    page.wait_for_url(f"{base_url}/simulations/{run_id}/")
    assert page.get_attribute("#run-status", "data-status") == "completed"
    assert INJECTED in page.inner_text("#feed") and QUESTION in page.inner_text(".interview-list")
    assert page.locator("#feed svg.avatar").count() > 0
    page.screenshot(path=str(ARTIFACTS / f"{shot}-room-finished.png"), full_page=True, caret="initial")

    # The "stimulus threads" filter leaves only the stimuli's threads on screen.
    page.click(".feed-filters >> text=Stimulus threads")
    page.wait_for_url(re.compile(r".*\?only=stimulus$"))
    visible_roots = page.eval_on_selector_all(
        "#feed > li.post", "posts => posts.filter(p => p.offsetParent !== null).map(p => p.className)"
    )
    assert visible_roots and all("is-stimulus" in name for name in visible_roots)
    assert INJECTED in page.inner_text("#feed")


def test_run_room_live_with_the_fake_provider(live_server_url, browser_page):
    organization, panel = _organization_with_panel("browser-fake@example.com")
    provider = _with_fake_provider(organization)
    sign_in(browser_page, live_server_url, "browser-fake@example.com")
    run_id = _build_and_start(browser_page, live_server_url, panel, steps=5, provider=provider, shot="fake")
    _exercise_run_room(browser_page, live_server_url, run_id, "fake", step_timeout_ms=30_000)
    assert browser_page.errors == [], "\n".join(browser_page.errors)


@pytest.mark.offline_model
def test_run_room_live_on_the_demo_panel_with_the_offline_model(
    offline_server_env, live_server_url, browser_page
):
    """The demo voters (50 sampled personas) with SmolLM2: about a dozen decisions in the first
    step (the ad reaches most feeds) and one or two in each later one."""
    from personas.services.demo import ensure_demo_panels

    organization = _organization("browser-offline@example.com")
    panel = ensure_demo_panels(organization=organization)["voters"]
    sign_in(browser_page, live_server_url, "browser-offline@example.com")
    run_id = _build_and_start(browser_page, live_server_url, panel, steps=4, provider=None, shot="offline")
    from simulations.models import Run

    assert Run.unscoped.get(pk=run_id).reproducibility["provider"] == "offline"
    # A SmolLM2 decision takes seconds on an idle machine, ten times that on a busy shared one.
    _exercise_run_room(browser_page, live_server_url, run_id, "offline", step_timeout_ms=1_200_000)
    assert browser_page.errors == [], "\n".join(browser_page.errors)


def _board(organization, *, demo: bool):
    """The demo board (seven members, a chair) or a small board of made-up members."""
    from personas.models import PanelMember
    from personas.services.demo import ensure_demo_panels

    if demo:
        return ensure_demo_panels(organization=organization)["board"]
    panel = make_panel(organization, size=6, name="Board")
    PanelMember.objects.filter(panel=panel).update(role="Director")
    chair = PanelMember.objects.filter(panel=panel).order_by("persona__handle").first()
    PanelMember.objects.filter(panel=panel, pk=chair.pk).update(role="Chair", is_chair=True)
    return panel


@pytest.mark.parametrize(
    "model",
    [
        "fake",
        pytest.param("offline", marks=pytest.mark.offline_model),
    ],
)
def test_roundtable_room_shows_the_live_transcript_then_the_minutes(
    model, offline_server_env, live_server_url, browser_page
):
    """With the offline model the demo board meets on one agenda item (about 17 decisions)."""
    email = f"browser-board-{model}@example.com"
    organization = _organization(email)
    panel = _board(organization, demo=model == "offline")
    agenda = ["Approve the holiday ad campaign"] + (["Cut the price by 15%?"] if model == "fake" else [])
    timeout = 120_000 if model == "fake" else 1_800_000
    provider = _with_fake_provider(organization) if model == "fake" else None
    page = browser_page
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/simulations/new/?panel={panel.pk}")
    page.fill("#id_name", f"Board review (browser, {model})")
    page.select_option("#id_format", "roundtable")
    page.fill("#id_agenda", "\n".join(agenda))
    page.fill("#id_steps", "30")
    if provider:
        page.select_option("#id_provider", label=provider)
    page.click("#start-button")
    page.wait_for_url(re.compile(r".*/simulations/\d+/$"))
    page.wait_for_selector("#live-indicator[data-state=live]")
    page.evaluate("window.__sameDocument = true")
    page.wait_for_selector("#transcript .speaker", timeout=timeout)  # a member speaking, arrived live
    assert "Agenda item 1" in page.inner_text("#meeting-phase")
    page.screenshot(path=str(ARTIFACTS / f"board-{model}-room-live.png"), full_page=True, caret="initial")
    page.wait_for_selector("#run-status[data-status=completed]", timeout=timeout)
    page.wait_for_selector("#minutes .minutes-item")
    assert page.locator("#minutes .minutes-item").count() == len(agenda)
    assert "For " in page.inner_text("#minutes") and "against" in page.inner_text("#minutes")
    assert page.evaluate("window.__sameDocument === true")
    page.screenshot(path=str(ARTIFACTS / f"board-{model}-room-finished.png"), full_page=True, caret="initial")
    assert page.errors == [], "\n".join(page.errors)


def test_a_dropped_socket_reconnects_and_resyncs_from_the_last_sequence(live_server_url, browser_page):
    from simulations.models import RunPost

    organization, panel = _organization_with_panel("browser-reconnect@example.com")
    provider = _with_fake_provider(organization)
    page = browser_page
    sockets = []

    def through_to_the_server(route):
        sockets.append(route)
        route.connect_to_server()

    page.route_web_socket(re.compile(r".*/ws/runs/\d+/.*"), through_to_the_server)
    sign_in(page, live_server_url, "browser-reconnect@example.com")
    run_id = _build_and_start(page, live_server_url, panel, steps=6, provider=provider, shot="reconnect")
    page.wait_for_selector("#feed > li.post")
    page.wait_for_function("() => Number(document.querySelector('#run-seq').dataset.seq) > 3")
    sockets[0].close(code=1012, reason="server restart")  # the extension reconnects after 1006/1011-1013
    seen = int(page.get_attribute("#run-seq", "data-seq"))
    page.wait_for_function("() => document.querySelector('#live-indicator').dataset.state === 'live'")
    page.wait_for_selector("#run-status[data-status=completed]", timeout=60_000)
    assert len(sockets) >= 2
    resumed_after = int(re.search(r"after=(\d+)", sockets[1].url).group(1))
    assert resumed_after >= seen > 0
    ids = page.eval_on_selector_all("#feed li.post", "posts => posts.map(p => p.id)")
    assert (
        len(ids) == len(set(ids)) == RunPost.objects.filter(organization=organization, run_id=run_id).count()
    )
    assert page.errors == [], "\n".join(page.errors)
