"""Honest backtests on small generated panels: one cut-off, references, intervals, warnings, calibration."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from personas.models import SourceAccount
from simnet.llm.base import LLMResponse
from simnet.tenancy.actors import SYSTEM
from simnet.tenancy.errors import ApplicationError
from simulations.analysis.honest import Table
from simulations.insight import backtests
from simulations.insight.backtest_reactions import labelled_pairs, run_reaction_backtest
from simulations.learning.exposures import training_set
from simulations.runs import persistence
from simulations.runs.policy import panel_history
from simulations.runs.services import run_start
from tests.support.generated_panels import brand_panel, community_panel


@pytest.fixture
def community(org_a):
    return community_panel(org_a, personas=30, threads=20)


@pytest.fixture
def brand(org_a):
    return brand_panel(org_a, posts=600)


def _run(panel, **kwargs):
    backtest = backtests.backtest_create(
        organization=panel.organization,
        actor=SYSTEM,
        enqueue=False,
        panel=panel,
        provider_kind="baseline",
        **kwargs,
    )
    backtest = backtests.backtest_execute(backtest_id=backtest.pk)
    assert backtest.status == "completed", backtest.status_reason
    return backtest


def test_single_account_engagement_scores(brand):
    account = SourceAccount.objects.get(organization=brand.organization, handle="demo_brand")
    result = _run(brand, mode="engagement", account=account, last_n=60).result
    [table] = [Table.from_dict(t) for t in result["tables"]]
    assert set(table.references) == {
        "history_mean",
        "rolling_mean_20",
        "rolling_mean_200",
        "everyone_ignores",
    }
    forecast = next(r for r in table.rows if r.name == "forecast")
    mae = forecast.cells["likes_mae"].metric
    assert mae.n == 60 and mae.low < mae.value < mae.high
    assert [c["n"] for c in result["coverage"]] == [60] * len(result["coverage"]) and result["coverage"]


def test_engagement_refuses_an_account_without_posts(community):
    account = SourceAccount.objects.filter(organization=community.organization).first()
    with pytest.raises(ApplicationError, match="posts with engagement counts"):
        _run(community, mode="engagement", account=account)


def test_cutoff_labels_all_thread_replies(community):
    history = panel_history(community, held_out=True, limit=20000)
    members = sorted({i.persona for i in history})
    cutoff = sorted(i.record.created_at for i in history if i.record.kind.value == "reply")[-40]
    test = labelled_pairs(history, members, cutoff)
    labelled = {
        (e.persona, e.post_id) for e, a in zip(test.exposures, test.actions, strict=True) if a == "reply"
    }
    later = {
        (i.persona, i.record.target_id)
        for i in history
        if i.record.kind.value == "reply" and i.record.created_at > cutoff
    }
    assert len(later) >= 30 and later <= labelled
    train, actions, _ = training_set(
        [i for i in history if i.record.created_at <= cutoff], members, until=cutoff
    )
    trained = {(e.persona, e.post_id) for e, a in zip(train, actions, strict=True) if a != "ignore"}
    assert not later & trained


def test_result_has_references_ci_warnings_calibration(community):
    result = _run(community, replicates=1).result
    first = Table.from_dict(result["tables"][0])
    assert {"everyone_ignores", "own_rate", "history_mean"} <= set(first.references)
    auc = next(r for r in first.rows if r.name == "hybrid (reaction model)").cells["roc_auc"].metric
    assert auc.low <= auc.value <= auc.high and auc.n > 100
    assert len(result["tables"]) == 3 and "rules" in [r["name"] for r in result["tables"][1]["rows"]]
    assert (
        result["calibration"]["n"] == auc.n
        and sum(b["count"] for b in result["calibration"]["bins"]) == auc.n
    )
    assert result["warnings"] and all({"code", "text"} <= set(w) for w in result["warnings"])


class IgnoresEverything:
    name, model = "ignore", ""

    def generate(self, requests):
        return [LLMResponse(r.key, '{"action": "ignore"}', data={"action": "ignore"}) for r in requests]


def test_ignore_policy_never_beats(community):
    history = panel_history(community, held_out=True, limit=20000)
    outcome = run_reaction_backtest(
        history, persistence.panel_snapshot(community), policies={"ignore": IgnoresEverything()}, max_cases=4
    )
    simulated = outcome.tables[1]
    row = next(r for r in simulated.rows if r.name == "ignore")
    assert simulated.beats_all(row) == () and not any(c.beats for c in row.cells.values())
    assert any(w.code == "degenerate" and "ignore" in w.text for w in simulated.warnings)


def test_command_page_and_api_show_tables_warnings_calibration(
    community, capsys, member_client, api_token_for, api_client_for
):
    call_command(
        "backtest",
        "--org",
        community.organization.slug,
        "--panel",
        str(community.pk),
        "--provider",
        "baseline",
    )
    out = capsys.readouterr().out
    assert (
        "| everyone_ignores | reference |" in out and "Warnings:" in out and "Calibration of p(engage)" in out
    )
    backtest = community.backtests.get()
    page = member_client.get(reverse("backtest_detail", args=[backtest.pk])).content.decode()
    assert 'class="calibration-plot"' in page and 'id="warnings"' in page and ">reference</span>" in page
    client = api_client_for(api_token_for(community.organization, role="member").raw_token)
    detail = client.get(reverse("api_backtest-detail", kwargs={"pk": backtest.pk})).json()
    assert detail["mode"] == "reactions" and detail["result"]["calibration"]["bins"]
    assert detail["result"]["warnings"] and detail["result"]["tables"][0]["rows"][0]["kind"] == "reference"
    response = client.post(
        reverse("api_backtest-list"), {"panel": community.pk, "mode": "engagement"}, format="json"
    )
    assert response.status_code == 400 and "account" in response.json()["error"]["fields"]


def test_the_run_report_shows_the_panels_evidence_or_says_there_is_none(community, member_client, fake_scenario):
    scenario = fake_scenario
    scenario.panel = community
    scenario.save(update_fields=["panel"])
    run = run_start(organization=community.organization, actor=SYSTEM, scenario=scenario)[0]
    url = reverse("run_report", args=[run.pk])
    before = member_client.get(url).content.decode()
    assert "Not enough data:</strong> this panel has no completed backtest" in before
    backtest = _run(community, replicates=1)
    after = member_client.get(url).content.decode()
    assert f"backtest #{backtest.pk}" in after and 'class="calibration-plot"' in after
    assert ">reference</span>" in after and "hybrid (reaction model)" in after

