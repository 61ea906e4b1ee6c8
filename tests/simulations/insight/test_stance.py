"""Stance over time end to end: a deliberation run stores its polls and reports the shift by party;
a feed run is polled at its checkpoints; every stance URL is the owner's only; the command works."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from personas.models import Panel, Persona
from simulations.models import Policy, RunStatus, Scenario, StanceReading
from simulations.runs.services import run_start
from simulations.scenarios.services import scenario_create
from tests.support.runs import drive, make_panel

PARTIES = ("Democrat", "Republican", "Independent")
IDEOLOGY = {"Democrat": "liberal", "Republican": "conservative", "Independent": "moderate"}
QUESTION = "Should the minimum wage rise to $15?"


def political_panel(organization, size: int = 12, source: str | None = None) -> Panel:
    panel = make_panel(organization, size=size, name="Voters")
    for index, persona in enumerate(Persona.unscoped.filter(panel_memberships__panel=panel).order_by("pk")):
        party = PARTIES[index % 3]
        persona.traits = {
            "party": party,
            "ideology": IDEOLOGY[party],
            "age_group": "30-44" if index % 2 else "65+",
        }
        persona.save(update_fields=["traits"])
    if source:
        Panel.unscoped.filter(pk=panel.pk).update(settings={"source": source})
    return panel


@pytest.fixture
def deliberation_run(tenancy):
    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=political_panel(tenancy.org_a, source="anes96"),
        name="Town hall", format=Scenario.Format.DELIBERATION, steps=5, policy=Policy.RULES,
        deliberation={"question": QUESTION, "briefing": "Costs and benefits.", "group_size": 4},
    )  # fmt: skip
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
    assert run.status == RunStatus.COMPLETED
    return run


def test_deliberation_stores_poll_and_repoll_and_reports_shift_by_party(deliberation_run, owner_client):
    readings = StanceReading.objects.filter(run=deliberation_run)
    assert sorted(set(readings.values_list("step", "kind"))) == [(0, "poll"), (4, "repoll")]
    assert readings.count() == 24 and set(readings.values_list("source", flat=True)) == {"rule"}
    assert all(r.persona_id is not None for r in readings)
    response = owner_client.get(reverse("api_run_stance", kwargs={"run_id": deliberation_run.pk}))
    assert response.status_code == 200
    report = response.json()
    assert report["available"] and report["question"] == QUESTION and report["steps"] == [0, 4]
    shifts = {shift["field"]: shift["rows"] for shift in report["shifts"]}
    assert list(shifts) == ["party", "ideology", "age_group"]
    by_party = {row["segment"]: row for row in shifts["party"]}
    assert {by_party[p]["n"] for p in PARTIES} == {4}
    first = {r.agent_key: r.value for r in readings if r.step == 0}
    last = {r.agent_key: r.value for r in readings if r.step == 4}
    dems = [k for k in first if Persona.unscoped.get(pk=int(k)).traits["party"] == "Democrat"]
    assert by_party["Democrat"]["mean"] == pytest.approx(sum(last[k] - first[k] for k in dems) / len(dems))
    assert by_party["Democrat"]["before"] > by_party["Republican"]["before"]  # the question leans left
    assert len(report["over_time"]) == 2
    honesty = report["honesty"]
    assert honesty["available"] and honesty["spread"]["reference_n"] > 900  # ANES 1996 respondents
    assert honesty["spread"]["n"] == 12 and not honesty["spread"]["collapsed"]  # rule stances keep the spread
    room = owner_client.get(reverse("run_detail", kwargs={"run_id": deliberation_run.pk}))
    assert room.status_code == 200 and "Group 1. Briefing: Costs and benefits." in room.content.decode()
    page = owner_client.get(reverse("run_report", kwargs={"run_id": deliberation_run.pk})).content.decode()
    assert 'id="stance-shift-party"' in page and "Democrat" in page and 'id="stance-rule"' in page


def test_feed_run_is_polled_at_start_every_k_steps_and_end(tenancy, owner_client):
    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=political_panel(tenancy.org_a, size=6),
        name="Feed with polls", steps=4, policy=Policy.RULES,
        stimuli=[{"text": "Raise the minimum wage now!", "author_handle": "campaign", "boost": 0.5}],
        stance_polls={"question": QUESTION, "every": 2},
    )  # fmt: skip
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
    url = reverse("api_run_stance_poll", kwargs={"run_id": run.pk})
    response = owner_client.post(url)
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 18, "failed": 0}
    steps = sorted(set(StanceReading.objects.filter(run=run).values_list("step", flat=True)))
    assert steps == [0, 2, 4]
    assert owner_client.post(url).json() == {"stored": 0, "failed": 0}  # read checkpoints are kept


def test_scenario_validation_of_stance_settings(tenancy):
    from simnet.tenancy.errors import ApplicationError

    panel = political_panel(tenancy.org_a, size=4)
    with pytest.raises(ApplicationError) as missing:
        scenario_create(
            organization=tenancy.org_a, actor=tenancy.member, panel=panel, name="x",
            format=Scenario.Format.DELIBERATION, steps=5, deliberation={"briefing": "no question"},
        )  # fmt: skip
    assert "question" in missing.value.fields["deliberation"][0]
    with pytest.raises(ApplicationError) as every:
        scenario_create(
            organization=tenancy.org_a, actor=tenancy.member, panel=panel, name="x", steps=5,
            stimuli=[{"text": "post"}], stance_polls={"question": QUESTION, "every": 0},
        )  # fmt: skip
    assert "every" in every.value.fields["stance_polls"][0]


@pytest.mark.parametrize(
    "name", ["api_run_stance", "api_run_stance_readings", "api_run_stance_poll", "run_stance"]
)
def test_stance_urls_are_the_owners_only(
    name, deliberation_run, tenancy, client_for, api_token_for, api_client_for
):
    url = reverse(name, kwargs={"run_id": deliberation_run.pk})
    method = "post" if name.endswith("poll") else "get"
    if url.startswith("/api/"):
        outsider = api_client_for(api_token_for(tenancy.org_b, role="admin").raw_token)
        owner = api_client_for(api_token_for(tenancy.org_a, role="member").raw_token)
    else:
        outsider, owner = client_for(tenancy.outsider), client_for(tenancy.owner)
    for verb in ("get", "post"):
        assert getattr(outsider, verb)(url).status_code == 404
    answer = getattr(owner, method)(url)
    if name == "api_run_stance_poll":  # a deliberation polls itself: a business-rule error, not a 404
        assert answer.status_code == 400 and "polls its members itself" in answer.content.decode()
    else:
        assert answer.status_code == 200
        assert QUESTION in answer.content.decode() or name == "api_run_stance_readings"
    if name == "api_run_stance_readings":
        assert answer.json()["count"] == len(answer.json()["results"]) == 24


def test_command_runs_a_deliberation_and_prints_shift_by_party(tenancy, capsys):
    panel = political_panel(tenancy.org_a, size=9)
    call_command(
        "stance", "deliberate", "--org", tenancy.org_a.slug, "--panel", str(panel.pk), "--question", QUESTION,
        "--steps", "4", "--group-size", "3", "--rules",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "completed, 4 of 4 steps" in out
    assert "Shift by party:" in out and "Democrat" in out and "Republican" in out


class EveryoneNeutral:
    """A model that answers every poll 0 and passes in discussion: opinion collapsed to one point."""

    name, model = "fake", "fake-1"

    def generate(self, requests):
        from simnet.llm.base import LLMResponse

        out = []
        for request in requests:
            poll = "stance" in request.schema["properties"]
            data = (
                {"stance": "0", "sentence": "I am not sure."}
                if poll
                else {"action": "pass", "target": None, "text": None, "reason": "listening"}
            )
            out.append(LLMResponse(request.key, json.dumps(data), data=data))
        return out


def everyone_neutral() -> EveryoneNeutral:
    return EveryoneNeutral()


def test_report_flags_variance_collapse_against_the_survey(tenancy, settings, owner_client):
    from simnet.providers.models import ProviderConfig

    settings.SIMNET_TEST_PROVIDER_KINDS = {"fake": f"{__name__}.everyone_neutral"}
    provider = ProviderConfig.objects.create(
        organization=tenancy.org_a, name="fake", kind="fake", model="fake-1"
    )
    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=political_panel(tenancy.org_a, source="anes96"),
        name="Collapsed", format=Scenario.Format.DELIBERATION, steps=3, policy=Policy.LLM, provider=provider,
        deliberation={"question": QUESTION, "group_size": 3},
    )  # fmt: skip
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
    assert set(StanceReading.objects.filter(run=run).values_list("source", flat=True)) == {"model"}
    spread = owner_client.get(reverse("api_run_stance", kwargs={"run_id": run.pk})).json()["honesty"][
        "spread"
    ]
    assert spread["collapsed"] and spread["simulated_sd"] == 0.0 and spread["reference_sd"] > 1.0
    page = owner_client.get(reverse("run_stance", kwargs={"run_id": run.pk})).content.decode()
    assert "Variance collapse:" in page and "n = 12" in page


class PaidPollster:
    """A hosted model's bill for each poll answer: what the run must be charged."""

    name, model = "anthropic", "claude-test"

    def generate(self, requests):
        from simnet.llm.base import LLMResponse, Usage

        usage = Usage(input_tokens=100, output_tokens=20, cost_usd=0.001)
        data = {"stance": "+1", "sentence": "I lean in favour."}
        return [LLMResponse(r.key, json.dumps(data), data=data, usage=usage) for r in requests]


def test_checkpoint_polls_are_charged_to_the_run(tenancy):
    from simulations.runs.stance_readings import poll_run

    scenario = scenario_create(
        organization=tenancy.org_a, actor=tenancy.member, panel=political_panel(tenancy.org_a, size=6),
        name="Paid polls", steps=2, policy=Policy.RULES,
        stimuli=[{"text": "Raise the minimum wage now!", "author_handle": "campaign"}],
        stance_polls={"question": QUESTION, "every": 1},
    )  # fmt: skip
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=scenario)[0])
    before = (run.llm_calls, run.cost_usd)
    assert poll_run(run, provider=PaidPollster()) == {"stored": 18, "failed": 0}  # 6 personas x steps 0, 1, 2
    run.refresh_from_db()
    assert run.llm_calls - before[0] == 18 and run.output_tokens >= 18 * 20
    assert float(run.cost_usd - before[1]) == pytest.approx(0.018)
