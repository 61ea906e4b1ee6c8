"""The report page: a Peloton-like run reads as high risk with an accusation theme, and every
report says when not to trust it. Charts come as JSON for static/js/charts.js (no inline code)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from tests.factories import ScenarioFactory
from tests.support import peloton
from tests.support.run_rows import make_panel, store_fixture


@pytest.fixture
def peloton_run(org_a):
    panel, personas = make_panel(org_a)
    scenario = ScenarioFactory(organization=org_a, panel=panel, name="Holiday ad")
    return store_fixture(
        peloton.backlash_run(), scenario, personas, reproducibility={"provider": "anthropic"}
    )


def test_peloton_like_run_shows_high_risk_and_accusations(peloton_run, viewer_client):
    response = viewer_client.get(reverse("run_report", kwargs={"run_id": peloton_run.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    level = re.search(r'<span class="badge badge-(\w+)" id="risk-level">', page).group(1)
    assert level in ("high", "severe")
    accusations = page.split('id="accusations"')[1].split("</section>")[0]
    assert "badge-accusation" in accusations and "sexist" in accusations
    assert "hostage" in accusations  # the jokes are first-class too
    assert "When not to trust this run" in page and "Not checked against real behaviour" in page
    assert "<svg" in page and 'class="node node-root' in page


def test_charts_are_json_for_the_static_script_and_nothing_is_inline(peloton_run, viewer_client):
    page = viewer_client.get(reverse("run_report", kwargs={"run_id": peloton_run.pk})).content.decode()
    canvases = re.findall(r'data-chart="([\w-]+)"', page)
    assert {"chart-steps", "chart-sentiment", "chart-themes", "chart-segment", "chart-cascade-0"} <= set(
        canvases
    )
    for chart_id in canvases:
        blob = re.search(
            rf'<script id="{chart_id}" type="application/json">(.*?)</script>', page, re.DOTALL
        ).group(1)
        config = json.loads(blob)
        assert config["type"] and config["data"]["datasets"]
    steps = json.loads(
        re.search(r'<script id="chart-steps" type="application/json">(.*?)</script>', page).group(1)
    )
    impressions = next(d for d in steps["data"]["datasets"] if d["label"] == "Impressions")
    assert impressions["data"] == [40] * 5
    assert " style=" not in page
    assert all("src=" in tag for tag in re.findall(r"<script(?![^>]*application/json)[^>]*>", page))
    assert "js/charts.js" in page and "vendor/chart.umd.min.js" in page


def test_segments_can_be_split_by_any_trait(peloton_run, viewer_client):
    url = reverse("run_report", kwargs={"run_id": peloton_run.pk})
    page = viewer_client.get(url, {"trait": "gender"}).content.decode()
    segments = page.split('id="segments"')[1].split("</section>")[0]
    assert "female" in segments and "male" in segments
    page = viewer_client.get(url, {"trait": "age_group"}).content.decode()
    assert "65+" in page.split('id="segments"')[1].split("</section>")[0]


def test_every_report_carries_honesty_notes(peloton_run, viewer_client):
    peloton_run.reproducibility = {"provider": "baseline"}
    peloton_run.save()
    page = viewer_client.get(reverse("run_report", kwargs={"run_id": peloton_run.pk})).content.decode()
    trust = page.split('id="trust"')[1].split("</section>")[0]
    assert "Rule baseline, not a language model" in trust
    assert 'id="diagnostics"' in page


def test_a_run_nobody_answered_says_there_is_nothing_to_read(org_a, viewer_client):
    panel, personas = make_panel(org_a)
    scenario = ScenarioFactory(organization=org_a, panel=panel, name="Quiet ad")
    fixture = peloton.build_run(peloton.AD_TEXT, replies=[], quotes=[], reposts=0, likes_on_stimulus=3)
    run = store_fixture(fixture, scenario, personas)
    page = viewer_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    trust = page.split('id="trust"')[1].split("</section>")[0]
    assert "No responses." in trust and "Nobody replied to or quoted the stimulus" in trust
    assert "Few responses" not in trust and 'id="risk-level">not enough data (n=0)<' in page
    api = viewer_client.get(reverse("api_run_report", kwargs={"run_id": run.pk})).json()["backlash"]
    assert (api["level"], api["label"]) == ("not_enough_data", "not enough data (n=0)")


def test_report_pages_accept_only_get(peloton_run, member_client):
    response = member_client.post(reverse("run_report", kwargs={"run_id": peloton_run.pk}))
    assert response.status_code == 405


def test_report_api_returns_the_json(peloton_run, api_token_for, api_client_for, org_a):
    client = api_client_for(api_token_for(org_a, role="viewer").raw_token)
    response = client.get(reverse("api_run_report", kwargs={"run_id": peloton_run.pk}))
    assert response.status_code == 200
    data = response.json()
    assert data["backlash"]["level"] in ("high", "severe")
    assert data["trust"]["level"] in ("caution", "warning") and data["trust"]["notes"]
    assert any(t["is_accusation"] for t in data["themes"]["themes"])


def test_the_link_to_the_room_reads_as_a_link_not_a_status(peloton_run, viewer_client):
    page = viewer_client.get(reverse("run_report", kwargs={"run_id": peloton_run.pk})).content.decode()
    assert peloton_run.status == "completed"
    assert "open the run room</a>" in page and "live view" not in page
    assert "Not enough data:</strong> this panel has no completed backtest" in page
