"""The hybrid policy's words budget is a scenario setting in the API and the builder."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simulations.learning.words_budget import WordsBudget
from simulations.models import Scenario
from tests.simulations.scenarios.test_builder import _form
from tests.support.run_rows import make_panel

pytestmark = pytest.mark.django_db
STIMULI = [{"text": "The gift that changes her life.", "author_handle": "PelotonBrand"}]


def test_the_api_stores_and_returns_the_budget_and_refuses_a_share_above_one(member_api, org_a):
    panel, _ = make_panel(org_a, size=4)
    body = {"name": "Crowd", "panel": panel.pk, "steps": 2, "stimuli": STIMULI, "policy": "hybrid"}
    created = member_api.post(
        "/api/v1/scenarios/", {**body, "words_max_calls": 50, "words_share": 0.1}, format="json"
    )
    assert created.status_code == 201, created.content
    assert (created.json()["words_max_calls"], created.json()["words_share"]) == (50, 0.1)
    stored = Scenario.objects.for_org(org_a).get(pk=created.json()["id"])
    assert WordsBudget.from_settings(stored.settings) == WordsBudget(max_calls=50, share=0.1)
    plain = member_api.post("/api/v1/scenarios/", body, format="json").json()
    assert plain["words_max_calls"] is None and "words" not in Scenario.objects.for_org(org_a).get(pk=plain["id"]).settings
    refused = member_api.post("/api/v1/scenarios/", {**body, "words_share": 1.5}, format="json")
    assert refused.status_code == 400 and "words_share" in refused.json()["error"]["fields"]


def test_the_builder_stores_the_budget(member_client, tenancy, django_capture_on_commit_callbacks):
    panel, _ = make_panel(tenancy.org_a, size=4, name="Voters")
    page = member_client.get(reverse("scenario_create")).content.decode()
    assert 'name="words_max_calls"' in page and 'name="words_share"' in page
    with django_capture_on_commit_callbacks(execute=False):
        response = member_client.post(
            reverse("scenario_create"), _form(panel, words_max_calls=30, words_share="")
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    scenario = Scenario.objects.for_org(tenancy.org_a).get()
    assert WordsBudget.from_settings(scenario.settings) == WordsBudget(max_calls=30)
