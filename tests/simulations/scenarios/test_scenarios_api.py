"""/api/v1/scenarios/: create with stimuli or an agenda, scoped related ids, the estimate."""

from __future__ import annotations

import pytest

from personas.models import PanelShare, Persona
from simnet.providers.models import ProviderConfig
from simulations.models import Scenario

pytestmark = pytest.mark.django_db

SCENARIOS = "/api/v1/scenarios/"


def feed_body(panel, **extra) -> dict:
    return {
        "name": "Holiday ad",
        "panel": panel.pk,
        "steps": 3,
        "stimuli": [
            {"text": "The gift that changes her life.", "author_handle": "PelotonBrand", "boost": 0.5}
        ],
        **extra,
    }


def test_a_member_creates_a_feed_scenario_and_reads_it_back(member_api, panel, org_a, member):
    persona = Persona.objects.filter(panel_memberships__panel=panel).order_by("handle").first()
    body = feed_body(panel)
    body["stimuli"].append({"text": "Honestly, I love mine.", "author_persona": persona.pk, "step": 1})
    created = member_api.post(SCENARIOS, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["panel"] == panel.pk and data["provider"] is None and data["steps"] == 3
    assert [(s["author_handle"], s["author_persona"], s["step"]) for s in data["stimuli"]] == [
        ("PelotonBrand", None, 0),
        ("", persona.pk, 1),
    ]
    scenario = Scenario.objects.for_org(org_a).get(pk=data["id"])
    assert scenario.created_by is None  # made by a token, not a person
    assert member_api.get(f"{SCENARIOS}{scenario.pk}/").json() == data
    assert member_api.get(SCENARIOS).json()["results"][0]["id"] == scenario.pk


def test_a_roundtable_needs_an_agenda(member_api, panel):
    body = {"name": "Board", "panel": panel.pk, "format": "roundtable", "agenda": []}
    refused = member_api.post(SCENARIOS, body, format="json")
    assert refused.status_code == 400 and "agenda" in refused.json()["error"]["fields"]
    created = member_api.post(SCENARIOS, {**body, "agenda": ["Approve the ad"]}, format="json")
    assert created.status_code == 201 and created.json()["agenda"] == ["Approve the ad"]


def test_another_organizations_panel_is_a_field_error_and_nothing_is_created(member_api, org_b, org_a):
    from tests.support.runs import make_panel

    theirs = make_panel(org_b, name="Their voters")
    refused = member_api.post(SCENARIOS, feed_body(theirs), format="json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert list(error["fields"]) == ["panel"] and "Their voters" not in refused.content.decode()
    assert not Scenario.objects.for_org(org_a).exists() and not Scenario.objects.for_org(org_b).exists()


def test_a_panel_shared_with_the_organization_may_be_used(member_api, org_a, org_b):
    from tests.support.runs import make_panel

    shared = make_panel(org_b, name="Shared voters")
    PanelShare.objects.create(organization=org_b, panel=shared, shared_with=org_a)
    created = member_api.post(SCENARIOS, feed_body(shared), format="json")
    assert created.status_code == 201 and created.json()["panel"] == shared.pk


def test_foreign_provider_and_foreign_persona_are_field_errors(member_api, panel, org_b):
    from tests.support.runs import make_panel

    their_provider = ProviderConfig.objects.create(organization=org_b, name="Theirs", kind="baseline")
    refused = member_api.post(SCENARIOS, feed_body(panel, provider=their_provider.pk), format="json")
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["provider"]
    stranger = Persona.objects.filter(panel_memberships__panel=make_panel(org_b)).first()
    body = feed_body(panel)
    body["stimuli"][0]["author_persona"] = stranger.pk
    refused = member_api.post(SCENARIOS, body, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"stimuli.0.author_persona": ["Not a persona of this panel."]}


def test_a_viewer_reads_and_estimates_but_cannot_create(viewer_api, fake_scenario):
    assert viewer_api.get(SCENARIOS).json()["count"] == 1
    refused = viewer_api.post(SCENARIOS, feed_body(fake_scenario.panel), format="json")
    assert refused.status_code == 403
    estimate = viewer_api.post(f"{SCENARIOS}{fake_scenario.pk}/estimate/", {"replicates": 3}, format="json")
    assert estimate.status_code == 200
    data = estimate.json()
    assert data["replicates"] == 3
    for key in ("calls", "input_tokens", "output_tokens", "cost_usd"):
        assert data[key]["low"] <= data[key]["expected"] <= data[key]["high"]
    single = viewer_api.post(f"{SCENARIOS}{fake_scenario.pk}/estimate/", {}, format="json").json()
    assert data["calls"]["expected"] == pytest.approx(3 * single["calls"]["expected"])


def test_another_organizations_scenario_is_a_404_for_every_method(token_client, fake_scenario, org_b):
    outsider = token_client("owner", org_b)
    for method, path in (("get", ""), ("post", "estimate/"), ("delete", ""), ("put", "")):
        response = getattr(outsider, method)(f"{SCENARIOS}{fake_scenario.pk}/{path}", {}, format="json")
        assert response.status_code == 404, (method, path)
