"""The quality gate in a run: one persona's junk becomes that persona's errors while the run
completes, and what the gate refused reaches the run, the room, the report and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from simnet.llm.base import LLMRequest, LLMResponse
from simnet.llm.testing import FakeProvider
from simnet.llm.wrappers import GateTally
from simnet.providers.models import DecisionCacheEntry
from simulations.engine.decisions import gather_decisions
from simulations.engine.step import plan_step
from simulations.models import Run, RunAction, RunShard, RunStatus, RunStep
from simulations.runs import shards, stepper, worlds
from simulations.runs.persistence import run_gate
from simulations.runs.policy import policy_provider
from simulations.runs.services import run_fork, run_interview, run_start
from tests.support.runs import drive

pytestmark = pytest.mark.django_db

JUNK = "Your own short words:"
JUNK_ANSWER = "You: s1 Posted: Your own You: s2 Posted: …"
GOOD_ANSWER = "I scrolled past the ad, it felt pushy to me."
GENUINE = (  # one a step: repeating one's own earlier post is a copy of the prompt (its memory)
    "Riding to work again today and my legs already hurt, worth it.",
    "Made a huge pot of chilli tonight, the neighbours are getting some.",
    "Rest day. Stretching on the sofa counts, right?",
    "New cookbook arrived and I have already burnt the first recipe.",
)
STEPS = 4


class JunkWriter:
    """The fake provider, except that Person 0 posts junk every time and Person 1 posts junk
    the first time it is asked anything (then genuine words)."""

    name, model = "fake", "fake-1"

    def __init__(self):
        self.inner = FakeProvider()
        self.seen: set[str] = set()

    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        return [self._spoil(r, a) for r, a in zip(requests, self.inner.generate(requests), strict=True)]

    def _spoil(self, request: LLMRequest, answer: LLMResponse) -> LLMResponse:
        if request.schema is None:  # an interview: Person 0 answers with the prompt's labels
            text = JUNK_ANSWER if "Person 0," in request.system else GOOD_ANSWER
            return LLMResponse(answer.key, text, usage=answer.usage)
        if "Person 0," in request.system:
            return _post(answer, JUNK)
        if "Person 1," in request.system:
            first = request.user not in self.seen
            self.seen.add(request.user)
            return _post(answer, JUNK if first else GENUINE[request.situation.step])
        return answer


def _post(answer: LLMResponse, text: str) -> LLMResponse:
    data = {"action": "post", "target": None, "text": text, "reason": "my day"}
    return LLMResponse(answer.key, str(data), data=data, usage=answer.usage)


def junk_writer() -> JunkWriter:
    return JunkWriter()


@pytest.fixture
def junk_run(fake_scenario, tenancy, settings):
    settings.SIMNET_TEST_PROVIDER_KINDS = {"fake": f"{__name__}.junk_writer"}
    run = run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=fake_scenario)[0]
    return drive(run)


def test_one_personas_junk_is_its_own_error_and_the_run_completes_with_the_counts(junk_run):
    assert junk_run.status == RunStatus.COMPLETED and junk_run.next_step == STEPS
    actions = RunAction.objects.filter(run=junk_run)
    spoilt = actions.filter(persona__handle="p0")
    assert spoilt.count() == STEPS and all("quality gate" in a.error for a in spoilt)
    assert not actions.filter(persona__handle="p1", outcome="error").exists()
    assert set(actions.filter(persona__handle="p1").values_list("text", flat=True)) == set(GENUINE)
    assert not actions.exclude(persona__handle="p0").filter(error__contains="quality gate").exists()
    counts = junk_run.quality_gate
    # p0: three refused attempts a step; p1: one refused attempt a step.
    assert counts["by_reason"]["scaffolding"] == STEPS * 3 + STEPS
    assert counts["rejected"] >= STEPS * 4 and counts["checked"] >= counts["rejected"] + STEPS
    gate = run_gate(junk_run)
    assert gate["share"] == round(counts["rejected"] / counts["checked"], 4) and gate["high"]


def test_the_room_the_report_and_the_api_show_the_refused_share(junk_run, member_client, member_api):
    gate = run_gate(junk_run)
    share = f"{gate['rejected']} of {gate['checked']} texts the personas wrote were refused, "
    share += f"{100 * gate['rejected'] / gate['checked']:.1f}%"
    for name in ("run_detail", "run_report"):
        html = member_client.get(reverse(name, args=[junk_run.pk])).content.decode()
        assert 'id="gate-share"' in html and share in html
        assert "Warning: the model wrote much unusable text in this run (more than 10% refused)" in html
        assert "prompt labels left in" in html
    body = member_api.get(f"/api/v1/runs/{junk_run.pk}/").json()
    assert body["gate"] == {k: gate[k] for k in ("checked", "rejected", "share", "high", "by_reason")}
    assert body["gate"]["high"] is True
    report = member_api.get(f"/api/v1/runs/{junk_run.pk}/report/").json()
    assert report["quality_gate"] == gate
    listed = member_api.get("/api/v1/runs/").json()
    assert "gate" not in listed["results"][0]  # lists stay light


def test_a_clean_run_shows_no_warning(finished_run, member_client):
    gate = run_gate(finished_run)
    html = member_client.get(reverse("run_detail", args=[finished_run.pk])).content.decode()
    assert gate["checked"] > 0 and not gate["high"]
    assert 'id="gate-share"' in html and "Warning: the model wrote much unusable text" not in html


def test_another_organization_gets_a_404_for_the_run_and_its_counts(
    junk_run, member_api, token_client, org_b
):
    assert member_api.get(f"/api/v1/runs/{junk_run.pk}/").status_code == 200
    assert token_client("owner", org_b).get(f"/api/v1/runs/{junk_run.pk}/").status_code == 404


@pytest.mark.parametrize(("rejected", "warned"), [(10, False), (11, True)])
def test_the_warning_starts_above_ten_percent(finished_run, member_client, rejected, warned):
    counts = {"checked": 100, "rejected": rejected, "by_reason": {"cut": rejected}}
    Run.unscoped.filter(pk=finished_run.pk).update(quality_gate=counts)
    html = member_client.get(reverse("run_detail", args=[finished_run.pk])).content.decode()
    assert (
        f"{rejected} of 100 texts the personas wrote were refused, {rejected:.1f}% (cut off mid-sentence {rejected})"
        in html
    )
    assert ("Warning: the model wrote much unusable text" in html) is warned
    assert run_gate(finished_run)["high"] is warned


def test_a_run_that_has_checked_nothing_claims_nothing(started_run, member_client):
    html = member_client.get(reverse("run_detail", args=[started_run.pk])).content.decode()
    assert run_gate(started_run)["checked"] == 0 and 'id="gate-share"' not in html


def test_a_fork_carries_the_counts_of_the_steps_it_shares(junk_run, tenancy):
    fork = run_fork(run=junk_run, actor=tenancy.member, step=2)
    steps = RunStep.objects.filter(run=junk_run).order_by("step")
    at_two = [s.gate["checked"] for s in steps[:2]]
    assert 0 < sum(at_two) < junk_run.quality_gate["checked"]
    assert run_gate(fork)["checked"] == sum(at_two) and fork.quality_gate["rejected"] > 0


def test_a_step_is_counted_once_however_often_it_is_asked(fake_scenario, tenancy, settings):
    """A step spread across workers, each shard asked twice (its first worker died after asking
    everything; the decision cache answers its successor, whose gate judges the same texts again),
    counts each step once: only the counts stored with the shards that finished reach the run."""
    settings.SIMNET_TEST_PROVIDER_KINDS = {"fake": f"{__name__}.junk_writer"}

    def start():
        DecisionCacheEntry.unscoped.all().delete()  # both runs pay for (and judge) fresh answers
        org, member = tenancy.org_a, tenancy.member
        return run_start(organization=org, actor=member, scenario=fake_scenario, seeds=[7])[0]

    whole = drive(start())
    settings.SIMNET_SHARD_TURNS = 2
    run, redone = start(), []
    for _ in range(3 * STEPS):
        if "queued" not in stepper.advance(run_id=run.pk):
            continue
        for shard in RunShard.unscoped.filter(run=run, done=False):
            _asked_by_a_worker_that_dies(run, shard)
        redone.append(shards.decide(run_id=run.pk, step=shard.step, index=0))  # takes each in turn
    sharded = Run.unscoped.get(pk=run.pk)
    assert sharded.status == RunStatus.COMPLETED
    assert redone == [f"step {step}: shard(s) 0, 1, 2 done, the step is ready" for step in range(STEPS)]
    assert sharded.quality_gate == whole.quality_gate
    assert sharded.quality_gate["by_reason"]["scaffolding"] == STEPS * 3 + STEPS


def _asked_by_a_worker_that_dies(run: Run, shard: RunShard) -> None:
    """A worker takes ``shard``, asks for (and judges) all its turns, and dies before storing."""
    assert shards._claim(run.pk, shard.step, "dies", index=shard.index)
    run = Run.unscoped.select_related("scenario", "organization").get(pk=run.pk)
    world = worlds.load_world(run)
    worlds.inject_live_stimuli(run, world)
    turns = plan_step(world).turns[shard.start : shard.stop]
    gather_decisions(turns, policy_provider(run, gate=GateTally()))
    RunShard.unscoped.filter(pk=shard.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_meeting_statements_are_judged_and_counted(roundtable_scenario, tenancy):
    """The minutes are made of these statements (and vote reasons, counted the same way)."""
    run = drive(run_start(organization=tenancy.org_a, actor=tenancy.member, scenario=roundtable_scenario)[0])
    spoken = RunAction.objects.filter(run=run, outcome="ok").exclude(text="").count()
    assert spoken > 0 and run_gate(run)["checked"] >= spoken


def test_an_interview_answer_passes_the_gate_too(junk_run, tenancy):
    """Interviews leave the run unchanged, so they are judged but not added to its counts: the
    refusal is the interview's own error."""
    before = run_gate(junk_run)
    junk = run_interview(
        run=junk_run, actor=tenancy.member, agent_key=_agent(junk_run, "p0"), question="Why?"
    )
    good = run_interview(
        run=junk_run, actor=tenancy.member, agent_key=_agent(junk_run, "p2"), question="Why?"
    )
    assert junk.answer == "" and "quality gate" in junk.error and "(scaffolding)" in junk.error
    assert good.error == "" and good.answer == GOOD_ANSWER
    assert run_gate(junk_run) == before


def _agent(run, handle: str) -> str:
    return next(p["id"] for p in worlds.run_personas(run) if p["handle"] == handle)
