"""A hosted model's narrative of a finished run, end to end: the organization's provider config
pointed at a loopback server that speaks the Anthropic Messages or OpenAI chat-completions
protocol, the product's own clients, the run's real rows behind the tools, the citation check,
the charge to the run, the page, the API and the command."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from simnet.providers.models import ProviderConfig
from simnet.providers.spend import monthly_spend
from simnet.tenancy.errors import ApplicationError
from simulations import tasks
from simulations.insight import narratives, reports
from simulations.models import Interview, NarrativeReport, Run, RunPost
from tests.factories import ScenarioFactory
from tests.support import llm_shapes as shapes
from tests.support import peloton
from tests.support.http_loopback import LoopbackServer, Reply
from tests.support.run_rows import make_panel, store_fixture

MESSAGES = "/v1/messages"
COMPLETIONS = "/v1/chat/completions"


@pytest.fixture
def loopback():
    server = LoopbackServer().start()
    yield server
    server.stop()


@pytest.fixture
def hosted(settings, loopback, tenancy):
    """A factory of org A's hosted configs whose server is the loopback."""
    settings.PRODUCTION = False  # the loopback stands in for the customer's server
    settings.ANTHROPIC_API_KEY = "sk-test"

    def make(kind: str) -> ProviderConfig:
        model, url = (
            ("claude-haiku-4-5", loopback.url)
            if kind == "anthropic"
            else ("gpt-4o-mini", f"{loopback.url}/v1")
        )
        return ProviderConfig.objects.create(
            organization=tenancy.org_a, name=kind, kind=kind, model=model, base_url=url, is_default=True
        )

    return make


def anthropic_calls(*calls: tuple[str, str, dict]) -> dict:
    blocks = [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in calls]
    return shapes.anthropic_message(blocks, stop_reason="tool_use")


