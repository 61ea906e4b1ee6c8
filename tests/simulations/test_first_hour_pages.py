"""What the builder, the run room and the report tell a newcomer: where panels come from, what a
blank boost means, and what the offline model is (and is not) for."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simnet.providers.models import ProviderConfig
from simulations.models import Stimulus
from simulations.runs.services import run_start
from simulations.scenarios.services import scenario_create
from tests.simulations.scenarios.test_builder import _form
from tests.support.runs import (  # noqa: F401 (fixtures used by name)
    fake_provider_env,
    fake_scenario,
    finished_run,
    make_panel,
    started_run,
)

pytestmark = pytest.mark.django_db

ADD_HOSTED = f"{reverse('provider_list')}?kind=anthropic"


@pytest.fixture
def panel(org_a):
    return make_panel(org_a, size=4, name="Voters")


@pytest.fixture
def offline_run(org_a, member, panel):
    scenario = scenario_create(
        organization=org_a, actor=member, panel=panel, name="Offline ad", steps=2,
        stimuli=[{"text": "Buy the bike.", "author_handle": "FitBikeCo", "boost": 0.5}],
    )  # fmt: skip
    return run_start(organization=org_a, actor=member, scenario=scenario)[0]


def test_an_empty_panel_list_says_where_panels_come_from(member_client):
    html = member_client.get(reverse("scenario_create")).content.decode()
    assert 'id="no-panels"' in html
    assert f'formaction="{reverse("demo_panels_add")}"' in html
    for name in ("import_create", "panel_create_population", "panel_create_board"):
        assert f'href="{reverse(name)}"' in html, name


def test_with_a_panel_the_explanation_is_gone(member_client, panel):
    assert 'id="no-panels"' not in member_client.get(reverse("scenario_create")).content.decode()


def test_the_boost_field_says_what_the_default_reaches_in_personas(member_client, panel):
    html = member_client.get(reverse("scenario_create")).content.decode()
    assert "promoted to 50% of the panel (25 personas of 50)" in html


@pytest.mark.parametrize(
    ("author", "boost", "stored"),
    [("FitBikeCo", "", 0.5), ("p1", "", 0.0), ("FitBikeCo", "0", 0.0), ("FitBikeCo", "0.3", 0.3)],
)
def test_a_blank_boost_promotes_an_outside_post_only(member_client, panel, author, boost, stored):
    data = _form(panel, **{"stimuli-0-author": author, "stimuli-0-boost": boost})
    assert member_client.post(reverse("scenario_create"), data).status_code == 302
    assert Stimulus.objects.for_org(panel.organization).get().boost == stored


def test_the_builder_explains_the_offline_model_while_it_is_chosen(member_client, panel):
    html = member_client.get(reverse("scenario_create")).content.decode()
    assert 'class="flash flash-info offline-notice offline-notice-choice"' in html
    assert "tests the pipeline and gives rough numbers" in html and ADD_HOSTED in html


def test_the_run_room_and_report_of_an_offline_run_say_so(member_client, offline_run):
    for name in ("run_detail", "run_report"):
        html = member_client.get(reverse(name, args=[offline_run.pk])).content.decode()
        assert 'id="offline-notice"' in html and "tests the pipeline and gives rough numbers" in html, name
        assert ADD_HOSTED in html, name


def _run_on(org, member, panel, kind: str, model: str = ""):
    provider = ProviderConfig.objects.create(organization=org, name=kind, kind=kind, model=model)
    scenario = scenario_create(
        organization=org, actor=member, panel=panel, name=f"Ad on {kind}", steps=2, provider=provider,
        stimuli=[{"text": "Buy the bike.", "author_handle": "FitBikeCo", "boost": 0.5}],
    )  # fmt: skip
    return run_start(organization=org, actor=member, scenario=scenario)[0]


def test_a_run_on_a_hosted_model_shows_no_notice(member_client, org_a, member, panel):
    run = _run_on(org_a, member, panel, "anthropic", "claude-haiku-4-5")
    for name in ("run_detail", "run_report"):
        response = member_client.get(reverse(name, args=[run.pk]))
        html = response.content.decode()
        assert response.status_code == 200 and "Ad on anthropic" in html, name
        assert 'id="offline-notice"' not in html and 'id="baseline-notice"' not in html, name
        assert ADD_HOSTED not in html, name


def test_a_run_on_the_rule_baseline_says_what_that_is(member_client, org_a, member, panel):
    run = _run_on(org_a, member, panel, "baseline")
    for name in ("run_detail", "run_report"):
        html = member_client.get(reverse(name, args=[run.pk])).content.decode()
        assert 'id="baseline-notice"' in html and 'id="offline-notice"' not in html, name
        assert "no language model" in html and "fixed templates" in html and ADD_HOSTED in html, name


def test_a_run_on_another_model_shows_no_offline_notice(member_client, finished_run):  # noqa: F811
    for name in ("run_detail", "run_report"):
        html = member_client.get(reverse(name, args=[finished_run.pk])).content.decode()
        assert 'id="offline-notice"' not in html, name


def test_the_link_preselects_the_kind_on_the_provider_page(org_admin_client):
    html = org_admin_client.get(ADD_HOSTED).content.decode()
    assert '<option value="anthropic" selected>' in html
    assert (
        '<option value="anthropic" selected>'
        not in org_admin_client.get(reverse("provider_list")).content.decode()
    )
