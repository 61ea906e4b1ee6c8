"""The first hour: the landing page, and a new organization's two one-click starts (the demo
panels, the Peloton example run), idempotent, for writers only, behind CSRF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from personas.builders.public_texts import TWEETS_FILE
from personas.models import Panel
from simnet.providers.models import ProviderConfig
from simnet.tenancy.middleware import SESSION_KEY
from simulations.management.commands.seed_demo import HOLIDAY_AD
from simulations.models import Run, Scenario

pytestmark = pytest.mark.django_db

SAMPLED = {"Demo: US voters (sampled)", "Demo: Board of directors"}
GENERATED = {"Demo: Community threads (generated)", "Demo: Brand account (generated)"}


@pytest.fixture
def no_public_data(monkeypatch, tmp_path):
    """As on a machine where ``make install`` did not fetch the public texts."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


@pytest.fixture
def public_data(monkeypatch, tmp_path):
    """A small stand-in for the rated tweets ``make install`` fetches, in the format it unpacks."""
    tweets = tmp_path / "simnet" / "data" / TWEETS_FILE
    tweets.parent.mkdir(parents=True)
    lines = [f"{i}\t{(i % 9) - 4:.1f}\tRated tweet number {i} about the holidays" for i in range(1, 120)]
    tweets.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


def demo_names(organization) -> list[str]:
    return sorted(Panel.objects.for_org(organization).filter(is_demo=True).values_list("name", flat=True))


def test_a_visitor_gets_the_landing_page_with_what_simnet_does_and_a_sign_up(client):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("signup")}"' in html and f'href="{reverse("login")}"' in html
    for words in (
        "Import real accounts",
        "sample a population",
        "Drop content in",
        "with an interval",
        "Backtests",
    ):
        assert words in html, words


def test_a_new_organization_is_offered_both_starts(owner_client):
    html = owner_client.get(reverse("home")).content.decode()
    assert f'action="{reverse("demo_panels_add")}"' in html and "Add the demo panels" in html
    assert f'action="{reverse("peloton_example")}"' in html and "Run the Peloton example" in html


def test_a_viewer_is_not_offered_them_and_is_refused(viewer_client, org_a, no_public_data):
    html = viewer_client.get(reverse("home")).content.decode()
    assert "Add the demo panels" not in html and "Run the Peloton example" not in html
    assert viewer_client.post(reverse("demo_panels_add")).status_code == 403
    assert viewer_client.post(reverse("peloton_example")).status_code == 403
    assert demo_names(org_a) == [] and not Run.objects.for_org(org_a).exists()


def test_adding_the_demo_panels_twice_adds_them_once(member_client, org_a, no_public_data):
    assert member_client.post(reverse("demo_panels_add")).url == reverse("home")
    member_client.post(reverse("demo_panels_add"))
    assert demo_names(org_a) == sorted(SAMPLED)
    assert "Add the demo panels" not in member_client.get(reverse("home")).content.decode()


def test_the_demo_history_comes_too_when_the_public_data_is_there(member_client, org_a, public_data):
    member_client.post(reverse("demo_panels_add"))
    assert demo_names(org_a) == sorted(SAMPLED | GENERATED)


def test_the_builder_button_comes_back_to_the_builder_and_no_further(member_client, no_public_data):
    builder = reverse("scenario_create")
    assert member_client.post(reverse("demo_panels_add"), {"next": builder}).url == builder
    assert member_client.post(reverse("demo_panels_add"), {"next": "https://evil.example/"}).url == reverse(
        "home"
    )


def test_the_starts_take_post_only_and_need_the_csrf_token(owner, org_a, no_public_data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    session = client.session
    session[SESSION_KEY] = org_a.pk
    session.save()
    assert client.get(reverse("demo_panels_add")).status_code == 405
    assert client.post(reverse("demo_panels_add")).status_code == 403
    assert client.post(reverse("peloton_example")).status_code == 403
    assert demo_names(org_a) == [] and not Run.objects.for_org(org_a).exists()


def test_the_peloton_example_runs_the_holiday_ad_on_the_default_provider(
    member_client, org_a, no_public_data
):
    ProviderConfig.objects.create(
        organization=org_a, name="Other", kind="anthropic", model="claude-haiku-4-5"
    )
    default = ProviderConfig.objects.create(
        organization=org_a, name="Claude", kind="anthropic", model="claude-haiku-4-5", is_default=True
    )
    response = member_client.post(reverse("peloton_example"))
    run = Run.objects.for_org(org_a).get()
    assert response.status_code == 302 and response.url == reverse("run_detail", args=[run.pk])
    assert run.scenario.provider == default and run.scenario.panel.name == "Demo: US voters (sampled)"
    (stimulus,) = run.scenario.stimuli.all()
    assert stimulus.text == HOLIDAY_AD and stimulus.author_handle == "FitBikeCo" and stimulus.boost == 0.5


def test_clicking_it_again_while_the_run_goes_on_opens_the_same_run(member_client, org_a, no_public_data):
    first = member_client.post(reverse("peloton_example")).url
    assert member_client.post(reverse("peloton_example")).url == first
    assert Run.objects.for_org(org_a).count() == 1 and Scenario.objects.for_org(org_a).count() == 1
    Run.objects.for_org(org_a).update(status="completed")
    second = member_client.post(reverse("peloton_example")).url
    assert second != first and Scenario.objects.for_org(org_a).count() == 1
    assert demo_names(org_a) == sorted(SAMPLED)


def test_each_organization_gets_its_own_example_and_cannot_open_the_others(
    owner_client, outsider_client, org_a, org_b, no_public_data
):
    room_a = owner_client.post(reverse("peloton_example")).url
    assert owner_client.get(room_a).status_code == 200
    assert outsider_client.get(room_a).status_code == 404
    room_b = outsider_client.post(reverse("peloton_example")).url
    assert room_b != room_a and outsider_client.get(room_b).status_code == 200
    assert Run.objects.for_org(org_a).count() == 1 and Run.objects.for_org(org_b).count() == 1
    assert demo_names(org_b) == sorted(SAMPLED)


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_the_same_moment_start_one_run(owner, org_a, no_public_data):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def click(_) -> str:
        client = Client()
        client.force_login(owner)
        session = client.session
        session[SESSION_KEY] = org_a.pk
        session.save()
        try:
            return client.post(reverse("peloton_example")).url
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        rooms = set(pool.map(click, range(2)))
    assert len(rooms) == 1 and Run.objects.for_org(org_a).count() == 1
    assert demo_names(org_a) == sorted(SAMPLED)


def test_the_starts_give_way_to_the_dashboard_once_the_organization_has_a_run(owner_client, no_public_data):
    assert 'id="onboarding"' in owner_client.get(reverse("home")).content.decode()
    owner_client.post(reverse("peloton_example"))
    assert 'id="onboarding"' not in owner_client.get(reverse("home")).content.decode()
