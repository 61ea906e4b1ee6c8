"""The first hour in a real browser (daphne on the test database, Debian's Chromium): the page
fits a 390 px phone without sideways scrolling, signed out and signed in, and creating an API token
raises no console error (content security policy violations included)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EMAIL = "first-hour@browser.example"
PHONE = {"width": 390, "height": 844}
WIDE = """() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 392)
  .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= 392)
  .map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"""


def _sign_in(page, base_url: str) -> None:
    from simnet.tenancy.roles import Role
    from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

    MembershipFactory(
        user=UserFactory(email=EMAIL), organization=OrganizationFactory(name="First Hour Co"), role=Role.OWNER
    )
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def _scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_the_pages_fit_a_390_px_phone(browser_page, live_server_url):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server_url}/")
    assert page.locator(".topbar a[href='/signup/']").is_visible()
    assert _scroll_width(page) <= 390
    page.screenshot(path=str(ARTIFACTS / "first-hour-phone-landing.png"))
    _sign_in(page, live_server_url)
    for path in ("/", "/api-tokens/", "/simulations/new/"):
        page.goto(f"{live_server_url}{path}")
        nav = page.locator(".mainnav")
        assert nav.is_visible(), path
        assert page.get_by_role("link", name="Audit log").is_visible(), path
        rights = page.eval_on_selector_all(
            ".topbar a", "links => links.map(a => a.getBoundingClientRect().right)"
        )
        assert len(rights) >= 9 and max(rights) <= 390, (
            path,
            rights,
        )  # every link on screen, none scrolled away
        assert _scroll_width(page) <= 390, (path, _scroll_width(page))
        name = path.strip("/").replace("/", "-") or "dashboard"
        page.screenshot(path=str(ARTIFACTS / f"first-hour-phone-{name}.png"))  # the first screen
    page.screenshot(path=str(ARTIFACTS / "first-hour-phone.png"), full_page=True)
    assert page.errors == []


def test_creating_a_token_and_trying_its_example_url_raise_no_console_error(browser_page, live_server_url):
    """The token page's example URL opens DRF's browsable API, whose inline <style> the policy
    blocked ("Applying inline style violates ... style-src 'self'") and whose missing icon 404ed."""
    page = browser_page
    _sign_in(page, live_server_url)
    page.goto(f"{live_server_url}/api-tokens/")
    page.evaluate("window.__sameDocument = true")
    page.fill("input[name=name]", "CI token")
    page.click("text=Create token")
    secret = page.wait_for_selector("#new-token-secret")
    assert secret.inner_text().startswith("snt_")
    assert page.evaluate("window.__sameDocument === true"), "the token came back in the same page (htmx)"
    example = urlsplit(page.locator("#new-token pre code").inner_text().split()[-1]).path
    assert example == "/api/v1/organization/"
    page.goto(f"{live_server_url}{example}")  # the page names the configured SITE_URL
    page.wait_for_selector("text=First Hour Co")
    assert page.evaluate("() => getComputedStyle(document.querySelector('pre')).lineHeight") != "normal"
    page.wait_for_load_state("networkidle")
    assert page.errors == []


def test_a_new_account_runs_the_peloton_example_in_one_click(browser_page, live_server_url):
    """Sign up (the organization comes with it), then one click from the dashboard: the demo
    panels are made and the run room of the holiday ad opens, saying what the offline model is for."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from personas.models import Panel
    from simulations.models import Run

    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server_url}/signup/")
    page.fill("#id_email", "new@first-hour.example")
    page.fill("#id_name", "New Marketer")
    for field in ("#id_password1", "#id_password2"):
        page.fill(field, "a first hour in simnet")
    page.fill("#id_organization_name", "New Bikes")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server_url}/signup/sent/")
    user = get_user_model().objects.get(email="new@first-hour.example")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(f"{live_server_url}/signup/confirm/{uid}/{default_token_generator.make_token(user)}/")
    page.wait_for_url(f"{live_server_url}/")
    assert page.get_by_role("button", name="Add the demo panels").is_visible()
    page.get_by_role("button", name="Run the Peloton example").click()
    page.wait_for_url(f"{live_server_url}/simulations/*/")
    (run,) = Run.unscoped.filter(organization__name="New Bikes")
    assert page.url == f"{live_server_url}/simulations/{run.pk}/"
    assert (
        run.scenario.panel.name == "Demo: US voters (sampled)"
        and Panel.unscoped.filter(organization=run.organization, is_demo=True).count() >= 2
    )
    assert page.locator("#offline-notice").is_visible()
    assert _scroll_width(page) <= 390
    page.screenshot(path=str(ARTIFACTS / "first-hour-peloton-room.png"))
    page.locator("main hgroup").get_by_role("link", name="Report").click()
    page.wait_for_url(f"{live_server_url}/simulations/{run.pk}/report/")
    assert page.locator("#offline-notice").is_visible()
    assert _scroll_width(page) <= 390, page.evaluate(WIDE)
    page.screenshot(path=str(ARTIFACTS / "first-hour-peloton-report.png"))
    assert page.errors == []


def test_the_builder_explains_the_chosen_provider(browser_page, live_server_url):
    """The blank default is the offline model; a configured offline or baseline provider gets its
    note too, and a hosted one none."""
    from simnet.providers.models import ProviderConfig
    from simnet.tenancy.models import Organization

    page = browser_page
    _sign_in(page, live_server_url)
    org = Organization.objects.get(name="First Hour Co")
    made = {
        kind: ProviderConfig.objects.create(organization=org, name=f"My {kind}", kind=kind, model=model)
        for kind, model in (("offline", ""), ("baseline", ""), ("anthropic", "claude-haiku-4-5"))
    }
    page.goto(f"{live_server_url}/simulations/new/")
    offline, baseline = page.locator("#offline-notice"), page.locator("#baseline-notice")
    assert offline.is_visible() and not baseline.is_visible()
    for kind, shown in (("baseline", baseline), ("anthropic", None), ("offline", offline)):
        page.select_option("select[name=provider]", str(made[kind].pk))
        assert offline.is_visible() == (shown is offline), kind
        assert baseline.is_visible() == (shown is baseline), kind
    page.select_option("select[name=provider]", "")
    assert offline.is_visible() and not baseline.is_visible()
    assert page.errors == []
