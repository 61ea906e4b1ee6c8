"""Runs list, experiments and provider settings: roles, filters, paging, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from simnet.providers.models import ProviderConfig
from simulations.models import Experiment, Run, RunAction, RunStatus
from tests.support.runs import drive, make_panel

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _runs(scenario, count: int, **fields) -> list[Run]:
    return [
        Run.objects.create(
            organization=scenario.organization, scenario=scenario, seed=i, total_steps=4, **fields
        )
        for i in range(count)
    ]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_run_list_query_count_does_not_grow_with_runs(fake_scenario, member_client):
    _runs(fake_scenario, 2)
    few = _queries(member_client, reverse("run_list"))
    experiment = Experiment.objects.create(
        organization=fake_scenario.organization, name="E", scenario=fake_scenario
    )
    _runs(fake_scenario, 10, experiment=experiment, variant="B")
    assert _queries(member_client, reverse("run_list")) == few


def test_run_list_shows_state_progress_actions_cost_and_variant(finished_run, member_client):
    html = member_client.get(reverse("run_list")).content.decode()
    actions = RunAction.objects.filter(run=finished_run).exclude(action="ignore").count()
    row = html[html.index(f'id="run-row-{finished_run.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "badge-completed" in row and "4/4" in row and f"<td>{actions}</td>" in row and "$0" in row


def test_run_list_filters_by_status_and_pages(fake_scenario, viewer_client):
    _runs(fake_scenario, 27)
    _runs(fake_scenario, 1, status=RunStatus.PAUSED)
    paused = viewer_client.get(reverse("run_list") + "?status=paused", **HTMX).content.decode()
    assert paused.lstrip().startswith('<section id="runs"') and paused.count('id="run-row-') == 1
    first = viewer_client.get(reverse("run_list")).content.decode()
    assert first.count('id="run-row-') == 25 and "Page 1 of 2" in first and "New simulation" not in first
    assert viewer_client.get(reverse("run_list") + "?page=2").content.decode().count('id="run-row-') == 3


def test_run_list_refreshes_itself_only_while_runs_are_active(fake_scenario, member_client):
    _runs(fake_scenario, 1, status=RunStatus.COMPLETED)
    assert 'hx-trigger="every 5s"' not in member_client.get(reverse("run_list")).content.decode()
    _runs(fake_scenario, 1)
    assert 'hx-trigger="every 5s"' in member_client.get(reverse("run_list")).content.decode()


def test_experiment_pages_show_progress_per_variant(fake_scenario, tenancy, viewer_client):
    experiment = Experiment.objects.create(
        organization=tenancy.org_a, name="Tone test", scenario=fake_scenario,
        variants=[{"label": "A", "stimulus_text": "Warm"}, {"label": "B", "stimulus_text": "Bold"}], replicates=2,
    )  # fmt: skip
    _runs(fake_scenario, 2, experiment=experiment, variant="A", status=RunStatus.COMPLETED)
    _runs(fake_scenario, 2, experiment=experiment, variant="B")
    listing = viewer_client.get(reverse("experiment_list")).content.decode()
    assert "Tone test" in listing and "2/4" in listing
    detail = viewer_client.get(reverse("experiment_detail", args=[experiment.pk])).content.decode()
    assert "2 of 4 runs finished" in detail and "Variant A" in detail and "Variant B" in detail
    assert "Warm" in detail and detail.count("badge-completed") == 2 and 'hx-trigger="every 5s"' in detail


def test_experiment_detail_only_answers_get(fake_scenario, tenancy, member_client):
    experiment = Experiment.objects.create(organization=tenancy.org_a, name="E", scenario=fake_scenario)
    assert member_client.post(reverse("experiment_detail", args=[experiment.pk])).status_code == 405


def test_provider_settings_admin_adds_and_the_secret_is_only_shown_masked(org_admin_client, tenancy):
    secret = "sk-ant-api03-very-secret-key-7Qz9"
    response = org_admin_client.post(
        reverse("provider_create"),
        {
            "name": "Claude",
            "kind": "anthropic",
            "model": "claude-haiku-4-5",
            "secret": secret,
            "max_concurrency": 4,
        },
        **HTMX,
    )
    html = response.content.decode()
    config = ProviderConfig.objects.for_org(tenancy.org_a).get()
    assert html.lstrip().startswith('<section id="providers"') and 'id="provider-created"' in html
    assert secret not in html and "••••7Qz9" in html and secret not in config.secret_ciphertext
    listing = org_admin_client.get(reverse("provider_list")).content.decode()
    assert secret not in listing and "••••7Qz9" in listing and 'type="password"' in listing


def test_provider_rules_come_back_on_the_form(org_admin_client, tenancy):
    response = org_admin_client.post(
        reverse("provider_create"),
        {"name": "Local", "kind": "openai_compat", "model": "llama", "max_concurrency": 2},
    )
    assert "Required, e.g. http://host:8000/v1" in response.content.decode()
    assert not ProviderConfig.objects.for_org(tenancy.org_a).exists()


def test_members_see_providers_but_cannot_add_them(member_client, tenancy):
    assert "Add a provider" not in member_client.get(reverse("provider_list")).content.decode()
    response = member_client.post(
        reverse("provider_create"), {"name": "x", "kind": "baseline", "max_concurrency": 1}
    )
    assert response.status_code == 403 and not ProviderConfig.objects.for_org(tenancy.org_a).exists()


@pytest.mark.parametrize(
    "name, client_fixture, status",
    [
        ("run_list", "viewer_client", 200),
        ("experiment_list", "viewer_client", 200),
        ("provider_list", "viewer_client", 200),
        ("scenario_create", "member_client", 200),
        ("experiment_create", "member_client", 200),
        ("scenario_create", "viewer_client", 403),
    ],
)
def test_pages_render_for_the_right_roles(name, client_fixture, status, request):
    assert request.getfixturevalue(client_fixture).get(reverse(name)).status_code == status


def test_pages_send_anonymous_users_to_sign_in(client):
    for name in ("run_list", "scenario_create", "provider_list", "experiment_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_run_of_a_shared_panel_is_listed_for_the_organization_that_ran_it(
    tenancy, member_client, fake_provider_env
):
    from personas.models import PanelShare
    from simulations.runs.services import run_start
    from simulations.scenarios.services import scenario_create

    shared = make_panel(tenancy.org_b, size=3, name="Shared")
    PanelShare.objects.create(organization=tenancy.org_b, panel=shared, shared_with=tenancy.org_a)
    provider = ProviderConfig.objects.create(
        organization=tenancy.org_a, name="fake", kind="fake", model="fake-1"
    )
    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=shared, name="On a shared panel", steps=1,
        provider=provider, stimuli=[{"text": "Hello", "author_handle": "brand"}],
    )  # fmt: skip
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
    assert run.status == RunStatus.COMPLETED
    assert "On a shared panel" in member_client.get(reverse("run_list")).content.decode()


def test_an_admin_deletes_a_provider_and_its_scenarios_fall_back_to_offline(
    org_admin_client, fake_scenario, tenancy
):
    provider = fake_scenario.provider
    url = reverse("provider_delete", args=[provider.pk])
    html = org_admin_client.post(url, **HTMX).content.decode()
    assert html.lstrip().startswith('<section id="providers"') and "deleted" in html
    assert not ProviderConfig.objects.for_org(tenancy.org_a).exists()
    fake_scenario.refresh_from_db()
    assert fake_scenario.provider is None


def test_a_provider_in_use_by_an_unfinished_run_is_not_deleted(org_admin_client, started_run):
    provider = started_run.scenario.provider
    response = org_admin_client.post(reverse("provider_delete", args=[provider.pk]))
    assert response.status_code == 302
    page = org_admin_client.get(response["Location"]).content.decode()
    assert "unfinished run(s)" in page and ProviderConfig.unscoped.filter(pk=provider.pk).exists()


def test_members_cannot_delete_providers(member_client, fake_scenario):
    provider = fake_scenario.provider
    assert member_client.post(reverse("provider_delete", args=[provider.pk])).status_code == 403
    assert member_client.get(reverse("provider_delete", args=[provider.pk])).status_code == 403
    assert ProviderConfig.unscoped.filter(pk=provider.pk).exists()
