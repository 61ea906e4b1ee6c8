"""The estimate gives two prices for a provider with a batch API: live, and through Anthropic's
Message Batches at the documented half price (the report's labelling calls stay live)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from simnet.providers.models import ProviderConfig
from simulations.models import Scenario
from simulations.runs.services import run_estimate
from simulations.scenarios.services import scenario_create
from tests.support.runs import make_panel

pytestmark = pytest.mark.django_db

HALF = 0.5  # "reducing costs by 50%": Anthropic, build-with-claude/batch-processing


def _provider(org, kind: str, model: str) -> ProviderConfig:
    return ProviderConfig.objects.create(
        organization=org, name=kind, kind=kind, model=model, base_url="http://x"
    )


def _meeting(tenancy, provider) -> Scenario:
    """A meeting writes no replies or quotes, so nothing is labelled afterwards: every call is a decision."""
    return scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=make_panel(tenancy.org_a, size=4),
        name="Board", steps=6, format=Scenario.Format.ROUNDTABLE, agenda=["Approve the ad"], provider=provider,
    )  # fmt: skip


def test_the_batch_price_is_half_the_live_price_of_every_decision(tenancy):
    claude = _provider(tenancy.org_a, "anthropic", "claude-sonnet-4-5")

    estimate = run_estimate(scenario=_meeting(tenancy, claude), replicates=3)

    live, batch = estimate["cost_usd"], estimate["batch_cost_usd"]
    assert live["expected"] > 0
    for bound in ("low", "expected", "high"):
        assert batch[bound] == pytest.approx(live[bound] * HALF)
    assert any("Message Batches" in note and "batch price applies" not in note for note in estimate["notes"])
    claude.message_batches = True
    claude.save()
    assert any(
        "batch price applies" in note for note in run_estimate(scenario=_meeting(tenancy, claude))["notes"]
    )


def test_a_provider_without_a_batch_api_has_no_batch_price(tenancy):
    server = _provider(tenancy.org_a, "openai_compat", "gpt-4o-mini")

    estimate = run_estimate(scenario=_meeting(tenancy, server))

    assert estimate["cost_usd"]["expected"] > 0 and estimate["batch_cost_usd"] is None


def _money(cell: str) -> float:
    return float(re.sub(r"[^\d.]", "", cell))


def test_the_builder_shows_both_prices_and_the_api_returns_both(member_client, tenancy, member_api):
    claude = _provider(tenancy.org_a, "anthropic", "claude-haiku-4-5")
    scenario = _meeting(tenancy, claude)
    form = {
        "mode": "run", "name": "Board", "panel": scenario.panel_id, "format": "roundtable",
        "agenda": "Approve the ad", "steps": 6, "minutes_per_step": 60, "recommender": "mix",
        "feed_size": 5, "memory_tokens": 120, "provider": claude.pk, "seed": 7, "budget_usd": "",
        "replicates": 1, "stimuli-TOTAL_FORMS": 0, "stimuli-INITIAL_FORMS": 0,
        "stimuli-MIN_NUM_FORMS": 0, "stimuli-MAX_NUM_FORMS": 20,
    }  # fmt: skip

    html = member_client.post(reverse("scenario_estimate"), form, HTTP_HX_REQUEST="true").content.decode()
    api = member_api.post(f"/api/v1/scenarios/{scenario.pk}/estimate/", {}, format="json").json()

    live = _money(re.search(r'id="estimate-cost">([^<]+)<', html).group(1))
    batch = _money(re.search(r'id="estimate-batch-cost">([^<]+)<', html).group(1))
    assert "Cost through Message Batches" in html and live > 0
    assert batch == pytest.approx(live * HALF, rel=0.05, abs=0.006)  # both rounded to the cent
    assert api["batch_cost_usd"]["expected"] == pytest.approx(api["cost_usd"]["expected"] * HALF)


def test_a_model_without_a_known_price_is_not_shown_as_free(tenancy):
    dated = run_estimate(
        scenario=_meeting(tenancy, _provider(tenancy.org_a, "anthropic", "claude-haiku-4-5-20251001"))
    )
    assert (
        dated["priced"] and dated["cost_usd"]["expected"] > 0
    )  # a dated snapshot costs what its alias costs
    local = run_estimate(scenario=_meeting(tenancy, _provider(tenancy.org_a, "openai_compat", "my-finetune")))
    assert not local["priced"] and local["cost_usd"]["expected"] == 0
    assert any("no list price for my-finetune" in note for note in local["notes"])


def test_a_rules_run_says_nothing_of_an_unknown_price(tenancy):
    provider = _provider(tenancy.org_a, "openai_compat", "my-finetune")
    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=make_panel(tenancy.org_a, size=4),
        name="Rules", steps=2, provider=provider, policy="rules",
        stimuli=[{"text": "An ad", "author_handle": "brand"}],
    )  # fmt: skip
    estimate = run_estimate(scenario=scenario)
    assert not estimate["priced"] and not any("no list price" in note for note in estimate["notes"])
