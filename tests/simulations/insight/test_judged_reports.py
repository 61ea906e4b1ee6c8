"""Runs on a hosted language model get their replies judged by that model; the others by VADER.

The provider is replaced by a table-driven judge (no network): the point is the wiring, what
the report records about its classifier, what the run is charged and what happens on failure.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from simnet.llm.base import LLMResponse, QuotaExceeded, Usage
from simnet.llm.wrappers import CachingProvider, InMemoryDecisionStore
from simnet.providers.models import ProviderConfig
from simulations.analysis.sentiment import Sentiment, Stance
from simulations.insight import reports
from simulations.models import Run
from tests.factories import ScenarioFactory
from tests.support import peloton
from tests.support.run_rows import make_panel, store_fixture


class EveryReplyOpposes:
    """A judge that calls every text negative and opposed, and costs a tenth of a cent a call."""

    name, model = "openai_compat", "judge-1"

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, requests):
        self.calls += len(requests)
        usage = Usage(input_tokens=120, output_tokens=12, cost_usd=0.001)
        data = {"sentiment": "negative", "stance": "oppose"}
        return [LLMResponse(r.key, str(data), data=data, usage=usage) for r in requests]


@pytest.fixture
def judge(monkeypatch):
    """Every provider the reports build is this judge behind an in-memory decision cache."""
    inner = EveryReplyOpposes()
    cached = CachingProvider(inner, InMemoryDecisionStore())
    monkeypatch.setattr(reports, "provider_for", lambda config, organization_id: cached)
    return inner


def _run(org, kind: str | None, status: str = "completed") -> Run:
    panel, personas = make_panel(org)
    provider = None
    if kind is not None:
        provider = ProviderConfig.objects.create(organization=org, name=kind, kind=kind, model="judge-1")
    scenario = ScenarioFactory(organization=org, panel=panel, provider=provider, name="Holiday ad")
    return store_fixture(peloton.backlash_run(), scenario, personas, status=status)


def test_a_hosted_models_final_report_is_judged_by_it_and_charged_to_the_run(org_a, judge, viewer_client):
    run = _run(org_a, ProviderConfig.Kind.OPENAI_COMPAT)
    data = reports.run_report_data(run)
    responses = data["responses"]
    assert responses and all(r["sentiment"] == Sentiment.NEGATIVE for r in responses)
    assert all(r["stance"] == Stance.OPPOSE for r in responses)
    classifier = data["meta"]["classifier"]
    assert classifier == {
        "kind": "llm", "name": "judge-1", "judged": len(responses), "fallbacks": 0,
        "calls": judge.calls, "cost_usd": pytest.approx(0.001 * judge.calls),
    }  # fmt: skip
    assert judge.calls == len({r["text"] for r in responses})  # one paid call per distinct text
    run.refresh_from_db()
    assert run.llm_calls == judge.calls and run.cost_usd == Decimal("0.001") * judge.calls
    assert any(n["title"] == "Sentiment judged by a language model" for n in data["trust"]["notes"])

    html = viewer_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    assert "Tone and stance judged by the language model judge-1" in html
    assert judge.calls == len({r["text"] for r in responses})  # the page read the stored report
    reports.run_report_data(run, rebuild=True)  # a rebuild asks again, and the cache answers
    run.refresh_from_db()
    assert run.llm_calls == judge.calls


def test_offline_baseline_and_live_reports_are_labelled_by_vader(org_a, judge):
    for kind, status in ((None, "completed"), (ProviderConfig.Kind.BASELINE, "completed"),
                         (ProviderConfig.Kind.ANTHROPIC, "running")):  # fmt: skip
        data = reports.run_report_data(_run(org_a, kind, status=status))
        assert data["meta"]["classifier"]["kind"] == "lexicon"
        assert any(r["sentiment"] == Sentiment.POSITIVE for r in data["responses"])
    assert judge.calls == 0


def test_a_failing_judge_leaves_vaders_labels_and_says_so(org_a, monkeypatch):
    class NoCredit:
        name, model = "anthropic", "claude"

        def generate(self, requests):
            raise QuotaExceeded("the account has no credit left.")

    monkeypatch.setattr(reports, "provider_for", lambda config, organization_id: NoCredit())
    run = _run(org_a, ProviderConfig.Kind.ANTHROPIC)
    data = reports.run_report_data(run)
    assert data["meta"]["classifier"]["kind"] == "lexicon"
    assert data["meta"]["classifier"]["judge_error"] == "the account has no credit left."
    note = next(n for n in data["trust"]["notes"] if n["title"] == "Language-model judge failed")
    assert note["level"] == "caution" and "misses sarcasm" in note["text"]
    run.refresh_from_db()
    assert run.cost_usd == 0


def test_the_page_lists_every_labelled_reply_with_its_reasons(org_a, viewer_client):
    run = _run(org_a, None)
    data = reports.run_report_data(run)
    html = viewer_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    assert f"Every reply and quote, labelled ({len(data['responses'])})" in html
    assert "Tone by VADER with a backlash vocabulary" in html
    assert "accusation cue: sexist" in html
