"""Ids of another organization's objects in request bodies and filters: a field error or an empty
list, never their data, and nothing is created. One table for every endpoint that takes an id."""

from __future__ import annotations

import pytest

from personas.models import Panel, Persona
from scraping.models import ImportJob
from simnet.providers.models import ProviderConfig
from simulations.models import Backtest, Experiment, Run, Scenario
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

MARKER = "THEIRS-7c41"


@pytest.fixture
def theirs(org_b, outsider) -> dict[str, int]:
    """Organization B's objects (a queued run and a delivery included), every name carrying MARKER."""
    from simnet.webhooks import services as webhooks
    from simulations.runs.services import run_start
    from simulations.scenarios.services import scenario_create

    panel = make_panel(org_b, size=3, name=f"Panel {MARKER}")
    provider = ProviderConfig.objects.create(organization=org_b, name=f"Provider {MARKER}", kind="baseline")
    scenario = scenario_create(
        organization=org_b, actor=outsider, panel=panel, name=f"Scenario {MARKER}", steps=2, provider=provider,
        stimuli=[{"text": f"Ad {MARKER}", "author_handle": "brand"}],
    )  # fmt: skip
    run_start(organization=org_b, actor=outsider, scenario=scenario)
    endpoint, _ = webhooks.webhook_endpoint_create(
        organization=org_b, url="http://127.0.0.1:9/in", events=["run.failed"], description=MARKER
    )
    webhooks.emit(organization=org_b, event="run.failed", payload={"note": MARKER})
    persona = Persona.objects.for_org(org_b).filter(panel_memberships__panel=panel).first()
    return {
        "panel": panel.pk,
        "provider": provider.pk,
        "scenario": scenario.pk,
        "persona": persona.pk,
        "endpoint": endpoint.pk,
    }


def created_rows(org_a) -> dict[str, int]:
    models = (Panel, Scenario, Run, Experiment, ImportJob, Backtest)
    return {model.__name__: model.objects.for_org(org_a).count() for model in models}


BODIES = {
    "scenario panel": ("/api/v1/scenarios/", lambda ids, mine: {"panel": ids["panel"]}, "panel"),
    "scenario provider": (
        "/api/v1/scenarios/",
        lambda ids, mine: {"panel": mine["panel"], "provider": ids["provider"]},
        "provider",
    ),
    "stimulus author": (
        "/api/v1/scenarios/",
        lambda ids, mine: {
            "panel": mine["panel"],
            "stimuli": [{"text": "x", "author_persona": ids["persona"]}],
        },
        "stimuli.0.author_persona",
    ),
    "run scenario": ("/api/v1/runs/", lambda ids, mine: {"scenario": ids["scenario"]}, "scenario"),
    "experiment scenario": (
        "/api/v1/experiments/",
        lambda ids, mine: {"scenario": ids["scenario"], "variants": [{"label": "A"}, {"label": "B"}]},
        "scenario",
    ),
    "fork provider": (
        "/api/v1/runs/{run}/fork/",
        lambda ids, mine: {"step": 1, "provider": ids["provider"]},
        "provider",
    ),
    "import panel": (
        "/api/v1/imports/",
        lambda ids, mine: {"connector": "bluesky", "account": "a.bsky.social", "panel": ids["panel"]},
        "panel",
    ),
    "backtest panel": ("/api/v1/backtests/", lambda ids, mine: {"panel": ids["panel"]}, "panel"),
    "backtest provider": (
        "/api/v1/backtests/",
        lambda ids, mine: {"panel": mine["panel"], "provider_config": ids["provider"]},
        "provider_config",
    ),
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_a_foreign_id_in_a_body_is_a_field_error(case, admin_api, theirs, finished_run, org_a):
    path, body, field = BODIES[case]
    mine = {"panel": finished_run.scenario.panel_id}
    before = created_rows(org_a)
    response = admin_api.post(path.format(run=finished_run.pk), body(theirs, mine), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert MARKER not in response.content.decode()
    assert created_rows(org_a) == before


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/api/v1/runs/?scenario={}", "scenario"),
        ("/api/v1/personas/?panel={}", "panel"),
        ("/api/v1/webhooks/deliveries/?endpoint={}", "endpoint"),
    ],
)
def test_a_foreign_id_in_a_filter_finds_nothing(path, kind, admin_api, theirs):
    response = admin_api.get(path.format(theirs[kind]))
    assert response.status_code == 200 and response.json()["results"] == []
    assert MARKER not in response.content.decode()
