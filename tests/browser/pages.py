"""What browser walks share: signing in through the real login form."""

from __future__ import annotations


def sign_in(page, base_url: str, email: str) -> None:
    """Sign ``email`` in (a user made with the factories' default password) and land on the dashboard."""
    from tests.factories import DEFAULT_PASSWORD

    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")