def openai_calls(*calls: tuple[str, str, dict]) -> dict:
    body = shapes.chat_completion("", finish_reason="tool_calls")
    message = body["choices"][0]["message"]
    message["content"] = None
    message["tool_calls"] = [
        {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, n, a in calls
    ]
    return body


def _stimulus(run: Run) -> RunPost:
    return RunPost.objects.filter(run=run, is_stimulus=True).order_by("step", "id").first()


def _results(body: dict, protocol: str) -> dict[str, str]:
    """The tool results a request carried back to the model, by call id."""
    if protocol == "anthropic":
        return {
            block["tool_use_id"]: block["content"]
            for message in body["messages"] if message["role"] == "user"
            for block in message["content"] if block["type"] == "tool_result"
        }  # fmt: skip
    return {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"}


@pytest.fixture
def backlash_run(tenancy) -> Run:
    """A finished feed run with replies and quotes under its stimulus (stored rows, no world)."""
    panel, personas = make_panel(tenancy.org_a)
    scenario = ScenarioFactory(organization=tenancy.org_a, panel=panel, provider=None, name="Holiday ad")
    return store_fixture(peloton.backlash_run(), scenario, personas)


@pytest.mark.parametrize("protocol", ["anthropic", "openai"])
def test_the_model_reads_the_real_run_and_an_invented_citation_is_dropped(
    protocol, backlash_run, hosted, loopback, tenancy, member_client
):
    run, stimulus = backlash_run, _stimulus(backlash_run)
    thread = list(RunPost.objects.filter(run=run, root_key=stimulus.post_key))
    sexist = list(RunPost.objects.filter(run=run, kind__in=("reply", "quote"), text__icontains="sexist"))
    assert thread and sexist  # the fixture has both, or the assertions below prove nothing
    calls = [
        ("c1", "get_metrics", {}),
        ("c2", "list_threads", {"root_key": stimulus.post_key}),
        ("c3", "search_quotes", {"contains": "sexist", "limit": 40}),
    ]
    final = f"The ad drew accusations [post:{sexist[0].post_key}] under it [post:{stimulus.post_key}] [post:p9999]."
    if protocol == "anthropic":
        config, path = hosted("anthropic"), MESSAGES
        loopback.script(path, Reply(200, anthropic_calls(*calls)), Reply(200, shapes.anthropic_text(final)))
    else:
        config, path = hosted("openai_compat"), COMPLETIONS
        loopback.script(path, Reply(200, openai_calls(*calls)), Reply(200, shapes.chat_completion(final)))

    narrative = narratives.narrative_create(
        organization=tenancy.org_a, actor=tenancy.member, run=run, enqueue=False
    )
    assert narrative.provider_config == config  # the organization's hosted model, by default
    narrative = narratives.narrative_execute(narrative_id=narrative.pk)

    results = _results(loopback.requests_to(path)[1].body, protocol)
    metrics = json.loads(results["c1"])
    report = reports.run_report_data(run)
    assert metrics["totals"] == {k: v for k, v in report["totals"].items() if k != "step"}
    assert metrics["backlash"]["label"] == report["backlash"]["label"]
    assert metrics["stimuli"][0]["post_key"] == stimulus.post_key
    for post in [stimulus, *thread]:
        assert f"[{post.post_key}] @{post.author_handle} {post.kind}" in results["c2"]
    assert sorted(line.split("]")[0][1:] for line in results["c3"].splitlines()) == sorted(
        p.post_key for p in sexist
    )

    assert narrative.status == NarrativeReport.Status.COMPLETED
    assert "p9999" not in narrative.text and narrative.text.endswith(f"under it [post:{stimulus.post_key}].")
    assert [c["post_key"] for c in narrative.citations] == [sexist[0].post_key, stimulus.post_key]
    assert narrative.citations[0]["text"] == sexist[0].text
    assert narrative.dropped_citations == ["p9999"]
    assert [c["name"] for c in narrative.tool_calls] == ["get_metrics", "list_threads", "search_quotes"]
    run.refresh_from_db()
    assert narrative.cost_usd > 0 and run.cost_usd == narrative.cost_usd  # charged where the run's costs go

    html = member_client.get(reverse("run_report", kwargs={"run_id": run.pk})).content.decode()
    assert "model-written" in html and 'id="engagement"' in html  # beside the statistical report
    assert f'href="/simulations/{run.pk}/#post-{stimulus.post_key}"' in html
    assert "1 citation named no post of this run (p9999) and was removed." in html
    assert f"Written by {narrative.provider_label}" in html and "search_quotes" in html


def test_an_interview_goes_through_the_runs_own_interview_path(finished_run, hosted, loopback, tenancy):
    """The agent answers through the run's provider (the fake one here), stored like any interview,
    and the model receives that answer."""
    hosted("anthropic")
    handle = RunPost.objects.filter(run=finished_run, persona__isnull=False).first().author_handle
    loopback.script(
        MESSAGES,
        Reply(200, anthropic_calls(("c1", "interview_agent", {"handle": handle, "question": "Why?"}))),
        Reply(200, shapes.anthropic_text("It was dull.")),
    )
    narrative = narratives.narrative_create(
        organization=tenancy.org_a, actor=tenancy.member, run=finished_run, enqueue=False
    )
    narratives.narrative_execute(narrative_id=narrative.pk)
    interview = Interview.objects.get(run=finished_run)
    assert interview.question == "Why?" and interview.handle == handle and interview.answer
    results = _results(loopback.requests_to(MESSAGES)[1].body, "anthropic")
    assert results["c1"].endswith(interview.answer) and f"@{handle}" in results["c1"]


def test_the_round_bound_fails_a_looping_model_and_still_charges_the_run(
    backlash_run, hosted, loopback, tenancy
):
    hosted("openai_compat")
    loopback.script(COMPLETIONS, Reply(200, openai_calls(("c", "get_metrics", {}))))
    narrative = narratives.narrative_create(
        organization=tenancy.org_a, actor=tenancy.member, run=backlash_run, enqueue=False
    )
    narrative = narratives.narrative_execute(narrative_id=narrative.pk, max_rounds=2)
    assert len(loopback.requests_to(COMPLETIONS)) == 3
    assert narrative.status == NarrativeReport.Status.FAILED and narrative.rounds == 2
    assert "still calling tools after 2 rounds" in narrative.status_reason
    backlash_run.refresh_from_db()
    assert narrative.cost_usd > 0 and backlash_run.cost_usd == narrative.cost_usd
    assert monthly_spend(tenancy.org_a) == narrative.cost_usd  # the month's spend sees it through the run


def test_a_spent_budget_refuses_a_narrative_before_anything_is_asked(backlash_run, hosted, loopback, tenancy):
    hosted("anthropic")
    tenancy.org_a.monthly_budget_usd = Decimal(0)
    tenancy.org_a.save()
    with pytest.raises(ApplicationError) as refused:
        narratives.narrative_create(organization=tenancy.org_a, actor=tenancy.member, run=backlash_run)
    assert refused.value.status == 402 and refused.value.code == "quota_exceeded"
    assert loopback.requests == [] and not NarrativeReport.unscoped.exists()


def test_a_narrative_without_valid_citations_says_so(backlash_run, hosted, loopback, tenancy, member_client):
    hosted("anthropic")
    loopback.script(MESSAGES, Reply(200, shapes.anthropic_text("Everyone loved it [post:nope].")))
    call_command("narrate_run", str(backlash_run.pk))  # the command, in this process
    narrative = NarrativeReport.objects.get(run=backlash_run)
    assert narrative.citations == [] and narrative.dropped_citations == ["nope"]
    html = member_client.get(reverse("run_report", kwargs={"run_id": backlash_run.pk})).content.decode()
    assert "This narrative cites no post of the run." in html


def test_offline_the_page_says_a_narrative_needs_a_hosted_model(
    backlash_run, tenancy, member_client, api_token_for, api_client_for
):
    html = member_client.get(reverse("run_report", kwargs={"run_id": backlash_run.pk})).content.decode()
    assert "A narrative needs a hosted model." in html
    assert 'id="engagement"' in html and 'id="sentiment"' in html  # the statistical report stays
    api = api_client_for(api_token_for(tenancy.org_a).raw_token)
    answer = api.post(f"/api/v1/runs/{backlash_run.pk}/narratives/", {}, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "hosted_model_required"
    assert not NarrativeReport.unscoped.exists()


def test_the_api_and_the_page_create_and_read_for_members_and_hide_everything_from_an_outsider(
    backlash_run, hosted, loopback, tenancy, token_client, api_token_for, api_client_for, member_client,
    outsider_client, django_capture_on_commit_callbacks, monkeypatch,
):  # fmt: skip
    config = hosted("anthropic")
    queued = []
    monkeypatch.setattr(narratives, "async_task", lambda *args, **kwargs: queued.append(args))
    base = f"/api/v1/runs/{backlash_run.pk}/narratives/"
    assert token_client("viewer").post(base, {}, format="json").status_code == 403  # viewers only read
    member = token_client("member")
    with django_capture_on_commit_callbacks(execute=True):
        created = member.post(base, {"question": "Will it backfire?"}, format="json")
    assert created.status_code == 202 and created.json()["model_written"] is True
    narrative_id = created.json()["id"]
    assert queued == [("simulations.tasks.write_narrative", narrative_id)]
    section = reverse("run_narrative", kwargs={"run_id": backlash_run.pk})
    page = member_client.get(section)
    assert page.status_code == 200 and 'hx-trigger="every 3s"' in page.content.decode()  # polls while queued

    stimulus = _stimulus(backlash_run)
    loopback.script(MESSAGES, Reply(200, shapes.anthropic_text(f"It will [post:{stimulus.post_key}].")))
    assert tasks.write_narrative(narrative_id) == "completed"  # the queued task, ids only
    assert tasks.write_narrative(narrative_id) == "completed"  # redelivered: not written (nor paid) twice
    assert len(loopback.requests_to(MESSAGES)) == 1
    read = member.get(f"{base}{narrative_id}/").json()
    assert read["question"] == "Will it backfire?" and read["citations"][0]["post_key"] == stimulus.post_key
    assert "Will it backfire?" in loopback.requests_to(MESSAGES)[0].body["messages"][0]["content"][0]["text"]
    assert [n["id"] for n in member.get(base).json()["results"]] == [narrative_id]
    page = member_client.get(section).content.decode()
    assert "every 3s" not in page and f"#post-{stimulus.post_key}" in page

    create_page = reverse("run_narrative_create", kwargs={"run_id": backlash_run.pk})
    with django_capture_on_commit_callbacks(execute=True):
        posted = member_client.post(create_page, {"provider": str(config.pk), "question": ""})
    assert posted.status_code == 302 and posted["Location"].endswith("/report/#narrative")
    assert len(queued) == 2 and NarrativeReport.unscoped.count() == 2

    outsider = api_client_for(api_token_for(tenancy.org_b).raw_token)
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}{narrative_id}/").status_code == 404
    assert outsider.post(base, {}, format="json").status_code == 404
    assert outsider_client.get(section).status_code == 404
    assert outsider_client.post(create_page, {"provider": str(config.pk)}).status_code == 404
    assert NarrativeReport.unscoped.count() == 2
